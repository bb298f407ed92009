package proxy

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pushnchat/pushnchat/internal/problem"
	"github.com/pushnchat/pushnchat/router/internal/lookup"
)

// fakeDirectory answers lookups from a map.
type fakeDirectory map[string]lookup.Entry

func (f fakeDirectory) Tenant(_ context.Context, key string) (lookup.Entry, error) {
	if e, ok := f["t:"+key]; ok {
		return e, nil
	}
	return lookup.Entry{}, lookup.ErrNotFound
}

func (f fakeDirectory) User(_ context.Context, uid string) (lookup.Entry, error) {
	if e, ok := f["u:"+uid]; ok {
		return e, nil
	}
	return lookup.Entry{}, lookup.ErrNotFound
}

func (f fakeDirectory) LearnTenant(lookup.Record) {}

func (f fakeDirectory) Cached(key string) (lookup.Entry, bool) { e, ok := f[key]; return e, ok }

// testRouter is a router serving as in production — event loops in front,
// net/http behind them — in front of one cell.
type testRouter struct {
	URL    string
	health *Health
	srv    *LoopServer
	cell   *httptest.Server
}

func newRouter(t *testing.T, upstream http.Handler, dir fakeDirectory, configure ...func(*LoopServer)) (*testRouter, *Health) {
	t.Helper()
	up := httptest.NewServer(upstream)
	t.Cleanup(up.Close)
	u, _ := url.Parse(up.URL)
	h := NewHealth()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := NewLoopServer(New(Static{"lagos-1": u, "eu-1": u}, dir, u, h, log), 2, log)
	for _, c := range configure {
		c(srv)
	}
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return &testRouter{URL: "http://" + srv.Addr().String(), health: h, srv: srv, cell: up}, h
}

var ada = fakeDirectory{
	"t:ada":   {Cell: "lagos-1", Country: "NG", Status: "active", Version: 1},
	"t:wrong": {Cell: "eu-1", Country: "NG", Status: "active", Version: 1}, // violates residency
	"u:uid-1": {Cell: "lagos-1", Status: "active", Version: 1},
}

func TestForwardsToTheHomeCellWithHeaders(t *testing.T) {
	var got *http.Request
	srv, _ := newRouter(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Clone(context.Background())
		w.Header().Set("Connection", "close-me-not") // hop-by-hop: must not reach the client
		w.Header().Set("X-Cell-Answer", "yes")
		fmt.Fprint(w, "hello from the cell")
	}), ada)
	req, _ := http.NewRequest("POST", srv.URL+"/v1/t/ada/listings?x=1", strings.NewReader(`{"title":"x"}`))
	req.Header.Set("Keep-Alive", "timeout=5")
	req.Header.Set("Authorization", "Bearer abc")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "hello from the cell" {
		t.Fatalf("answer %d %q", resp.StatusCode, body)
	}
	if resp.Header.Get("X-PushNchat-Cell") != "lagos-1" || resp.Header.Get("X-Cell-Answer") != "yes" || resp.Header.Get("X-Request-Id") == "" {
		t.Errorf("answer headers %v", resp.Header)
	}
	if got.URL.RequestURI() != "/v1/t/ada/listings?x=1" || got.Header.Get("Authorization") != "Bearer abc" ||
		got.Header.Get("Keep-Alive") != "" || got.Header.Get("X-Forwarded-For") == "" || got.Header.Get("X-Request-Id") == "" {
		t.Errorf("the cell received %s with %v", got.URL, got.Header)
	}
}

func TestProblemsInsteadOfForwarding(t *testing.T) {
	calls := 0
	srv, health := newRouter(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls++ }), ada)
	check := func(path string, status int, typ string) {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var p problem.Problem
		json.NewDecoder(resp.Body).Decode(&p)
		if resp.StatusCode != status || p.Type != problem.TypeBase+typ || resp.Header.Get("Content-Type") != problem.ContentType {
			t.Errorf("GET %s = %d %+v; want %d %s", path, resp.StatusCode, p, status, typ)
		}
		if status == 503 && resp.Header.Get("Retry-After") == "" {
			t.Errorf("GET %s: 503 without Retry-After", path)
		}
	}
	check("/v1/t/nobody/listings", 404, "not_found")
	check("/v1/t/wrong/listings", 503, "residency_refused")
	check("/v1/markets/GB/listings", 404, "not_found")
	check("/v1/me", 401, "unauthenticated")
	check("/internal/v1/tenants/x", 404, "not_found")
	health.Fail("lagos-1")
	check("/v1/t/ada/listings", 503, "cell_unavailable")
	if calls != 0 {
		t.Errorf("the cell was called %d times; every request above must stop at the router", calls)
	}
}

func TestUserScopedRequestsFollowTheTokensUser(t *testing.T) {
	srv, _ := newRouter(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}), ada)
	// An unsigned token is enough to route; the cell verifies it.
	token := "eyJhbGciOiJub25lIn0." + base64.RawURLEncoding.EncodeToString([]byte(`{"user_id":"uid-1"}`)) + "."
	req, _ := http.NewRequest("GET", srv.URL+"/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("X-PushNchat-Cell") != "lagos-1" {
		t.Errorf("GET /v1/me = %d via %q; want 200 via lagos-1", resp.StatusCode, resp.Header.Get("X-PushNchat-Cell"))
	}
}

// A streamed answer reaches the client piece by piece, before it ends.
func TestStreamsPassThrough(t *testing.T) {
	release := make(chan struct{})
	srv, _ := newRouter(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "data: first\n\n")
		w.(http.Flusher).Flush()
		<-release
		fmt.Fprint(w, "data: second\n\n")
	}), ada)
	defer close(release)
	resp, err := http.Get(srv.URL + "/v1/t/ada/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	line := make(chan string, 1)
	go func() {
		l, _ := bufio.NewReader(resp.Body).ReadString('\n')
		line <- l
	}()
	select {
	case l := <-line:
		if l != "data: first\n" {
			t.Errorf("first line %q", l)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the first event did not arrive while the stream stayed open")
	}
}

// WebSocket upgrades pass through: the client and the cell talk over the
// upgraded connection.
func TestUpgradesPassThrough(t *testing.T) {
	srv, _ := newRouter(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "websocket" {
			http.Error(w, "want upgrade", 400)
			return
		}
		c, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer c.Close()
		brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
		brw.Flush()
		l, _ := brw.ReadString('\n')
		brw.WriteString("echo " + l)
		brw.Flush()
	}), ada)
	c, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprint(c, "GET /v1/t/ada/socket HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade answer %v, %v", resp, err)
	}
	fmt.Fprint(c, "ping\n")
	if l, _ := br.ReadString('\n'); l != "echo ping\n" {
		t.Errorf("over the upgraded connection: %q", l)
	}
}
