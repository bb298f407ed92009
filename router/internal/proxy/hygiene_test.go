package proxy

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/pushnchat/pushnchat/internal/problem"
)

// Requests net/http cannot read get problem+json answers too, not its
// plain text: this holds the router to net/http's own error format (see
// problemConn), on a fresh connection and on one already handed over.
func TestNetHTTPsOwnAnswersAreProblems(t *testing.T) {
	rt, health := newRouter(t, cellLike(), ada)
	cases := []struct {
		name, req string
		status    int
		typ       string
	}{
		{"header too large", "GET /v1/t/ada/x HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 2<<20) + "\r\n\r\n", 431, "headers_too_large"},
		{"bad % escape", "GET /v1/t/ada/%zz HTTP/1.1\r\nHost: x\r\n\r\n", 400, "invalid"},
		{"missing Host", "GET /v1/t/ada/x HTTP/1.1\r\n\r\n", 400, "invalid"},
		{"HTTP/2.0 request line", "GET /v1/t/ada/x HTTP/2.0\r\nHost: x\r\n\r\n", 505, "http_version_not_supported"},
		{"unknown transfer coding", "POST /v1/t/ada/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501, "not_implemented"},
		{"garbage", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 400, "invalid"},
	}
	for _, tc := range cases {
		for _, handedOver := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s, handed over %v", tc.name, handedOver), func(t *testing.T) {
				c, br := rawConn(t, rt)
				if handedOver { // a first request the loops do not take moves the connection to net/http
					fmt.Fprint(c, "GET /v1/t/ada/a%20b HTTP/1.1\r\nHost: x\r\n\r\n")
					if resp, _ := readAnswer(t, br, "GET"); resp.StatusCode != 200 {
						t.Fatalf("first request: %d", resp.StatusCode)
					}
				}
				go io.WriteString(c, tc.req)
				resp, body := readAnswer(t, br, "GET")
				p := decodeProblem(t, resp, body)
				if resp.StatusCode != tc.status || p.Type != problem.TypeBase+tc.typ || p.Status != tc.status ||
					p.RequestID == "" || resp.Header.Get("X-Request-Id") != p.RequestID {
					t.Errorf("%d %+v; want %d %s with a request id", resp.StatusCode, p, tc.status, tc.typ)
				}
			})
		}
	}
	if !health.Up("lagos-1") {
		t.Error("unreadable requests marked the cell down")
	}
}

// A client's X-Request-Id is echoed only when it is safe to (package
// requestid), on both paths; otherwise the router makes one, and the cell
// gets the same.
func TestUnsafeRequestIDsAreReplaced(t *testing.T) {
	var seen []string
	rt, _ := newRouter(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.Header.Get("X-Request-Id"))
	}), ada)
	for _, path := range []string{"/v1/t/ada/x", "/v1/t/ada/a%20b", "/v1/t/nobody/x"} { // loops, net/http, a problem
		for _, id := range []string{"<script>alert(1)</script>", `"><img src=x>`, "0193a6e0-7c1e-7b5e-9f0a-2b3c4d5e6f70"} {
			c, br := rawConn(t, rt)
			fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: x\r\nX-Request-Id: %s\r\n\r\n", path, id)
			resp, body := readAnswer(t, br, "GET")
			got := resp.Header.Get("X-Request-Id")
			safe := !strings.ContainsAny(id, `<>"`)
			if safe != (got == id) || got == "" || strings.ContainsAny(got+body, "<>") {
				t.Errorf("%s with id %q: answered id %q, body %q", path, id, got, body)
			}
		}
	}
	for _, id := range seen {
		if strings.ContainsAny(id, `<>"`) || id == "" {
			t.Errorf("the cell was sent request id %q", id)
		}
	}
}
