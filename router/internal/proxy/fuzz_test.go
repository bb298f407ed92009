package proxy

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Whatever key, method and body a client sends, framed by length or in
// chunks (malformed or not), the router's own answer is never a 5xx and no
// cell's health changes: only a cell's failures may do that. The cell
// here answers like a real one and never fails.
func FuzzRouterNeverBlamesTheCellForAClient(f *testing.F) {
	rt, health := newRouter(f, cellLike(), fakeDirectory{"t:ada": ada["t:ada"]})
	f.Add("ada", "POST", []byte(`{"title":"x"}`), false)
	f.Add("ada", "POST", []byte("zz\r\n"), true)
	f.Add("ada", "PUT", []byte("3\r\nabcdef\r\n0\r\n\r\n"), true)
	f.Add("%00", "GET", []byte{}, false)
	f.Add("urn:uuid:0193a6e0-7c1e-7b5e-9f0a-2b3c4d5e6f70", "DELETE", []byte("x"), false)
	f.Add("ada", "FUZZMETHOD", []byte(strings.Repeat("y", 70<<10)), false)
	f.Add("nobody", "GET", []byte("0\r\n\r\n"), true)
	f.Add("ada", "POST", []byte("1;ext\r\na\r\n0\r\nTrailer: x\r\n\r\n"), true)
	f.Fuzz(func(t *testing.T, key, method string, body []byte, chunked bool) {
		c, err := net.Dial("tcp", strings.TrimPrefix(rt.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		framing := fmt.Sprintf("Content-Length: %d", len(body))
		if chunked {
			framing = "Transfer-Encoding: chunked"
		}
		go func() {
			fmt.Fprintf(c, "%s /v1/t/%s/listings HTTP/1.1\r\nHost: x\r\n%s\r\n\r\n", method, url.PathEscape(key), framing)
			c.Write(body)
			c.(*net.TCPConn).CloseWrite() // a chunked body that never ends ends here
		}()
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err == nil && resp.StatusCode >= 500 {
			t.Errorf("%s %q, body %q (chunked %v): answered %d", method, key, body, chunked, resp.StatusCode)
		}
		if !health.Up("lagos-1") || !health.Up("eu-1") {
			t.Fatalf("%s %q, body %q (chunked %v) marked a cell down", method, key, body, chunked)
		}
	})
}
