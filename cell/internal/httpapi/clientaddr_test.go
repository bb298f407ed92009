package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/pushnchat/pushnchat/cell/config"
	"github.com/pushnchat/pushnchat/cell/internal/celltest"
	"github.com/pushnchat/pushnchat/internal/clientaddr"
	"github.com/pushnchat/pushnchat/internal/problem"
)

// Behind the router every client arrives from the router's address. Rate
// limits and anonymous idempotency scopes follow the client address the
// router vouches for (with the edge token), so one client's flood or
// Idempotency-Key never touches another's; an address sent without the
// token is ignored.
func TestLimitsAndIdempotencyFollowTheClientTheRouterVouchesFor(t *testing.T) {
	t.Parallel()
	const edge = "edge-token-for-tests"
	cell := celltest.Start(t, celltest.Options{EdgeToken: edge, RateIP: config.RateConfig{PerSecond: 1, Burst: 3}})
	via := func(ip string) *celltest.Client {
		cl := cell.Anonymous()
		cl.Header.Set(clientaddr.Header, ip)
		cl.Header.Set(clientaddr.TokenHeader, edge)
		return cl
	}
	flooder, other := via("203.0.113.7"), via("198.51.100.9")
	limited := false
	for range 10 {
		if flooder.Do(t, "GET", "/v1/markets/NG/listings", nil).Status == http.StatusTooManyRequests {
			limited = true
			break
		}
	}
	if !limited {
		t.Fatal("10 requests from one client against a burst of 3 were all served")
	}
	other.Do(t, "GET", "/v1/markets/NG/listings", nil).Want(t, 200)

	// A client naming an address without the token is the connection's
	// address: it cannot pose as someone else, nor escape its own bucket.
	forger := cell.Anonymous()
	forger.Header.Set(clientaddr.Header, "192.0.2.1")
	forger.Header.Set(clientaddr.TokenHeader, "guess")
	forged := false
	for range 10 {
		if forger.Do(t, "GET", "/v1/markets/NG/listings", nil).Status == http.StatusTooManyRequests {
			forged = true
			break
		}
	}
	if !forged {
		t.Error("a client with a forged address escaped its connection's bucket")
	}
	via("192.0.2.1").Do(t, "GET", "/v1/markets/NG/listings", nil).Want(t, 200) // the real 192.0.2.1 was not charged

	// Two anonymous clients behind the router, one Idempotency-Key: two
	// scopes, two answers of their own.
	a := via("203.0.113.20").Do(t, "POST", "/v1/session", map[string]string{"id_token": "client-a"}, "Idempotency-Key", "same-key")
	b := via("203.0.113.21").Do(t, "POST", "/v1/session", map[string]string{"id_token": "client-b"}, "Idempotency-Key", "same-key")
	for name, r := range map[string]celltest.Response{"a": a, "b": b} {
		if p := r.Problem(t); r.Status != http.StatusUnauthorized || p.Type != problem.TypeBase+"unauthenticated" {
			t.Errorf("client %s: %d %s; want 401 unauthenticated, its own answer", name, r.Status, p.Type)
		}
	}
}
