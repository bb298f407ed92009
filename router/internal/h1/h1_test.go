package h1

import (
	"bufio"
	"bytes"
	"net/http"
	"testing"
)

func TestChunkScannerAtEverySplit(t *testing.T) {
	body := "4\r\nWiki\r\n7;ext=1\r\npedia i\r\nB\r\nn \r\nchunks.\r\n0\r\nTrailer: yes\r\n\r\n"
	next := "HTTP/1.1 200 OK\r\n"
	for cut := 0; cut <= len(body); cut++ {
		var s ChunkScanner
		n1, done1, ok1 := s.Scan([]byte(body[:cut]))
		if !ok1 || done1 && cut < len(body) {
			t.Fatalf("cut %d: first part ok=%v done=%v", cut, ok1, done1)
		}
		if done1 {
			continue
		}
		n2, done2, ok2 := s.Scan([]byte(body[cut:] + next))
		if !ok2 || !done2 || n1+n2 != len(body) {
			t.Fatalf("cut %d: end at %d (done %v ok %v); want %d", cut, n1+n2, done2, ok2, len(body))
		}
	}
	for _, bad := range []string{"x\r\n", "4\r\nWikiXX", "\r\n", "4\nWiki"} {
		var s ChunkScanner
		if _, _, ok := s.Scan([]byte(bad)); ok {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestRequestHeadsTaken(t *testing.T) {
	take := []string{
		"GET /v1/t/ada/x?q=1 HTTP/1.1\r\nHost: a\r\n\r\n",
		"POST /v1/t/ada/x HTTP/1.1\r\nhost: a\r\ncontent-length: 3\r\nConnection: keep-alive\r\n\r\n",
		"GET /v1/me HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer a.b.c\r\nX-Forwarded-For: 10.0.0.1\r\n\r\n",
	}
	leave := []string{
		"GET /v1/t/ada/x HTTP/1.0\r\nHost: a\r\n\r\n",
		"GET http://a/v1/t/ada/x HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET /v1/t/ada/../b HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET /v1/t/ada//b HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET /v1/t/a%64a HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET /v1/t/ada/x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
		"GET /v1/t/ada/x HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",
		"GET /v1/t/ada/x HTTP/1.1\r\nHost : a\r\n\r\n",
		"GET /v1/t/ada/x HTTP/1.1\r\nHost: a\r\nX: a\x00b\r\n\r\n",
		"GET /v1/t/ada/x HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n",
		"POST /v1/t/ada/x HTTP/1.1\r\nHost: a\r\nContent-Length: +3\r\n\r\n",
		"POST /v1/t/ada/x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
		"GET /v1/t/ada/x HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
		"GET /v1/t/ada/x HTTP/1.1\r\nHost: a\r\nConnection: close, X-Secret\r\n\r\n",
		"POST /v1/t/ada/x HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n",
		"get /v1/t/ada/x HTTP/1.1\r\nHost: a\r\n\r\n",
	}
	var h Request
	for _, r := range take {
		if !ParseRequest([]byte(r), &h) {
			t.Errorf("refused %q", r)
		}
	}
	for _, r := range leave {
		if ParseRequest([]byte(r), &h) {
			t.Errorf("took %q", r)
		}
	}
}

// Whatever ParseRequest takes, net/http reads the same way: method, path,
// host and body length agree, so the two paths never disagree on where a
// request ends.
func FuzzRequestHeadAgreesWithNetHTTP(f *testing.F) {
	f.Add([]byte("GET /v1/t/ada/x?q=1 HTTP/1.1\r\nHost: a\r\n\r\n"))
	f.Add([]byte("POST /v1/t/ada/x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n"))
	f.Add([]byte("POST /v1/t/ada/x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"))
	f.Add([]byte("GET /v1/t/ada/x HTTP/1.1\r\nHost: a\r\nX: \t v \t\r\nConnection: close\r\n\r\n"))
	f.Fuzz(func(t *testing.T, head []byte) {
		end := bytes.Index(head, CRLF2)
		if end < 0 {
			return
		}
		head = head[:end+4]
		var h Request
		if !ParseRequest(head, &h) {
			return
		}
		r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(head)))
		if err != nil {
			t.Fatalf("taken by ParseRequest, refused by net/http (%v): %q", err, head)
		}
		if r.Method != h.Method || r.URL.Path != h.Path || r.Host != string(h.Host) || r.ContentLength != h.ContentLength || r.Close != h.Close {
			t.Fatalf("disagreement on %q: net/http %s %s %s %d close=%v; h1 %s %s %s %d close=%v", head,
				r.Method, r.URL.Path, r.Host, r.ContentLength, r.Close, h.Method, h.Path, h.Host, h.ContentLength, h.Close)
		}
	})
}
