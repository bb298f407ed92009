package proxy

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/pushnchat/pushnchat/internal/problem"
)

// rawConn opens a plain TCP connection to the router, bounded in time.
func rawConn(t *testing.T, rt *testRouter) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(rt.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return c, bufio.NewReader(c)
}

func readAnswer(t *testing.T, br *bufio.Reader, method string) (*http.Response, string) {
	t.Helper()
	resp, err := http.ReadResponse(br, &http.Request{Method: method})
	if err != nil {
		t.Fatalf("reading an answer: %v", err)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading an answer's body: %v", err)
	}
	resp.Body.Close()
	return resp, string(b)
}

// Pipelined requests on one kept-alive connection are answered in order,
// whatever framing the cell used: a length, chunks, no body for HEAD or 204.
func TestPipelinedRequestsAndAnswerFraming(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	rt, _ := newRouter(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.Path)
		mu.Unlock()
		switch r.URL.Path {
		case "/v1/t/ada/chunked":
			for i := range 3 {
				fmt.Fprintf(w, "piece %d;", i)
				w.(http.Flusher).Flush()
			}
		case "/v1/t/ada/empty":
			w.WriteHeader(http.StatusNoContent)
		default:
			w.Header().Set("Content-Type", "text/plain")
			fmt.Fprint(w, "plain answer")
		}
	}), ada)
	c, br := rawConn(t, rt)
	fmt.Fprint(c, "GET /v1/t/ada/plain HTTP/1.1\r\nHost: x\r\n\r\n"+
		"GET /v1/t/ada/chunked HTTP/1.1\r\nHost: x\r\n\r\n"+
		"HEAD /v1/t/ada/plain HTTP/1.1\r\nHost: x\r\n\r\n"+
		"DELETE /v1/t/ada/empty HTTP/1.1\r\nHost: x\r\n\r\n"+
		"POST /v1/t/ada/plain HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
	want := []struct{ method, body string }{{"GET", "plain answer"}, {"GET", "piece 0;piece 1;piece 2;"}, {"HEAD", ""}, {"DELETE", ""}, {"POST", "plain answer"}}
	for i, w := range want {
		resp, body := readAnswer(t, br, w.method)
		if body != w.body || resp.Header.Get("X-PushNchat-Cell") != "lagos-1" || resp.Header.Get("X-Request-Id") == "" {
			t.Errorf("answer %d: %d %q %v; want %q from lagos-1", i, resp.StatusCode, body, resp.Header, w.body)
		}
	}
	// The connection is still usable afterwards.
	fmt.Fprint(c, "GET /v1/t/ada/plain HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	if resp, body := readAnswer(t, br, "GET"); body != "plain answer" || !resp.Close {
		t.Errorf("last answer %q, close %v", body, resp.Close)
	}
	if _, err := br.ReadByte(); err != io.EOF {
		t.Errorf("after Connection: close the router should close; read: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if got := strings.Join(seen, ","); got != "GET /v1/t/ada/plain,GET /v1/t/ada/chunked,HEAD /v1/t/ada/plain,DELETE /v1/t/ada/empty,POST /v1/t/ada/plain,GET /v1/t/ada/plain" {
		t.Errorf("the cell saw %s", got)
	}
}

// Requests the event loops do not take — chunked uploads, large bodies,
// escaped paths, malformed heads — are served by the net/http path on
// the same connection, with the same result as direct requests.
func TestWhatTheLoopsDoNotTakeIsStillServed(t *testing.T) {
	rt, _ := newRouter(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s %s %d", r.Method, r.URL.EscapedPath(), len(b))
	}), ada)
	big := strings.Repeat("x", 3<<20)
	cases := []struct {
		name, req, method, want string
		status                  int
	}{
		{"chunked upload", "POST /v1/t/ada/up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", "POST", "POST /v1/t/ada/up 5", 200},
		{"3 MiB body", "PUT /v1/t/ada/big HTTP/1.1\r\nHost: x\r\nContent-Length: 3145728\r\n\r\n" + big, "PUT", "PUT /v1/t/ada/big 3145728", 200},
		{"media download", "GET /v1/t/ada/media/p1/large HTTP/1.1\r\nHost: x\r\n\r\n", "GET", "GET /v1/t/ada/media/p1/large 0", 200},
		{"escaped path", "GET /v1/t/ada/a%20b HTTP/1.1\r\nHost: x\r\n\r\n", "GET", "GET /v1/t/ada/a%20b 0", 200},
		{"unknown tenant", "GET /v1/t/nobody/x HTTP/1.1\r\nHost: x\r\n\r\n", "GET", "", 404},
		{"two lengths", "POST /v1/t/ada/x HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", "POST", "", 400},
		{"no host", "GET /v1/t/ada/x HTTP/1.1\r\n\r\n", "GET", "", 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, br := rawConn(t, rt)
			go io.WriteString(c, tc.req)
			resp, body := readAnswer(t, br, tc.method)
			if resp.StatusCode != tc.status || (tc.want != "" && body != tc.want) {
				t.Fatalf("%d %q; want %d %q", resp.StatusCode, body, tc.status, tc.want)
			}
			if tc.status >= 400 {
				return
			}
			// Served by net/http from now on, the connection keeps working.
			fmt.Fprint(c, "GET /v1/t/ada/again HTTP/1.1\r\nHost: x\r\n\r\n")
			if _, body := readAnswer(t, br, "GET"); body != "GET /v1/t/ada/again 0" {
				t.Errorf("next request on the connection: %q", body)
			}
		})
	}
}

func decodeProblem(t *testing.T, resp *http.Response, body string) problem.Problem {
	t.Helper()
	var p problem.Problem
	if err := json.Unmarshal([]byte(body), &p); err != nil || resp.Header.Get("Content-Type") != problem.ContentType {
		t.Fatalf("not a problem: %d %v %q", resp.StatusCode, resp.Header, body)
	}
	return p
}

// A cell that does not answer in time, or cannot be reached, gives the
// client a 503 problem with Retry-After and marks the cell down.
func TestCellFailuresBecomeProblems(t *testing.T) {
	release := make(chan struct{})
	rt, health := newRouter(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/t/ada/slow" {
			<-release
		}
	}), ada, func(s *LoopServer) { s.UpstreamTimeout = 300 * time.Millisecond })
	defer close(release)

	c, br := rawConn(t, rt)
	fmt.Fprint(c, "POST /v1/t/ada/slow HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
	resp, body := readAnswer(t, br, "POST")
	if p := decodeProblem(t, resp, body); resp.StatusCode != 503 || p.Type != problem.TypeBase+"cell_unavailable" || resp.Header.Get("Retry-After") == "" {
		t.Errorf("slow cell: %d %+v", resp.StatusCode, p)
	}
	if health.Up("lagos-1") {
		t.Error("a cell that timed out is still believed up")
	}

	// Unreachable: the cell's listener is gone.
	health2 := rt.health
	rt.cell.Listener.Close()
	rt.cell.CloseClientConnections()
	health2.mu.Lock()
	health2.down = map[string]bool{}
	health2.mu.Unlock()
	c2, br2 := rawConn(t, rt)
	fmt.Fprint(c2, "GET /v1/t/ada/x HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, body = readAnswer(t, br2, "GET")
	if p := decodeProblem(t, resp, body); resp.StatusCode != 503 || p.Type != problem.TypeBase+"cell_unavailable" {
		t.Errorf("unreachable cell: %d %+v", resp.StatusCode, p)
	}
	if health2.Up("lagos-1") {
		t.Error("an unreachable cell is still believed up")
	}
}

// Shutdown lets the request in flight finish, then closes the connections.
func TestShutdownDrains(t *testing.T) {
	started := make(chan struct{})
	release := make(chan struct{})
	rt, _ := newRouter(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/t/ada/slow" {
			close(started)
			<-release
		}
		fmt.Fprint(w, "done")
	}), ada)
	idle, idleBr := rawConn(t, rt)
	fmt.Fprint(idle, "GET /v1/t/ada/x HTTP/1.1\r\nHost: x\r\n\r\n")
	readAnswer(t, idleBr, "GET")

	busy, busyBr := rawConn(t, rt)
	fmt.Fprint(busy, "GET /v1/t/ada/slow HTTP/1.1\r\nHost: x\r\n\r\n")
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("the request never reached the cell")
	}
	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		shut <- rt.srv.Shutdown(ctx)
	}()
	// The idle connection closes without an answer to anything.
	if _, err := idleBr.ReadByte(); err != io.EOF {
		t.Errorf("idle connection during drain: %v; want EOF", err)
	}
	close(release)
	resp, body := readAnswer(t, busyBr, "GET")
	if body != "done" || !resp.Close {
		t.Errorf("request in flight during drain: %q, close %v", body, resp.Close)
	}
	select {
	case err := <-shut:
		if err != nil {
			t.Errorf("shutdown: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("shutdown did not return")
	}
}

// A router restarted at once binds its port again, though the connections
// it closed while draining still wait out TIME_WAIT on that port.
func TestARestartedRouterBindsItsPortAtOnce(t *testing.T) {
	rt, _ := newRouter(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "done") }), ada)
	c, br := rawConn(t, rt)
	fmt.Fprint(c, "GET /v1/t/ada/x HTTP/1.1\r\nHost: x\r\n\r\n")
	readAnswer(t, br, "GET")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := rt.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	// The router closed first, so its end of the connection is in TIME_WAIT.
	if _, err := br.ReadByte(); err != io.EOF {
		t.Fatalf("the idle connection during shutdown: %v; want EOF", err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	again := NewLoopServer(rt.srv.rt, 2, log)
	if err := again.Start(rt.srv.Addr().String()); err != nil {
		t.Fatalf("restart on the same port: %v", err)
	}
	if err := again.Shutdown(ctx); err != nil {
		t.Error(err)
	}
}

// The metrics count requests by path and hand-overs by reason, and show
// each cell's health.
func TestMetricsCountPathsAndHandOvers(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	rt, health := newRouter(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") }), ada,
		func(s *LoopServer) {
			if err := s.RegisterMetrics(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)).Meter("test"),
				func() []string { return []string{"eu-1", "lagos-1"} }); err != nil {
				t.Fatal(err)
			}
		})
	for _, path := range []string{"/v1/t/ada/a", "/v1/t/ada/b", "/v1/t/ada/media/p/large", "/v1/t/nobody/x"} {
		c, br := rawConn(t, rt)
		fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path)
		readAnswer(t, br, "GET")
	}
	health.Fail("eu-1")
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			var points []metricdata.DataPoint[int64]
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				points = d.DataPoints
			case metricdata.Gauge[int64]:
				points = d.DataPoints
			}
			for _, p := range points {
				key := m.Name
				for _, kv := range p.Attributes.ToSlice() {
					key += " " + kv.Value.String()
				}
				got[key] = p.Value
			}
		}
	}
	want := map[string]int64{
		"router.requests loop": 2, "router.requests net/http": 2,
		"router.handovers bulky": 1, "router.handovers route": 1, "router.handovers unsupported": 0,
		"router.cell.up lagos-1": 1, "router.cell.up eu-1": 0,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %d; want %d (all: %v)", k, got[k], v, got)
		}
	}
}

// A body that keeps arriving is waited for however slow the link; one
// that stops arriving for the read timeout closes the connection.
func TestSlowUploadsAreWaitedForWhileTheyProgress(t *testing.T) {
	rt, _ := newRouter(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%d", len(b))
	}), ada, func(s *LoopServer) { s.ReadTimeout = 400 * time.Millisecond })

	c, br := rawConn(t, rt)
	fmt.Fprint(c, "POST /v1/t/ada/up HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n")
	for range 10 { // 10 bytes over ~2 s: far beyond the timeout in total
		time.Sleep(200 * time.Millisecond)
		c.Write([]byte("x"))
	}
	if resp, body := readAnswer(t, br, "POST"); resp.StatusCode != 200 || body != "10" {
		t.Fatalf("slow upload: %d %q", resp.StatusCode, body)
	}

	stalled, sbr := rawConn(t, rt)
	fmt.Fprint(stalled, "POST /v1/t/ada/up HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nxx")
	if _, err := sbr.ReadByte(); err != io.EOF {
		t.Fatalf("stalled upload: read %v; want the connection closed", err)
	}
}
