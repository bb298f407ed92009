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

	"github.com/pushnchat/pushnchat/internal/cpclient"
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

func (f fakeDirectory) LearnTenant(cpclient.Record) {}

func (f fakeDirectory) Cached(key string) (lookup.Entry, bool) { e, ok := f[key]; return e, ok }

// testRouter is a router serving as in production — event loops in front,
// net/http behind them — in front of one cell.
type testRouter struct {
	URL    string
	health *Health
	srv    *LoopServer
	cell   *httptest.Server
}

func newRouter(t testing.TB, upstream http.Handler, dir fakeDirectory, configure ...func(*LoopServer)) (*testRouter, *Health) {
	t.Helper()
	return newRouterFor(t, httptest.NewUnstartedServer(upstream), dir, configure...)
}

// newRouterFor is newRouter in front of a cell server the test configured
// (not yet started).
func newRouterFor(t testing.TB, up *httptest.Server, dir fakeDirectory, configure ...func(*LoopServer)) (*testRouter, *Health) {
	t.Helper()
	up.Start()
	t.Cleanup(up.Close)
	u, _ := url.Parse(up.URL)
	h := NewHealth()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := NewLoopServer(New(Config{Endpoints: Static{"lagos-1": u, "eu-1": u}, Resolver: dir, ControlPlane: u, Health: h, Log: log}), 2, log)
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

// waitFor polls cond until it holds, failing the test after wait.
func waitFor(t *testing.T, wait time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, wait)
		}
		time.Sleep(20 * time.Millisecond)
	}
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
	check("/v1/t/%00/listings", 400, "invalid")
	check("/v1/t/urn:uuid:0193a6e0-7c1e-7b5e-9f0a-2b3c4d5e6f70", 400, "invalid")
	check("/v1/t/0193A6E0-7C1E-7B5E-9F0A-2B3C4D5E6F70/listings", 400, "invalid")
	check("/v1/t/wrong/listings", 503, "unavailable") // a directory entry the policy forbids is never followed
	check("/v1/markets/GB/listings", 404, "not_found")
	check("/v1/me", 401, "unauthenticated")
	check("/internal/v1/tenants/x", 404, "not_found")
	health.Fail("lagos-1")
	check("/v1/t/ada/listings", 503, "cell_unavailable")
	if calls != 0 {
		t.Errorf("the cell was called %d times; every request above must stop at the router", calls)
	}
}

// A person's own requests go to the cells where they belong to a
// business: the first unless they name another of theirs (?cell=), never
// one where they have none. Their list of cells comes from the control
// plane.
func TestUserScopedRequestsFollowTheTokensUser(t *testing.T) {
	cells := map[string]string{} // what each request reached, by path
	dir := fakeDirectory{"u:uid-2": {Cell: "lagos-1", Cells: "lagos-1,eu-1", Status: "active", Version: 2},
		"u:uid-3": {Cell: "", Cells: "", Status: "active", Version: 3}}
	for k, v := range ada {
		dir[k] = v
	}
	srv, _ := newRouter(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}), dir)
	token := func(uid string) string {
		// An unsigned token is enough to route; the cell verifies it.
		return "eyJhbGciOiJub25lIn0." + base64.RawURLEncoding.EncodeToString([]byte(`{"user_id":"`+uid+`"}`)) + "."
	}
	get := func(uid, path string) *http.Response {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+token(uid))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		cells[uid+" "+path] = resp.Header.Get("X-PushNchat-Cell")
		return resp
	}
	for _, tc := range []struct {
		uid, path string
		status    int
		cell      string
	}{
		{"uid-1", "/v1/me", 200, "lagos-1"},
		{"uid-2", "/v1/me", 200, "lagos-1"},
		{"uid-2", "/v1/me?cell=eu-1", 200, "eu-1"},
		{"uid-2", "/v1/me/sync?cursor=&cell=eu-1", 200, "eu-1"},
		{"uid-2", "/v1/realtime?cell=eu-1", 200, "eu-1"},
		{"uid-2", "/v1/me?cell=us-1", 404, ""},
		{"uid-1", "/v1/me?cell=eu-1", 404, ""},
		{"uid-3", "/v1/me", 404, ""}, // belongs to no business any more
		{"uid-9", "/v1/me", 404, ""}, // never did
		{"uid-2", "/v1/me/cells", 200, "control-plane"},
	} {
		if resp := get(tc.uid, tc.path); resp.StatusCode != tc.status || cells[tc.uid+" "+tc.path] != tc.cell {
			t.Errorf("%s GET %s = %d via %q; want %d via %q", tc.uid, tc.path, resp.StatusCode, cells[tc.uid+" "+tc.path], tc.status, tc.cell)
		}
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
