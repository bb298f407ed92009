package proxy

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pushnchat/pushnchat/internal/problem"
)

// cellLike answers as a cell does: bodies over their limit (11 MiB for
// photos, 64 KiB for the rest) are refused with 413 from the header alone,
// before being read; others are read.
func cellLike() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := int64(64 << 10)
		if strings.HasSuffix(r.URL.Path, "/photos") {
			limit = 11 << 20
		}
		if r.ContentLength > limit {
			w.Header().Set("Content-Type", problem.ContentType)
			w.WriteHeader(http.StatusRequestEntityTooLarge)
			fmt.Fprint(w, `{"type":"https://pushnchat.dev/problems/too_large","title":"Request too large","status":413}`)
			return
		}
		b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
		if err != nil {
			w.WriteHeader(http.StatusRequestEntityTooLarge)
			return
		}
		fmt.Fprintf(w, "%s %d", r.Method, len(b))
	})
}

// A client's bad request is the client's problem: a malformed chunk gets a
// 400 problem and an over-limit body the cell's 413, on the net/http path
// as on the loops — and the cell stays up for everyone else.
func TestAClientsBadRequestNeverTakesACellDown(t *testing.T) {
	rt, health := newRouter(t, cellLike(), ada)
	cases := []struct {
		name, req string
		status    int
		typ       string
	}{
		{"malformed chunk", "POST /v1/markets/DE/listings HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400, "invalid"},
		{"chunk longer than it said", "POST /v1/t/ada/listings HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcdef\r\n0\r\n\r\n", 400, "invalid"},
		{"2 MB JSON body", "POST /v1/t/ada/listings HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2097152\r\n\r\n" + strings.Repeat("x", 2<<20), 413, "too_large"},
		{"10 MiB + 1 attachment", "POST /v1/t/ada/conversations/c/attachments HTTP/1.1\r\nHost: x\r\nContent-Length: 10485761\r\n\r\n" + strings.Repeat("x", 10<<20+1), 413, "too_large"},
		{"12 MiB chunked photo", "POST /v1/t/ada/listings/l/photos HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + strings.Repeat(fmt.Sprintf("%x\r\n%s\r\n", 1<<20, strings.Repeat("y", 1<<20)), 12) + "0\r\n\r\n", 413, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, br := rawConn(t, rt)
			go io.WriteString(c, tc.req) // the router may answer before it has read everything
			resp, body := readAnswer(t, br, "POST")
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d %q; want %d", resp.StatusCode, body, tc.status)
			}
			if tc.typ != "" {
				if p := decodeProblem(t, resp, body); p.Type != problem.TypeBase+tc.typ {
					t.Errorf("type %s; want %s", p.Type, tc.typ)
				}
			}
			if !health.Up("lagos-1") || !health.Up("eu-1") {
				t.Fatal("a client's bad request marked a cell down")
			}
			// Everyone else is still served.
			c2, br2 := rawConn(t, rt)
			fmt.Fprint(c2, "GET /v1/t/ada/x HTTP/1.1\r\nHost: x\r\n\r\n")
			if resp, body := readAnswer(t, br2, "GET"); resp.StatusCode != 200 {
				t.Errorf("the next client got %d %q", resp.StatusCode, body)
			}
		})
	}
}

// A kept-alive connection the cell has closed is never used for a
// request: a POST sent after the cell's idle timeout succeeds on both
// paths, and the cell is not marked down.
func TestConnectionsTheCellRetiredAreNotFailures(t *testing.T) {
	var closed atomic.Int64
	cell := httptest.NewUnstartedServer(cellLike())
	cell.Config.IdleTimeout = 300 * time.Millisecond
	cell.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateClosed {
			closed.Add(1)
		}
	}
	rt, health := newRouterFor(t, cell, ada)
	post := func(size int) (int, string) {
		c, br := rawConn(t, rt)
		go fmt.Fprintf(c, "POST /v1/t/ada/listings/l/photos HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", size, strings.Repeat("z", size))
		resp, body := readAnswer(t, br, "POST")
		return resp.StatusCode, body
	}
	sizes := []int{100, 2 << 20} // the loops' path, then net/http's
	for _, size := range sizes {
		if status, body := post(size); status != 200 {
			t.Fatalf("first POST of %d bytes: %d %q", size, status, body)
		}
	}
	waitFor(t, 10*time.Second, "the cell closing its idle connections", func() bool { return closed.Load() >= 2 })
	for _, size := range sizes {
		if status, body := post(size); status != 200 {
			t.Errorf("POST of %d bytes after the cell's idle timeout: %d %q; want 200", size, status, body)
		}
	}
	if !health.Up("lagos-1") {
		t.Error("a connection the cell retired marked the cell down")
	}
}

// The router retires idle cell connections itself, before a cell's idle
// timeout could close one under a request already on its way.
func TestTheRouterRetiresIdleCellConnections(t *testing.T) {
	var closed atomic.Int64
	cell := httptest.NewUnstartedServer(cellLike()) // keeps idle connections forever
	cell.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateClosed {
			closed.Add(1)
		}
	}
	rt, _ := newRouterFor(t, cell, ada, func(s *LoopServer) { s.UpstreamIdle = 200 * time.Millisecond })
	c, br := rawConn(t, rt)
	fmt.Fprint(c, "GET /v1/t/ada/x HTTP/1.1\r\nHost: x\r\n\r\n")
	readAnswer(t, br, "GET")
	waitFor(t, 10*time.Second, "the router closing its idle cell connection", func() bool { return closed.Load() >= 1 })
	fmt.Fprint(c, "GET /v1/t/ada/x HTTP/1.1\r\nHost: x\r\n\r\n") // and a new one serves the next request
	if resp, _ := readAnswer(t, br, "GET"); resp.StatusCode != 200 {
		t.Errorf("after the retirement: %d", resp.StatusCode)
	}
}

// A cell connection that closes before answering: an idempotent request
// on a kept-alive connection is sent again on a fresh one; a write gets a
// 503 of its own (it may have been done: retry with the same
// Idempotency-Key). Neither marks the cell down — it answered others, and
// its probe decides.
func TestUnansweredRequestsAreRetriedOrRefusedWithoutBlame(t *testing.T) {
	var drops atomic.Int64
	rt, health := newRouter(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/drop") && drops.Add(1)%2 == 1 { // every other one
			c, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				c.Close()
			}
			return
		}
		fmt.Fprint(w, "answered")
	}), ada)
	c, br := rawConn(t, rt)
	for _, tc := range []struct {
		method string
		status int
	}{{"GET", 200}, {"POST", 503}} {
		fmt.Fprint(c, "GET /v1/t/ada/warm HTTP/1.1\r\nHost: x\r\n\r\n") // a kept-alive cell connection
		readAnswer(t, br, "GET")
		fmt.Fprintf(c, "%s /v1/t/ada/drop HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", tc.method)
		resp, body := readAnswer(t, br, tc.method)
		if resp.StatusCode != tc.status {
			t.Errorf("%s dropped once: %d %q; want %d", tc.method, resp.StatusCode, body, tc.status)
		}
		if !health.Up("lagos-1") {
			t.Fatalf("%s dropped by the cell marked it down", tc.method)
		}
		drops.Store(0)
	}
}
