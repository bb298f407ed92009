package proxy

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pushnchat/pushnchat/internal/clientaddr"
	"github.com/pushnchat/pushnchat/internal/problem"
)

// webRouter is a router with a cell and the web app behind it.
func webRouter(t *testing.T, cell, web http.Handler) (string, *Health, *httptest.Server) {
	t.Helper()
	cs := httptest.NewServer(cell)
	t.Cleanup(cs.Close)
	ws := httptest.NewServer(web)
	t.Cleanup(ws.Close)
	cu, _ := url.Parse(cs.URL)
	wu, _ := url.Parse(ws.URL)
	h := NewHealth()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := NewLoopServer(New(Config{Endpoints: Static{"lagos-1": cu}, Resolver: ada, ControlPlane: cu, Web: wu, Health: h, Log: log, EdgeToken: "edge-secret"}), 2, log)
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	return "http://" + srv.Addr().String(), h, ws
}

// One origin serves pages, API and WebSocket: pages go to the web app,
// which is global and gets no credential of the user's — no token, no
// session cookie, no CSRF token, no vouched client address.
func TestPagesGoToTheWebAppWithoutCredentials(t *testing.T) {
	var mu sync.Mutex
	var webGot []*http.Request
	cellCalls := 0
	base, _, _ := webRouter(t,
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			cellCalls++
			mu.Unlock()
			_, _ = io.WriteString(w, "cell")
		}),
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			webGot = append(webGot, r.Clone(context.Background()))
			mu.Unlock()
			_, _ = io.WriteString(w, "page "+r.URL.RequestURI())
		}))

	for _, path := range []string{"/", "/m/NG?q=ankara", "/_next/static/chunks/app.js", "/v1x", "/internal/v1/tenants/x"} {
		req, _ := http.NewRequest("GET", base+path, nil)
		req.Header.Set("Authorization", "Bearer secret-token")
		req.Header.Set("Cookie", "__session=secret-session; pnc_locale=ar; pnc_csrf=c")
		req.Header.Add("Cookie", "pnc_locale=x@y")
		req.Header.Set("X-CSRF-Token", "c")
		req.Header.Set(clientaddr.Header, "203.0.113.9")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(b) != "page "+path {
			t.Errorf("GET %s = %d %q; want the web app's page", path, resp.StatusCode, b)
		}
	}
	mu.Lock()
	got, calls := webGot, cellCalls
	mu.Unlock()
	if len(got) != 5 || calls != 0 {
		t.Fatalf("web app got %d requests, cells %d; want 5 and 0", len(got), calls)
	}
	for _, r := range got {
		for _, h := range []string{"Authorization", "X-CSRF-Token", clientaddr.Header, clientaddr.TokenHeader} {
			if v := r.Header.Get(h); v != "" {
				t.Errorf("the web app received %s: %s = %q", r.URL, h, v)
			}
		}
		// Only the reader's language passes, and only a well-formed one.
		if v := r.Header.Values("Cookie"); len(v) != 1 || v[0] != "pnc_locale=ar" {
			t.Errorf("the web app received %s with cookies %q; want only pnc_locale=ar", r.URL, v)
		}
	}

	// The API stays with the cells.
	resp, err := http.Get(base + "/v1/markets/NG/listings")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "cell" {
		t.Errorf("GET /v1/markets/NG/listings = %q; want the cell's answer", b)
	}
}

// A web app that cannot be reached is a 503 problem for pages only; no
// cell is marked down and the API answers on.
func TestAWebAppDownIsAProblemForPagesOnly(t *testing.T) {
	base, health, ws := webRouter(t,
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "cell") }),
		http.NotFoundHandler())
	ws.Close()
	resp, err := http.Get(base + "/m/NG")
	if err != nil {
		t.Fatal(err)
	}
	var p problem.Problem
	_ = json.NewDecoder(resp.Body).Decode(&p)
	resp.Body.Close()
	if resp.StatusCode != 503 || !strings.HasSuffix(p.Type, "unavailable") || resp.Header.Get("Retry-After") == "" {
		t.Errorf("GET /m/NG with the web app down = %d %+v; want 503 unavailable with Retry-After", resp.StatusCode, p)
	}
	if !health.Up("lagos-1") {
		t.Error("the web app's failure marked a cell down")
	}
	resp, err = http.Get(base + "/v1/markets/NG/listings")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("the API answered %d with the web app down", resp.StatusCode)
	}
}
