package proxy

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/pushnchat/pushnchat/internal/clientaddr"
	"github.com/pushnchat/pushnchat/internal/servicetoken"
)

// The router tells the cell which client it forwards, vouching with the
// edge token, on both paths; what a client sends in those headers — or a
// service token it tries — never reaches the cell.
func TestTheRouterVouchesForTheClientAddress(t *testing.T) {
	var mu sync.Mutex
	var got []http.Header
	rt, _ := newRouter(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Header.Clone())
		mu.Unlock()
	}), ada, func(s *LoopServer) { s.rt.edgeToken = "edge-secret" })
	for _, path := range []string{"/v1/t/ada/x", "/v1/t/ada/a%20b"} { // loops, net/http
		c, br := rawConn(t, rt)
		fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: x\r\n%s: 203.0.113.66\r\n%s: forged\r\n%s: guess\r\n\r\n",
			path, clientaddr.Header, clientaddr.TokenHeader, servicetoken.Header)
		readAnswer(t, br, "GET")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 {
		t.Fatalf("the cell got %d requests; want 2", len(got))
	}
	for i, h := range got {
		if v := h.Values(clientaddr.Header); len(v) != 1 || v[0] != "127.0.0.1" {
			t.Errorf("request %d: %s = %q; want the client's own address only", i, clientaddr.Header, v)
		}
		if v := h.Values(clientaddr.TokenHeader); len(v) != 1 || v[0] != "edge-secret" {
			t.Errorf("request %d: %s = %q; want the router's token only", i, clientaddr.TokenHeader, v)
		}
		if h.Get(servicetoken.Header) != "" {
			t.Errorf("request %d: a client's service token reached the cell", i)
		}
		if strings.Contains(h.Get("X-Forwarded-For"), "203.0.113.66") {
			t.Errorf("request %d: X-Forwarded-For %q", i, h.Get("X-Forwarded-For"))
		}
	}
}
