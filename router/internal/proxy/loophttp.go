package proxy

import (
	"bytes"
	"net"
	"strconv"
	"sync"

	"github.com/pushnchat/pushnchat/internal/clientaddr"
	"github.com/pushnchat/pushnchat/internal/servicetoken"
)

// The event loops' HTTP/1.1: a strict reading of requests (anything it
// does not accept goes to net/http, so it never has to guess) and a
// relay of cell answers that keeps their framing.

var crlf2 = []byte("\r\n\r\n")

// reqHead is what the loops need of a request head.
type reqHead struct {
	method        string
	path          string
	target, host  []byte
	contentLength int64
	close         bool
	bearer        string
	requestID     string
	forwardedFor  []byte
}

// query is the raw query of the request target ("" when none).
func (h *reqHead) query() string {
	if i := bytes.IndexByte(h.target, '?'); i >= 0 {
		return string(h.target[i+1:])
	}
	return ""
}

// tokenChar: RFC 9110 tchar.
var tokenChar = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-32] = true, true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return
}()

// eachHeader calls fn for each header line of head (which starts after the
// start line and ends with the empty line), until fn says false. It
// reports false when a line is malformed: folded, without a token name,
// or with control characters in the value.
func eachHeader(head []byte, fn func(name, value []byte) bool) bool {
	for len(head) > 0 {
		i := bytes.Index(head, []byte("\r\n"))
		if i < 0 {
			return false
		}
		line := head[:i]
		head = head[i+2:]
		if len(line) == 0 {
			return len(head) == 0
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			return false
		}
		name := line[:colon]
		for _, c := range name {
			if !tokenChar[c] {
				return false
			}
		}
		value := line[colon+1:]
		for _, c := range value {
			if (c < 0x20 && c != '\t') || c == 0x7f {
				return false
			}
		}
		if !fn(name, bytes.Trim(value, " \t")) {
			return true
		}
	}
	return false
}

// parseRequestHead reads head (the request line to the empty line). It
// accepts only what the loops forward as they are: HTTP/1.1, an
// origin-form target without escapes or dot segments, one Host, at most
// one Content-Length, and no Transfer-Encoding, Upgrade or Expect.
func parseRequestHead(head []byte, h *reqHead) bool {
	i := bytes.Index(head, []byte("\r\n"))
	if i < 0 {
		return false
	}
	line := head[:i]
	sp1 := bytes.IndexByte(line, ' ')
	if sp1 <= 0 {
		return false
	}
	sp2 := bytes.IndexByte(line[sp1+1:], ' ')
	if sp2 <= 0 {
		return false
	}
	method, target, version := line[:sp1], line[sp1+1:sp1+1+sp2], line[sp1+2+sp2:]
	if string(version) != "HTTP/1.1" || target[0] != '/' {
		return false
	}
	for _, c := range method {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	path := target
	if q := bytes.IndexByte(target, '?'); q >= 0 {
		path = target[:q]
	}
	for _, c := range target {
		if c <= ' ' || c >= 0x7f || c == '#' {
			return false
		}
	}
	if bytes.IndexByte(path, '%') >= 0 || bytes.Contains(path, []byte("/.")) || bytes.Contains(path, []byte("//")) {
		return false
	}
	*h = reqHead{method: methodName(method), target: target, path: string(path)}
	ok, hosts, lengths, forwarded := true, 0, 0, 0
	wellFormed := eachHeader(head[i+2:], func(name, value []byte) bool {
		switch {
		case bytes.EqualFold(name, []byte("Host")):
			hosts++
			h.host = value
		case bytes.EqualFold(name, []byte("Content-Length")):
			lengths++
			n, err := strconv.ParseInt(string(value), 10, 64)
			if err != nil || n < 0 || len(value) == 0 || value[0] == '+' {
				ok = false
			}
			h.contentLength = n
		case bytes.EqualFold(name, []byte("Connection")):
			for _, tok := range bytes.Split(value, []byte(",")) {
				tok = bytes.Trim(tok, " \t")
				switch {
				case bytes.EqualFold(tok, []byte("close")):
					h.close = true
				case bytes.EqualFold(tok, []byte("keep-alive")), len(tok) == 0:
				default:
					ok = false // names other headers as hop-by-hop: net/http handles that
				}
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")), bytes.EqualFold(name, []byte("Upgrade")),
			bytes.EqualFold(name, []byte("Expect")):
			ok = false
		case bytes.EqualFold(name, []byte("Authorization")):
			if len(value) > 7 && bytes.EqualFold(value[:7], []byte("Bearer ")) {
				h.bearer = string(value[7:])
			}
		case bytes.EqualFold(name, []byte("X-Request-Id")):
			h.requestID = string(value)
		case bytes.EqualFold(name, []byte("X-Forwarded-For")):
			forwarded++
			h.forwardedFor = value
		}
		return ok
	})
	return wellFormed && ok && hosts == 1 && len(h.host) > 0 && lengths <= 1 && forwarded <= 1
}

// methodName spells common methods without allocating.
func methodName(m []byte) string {
	for _, k := range [...]string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"} {
		if string(m) == k {
			return k
		}
	}
	return string(m)
}

// dropped are the request headers never forwarded as received: hop-by-hop
// ones, those the router writes itself, and the service token a client
// might try.
func droppedRequestHeader(name []byte) bool {
	for _, d := range [...]string{"Host", "Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization",
		"Te", "Trailer", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Request-Id",
		clientaddr.Header, clientaddr.TokenHeader, servicetoken.Header} {
		if len(name) == len(d) && bytes.EqualFold(name, []byte(d)) {
			return true
		}
	}
	return false
}

// appendUpstreamRequest writes the request as sent to a cell at host: the
// same line, headers less the hop-by-hop ones, the X-Forwarded-* and
// X-Request-Id headers, the client's address with edgeToken when there is
// one (package clientaddr), then the body. req is the whole request as
// received, headEnd where its body starts.
func appendUpstreamRequest(b []byte, h *reqHead, req []byte, headEnd int, host, reqID string, remote net.Addr, edgeToken string) []byte {
	b = append(b, h.method...)
	b = append(b, ' ')
	b = append(b, h.target...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, host...)
	b = append(b, "\r\n"...)
	start := bytes.Index(req, []byte("\r\n")) + 2
	eachHeader(req[start:headEnd], func(name, value []byte) bool {
		if !droppedRequestHeader(name) {
			b = append(b, name...)
			b = append(b, ": "...)
			b = append(b, value...)
			b = append(b, "\r\n"...)
		}
		return true
	})
	if a, ok := remote.(*net.TCPAddr); ok {
		b = append(b, "X-Forwarded-For: "...)
		if len(h.forwardedFor) > 0 {
			b = append(b, h.forwardedFor...)
			b = append(b, ", "...)
		}
		b, _ = a.IP.AppendText(b)
		b = append(b, "\r\n"...)
		if edgeToken != "" {
			b = append(b, clientaddr.Header+": "...)
			b, _ = a.IP.AppendText(b)
			b = append(b, "\r\n"+clientaddr.TokenHeader+": "...)
			b = append(b, edgeToken...)
			b = append(b, "\r\n"...)
		}
	}
	b = append(b, "X-Forwarded-Host: "...)
	b = append(b, h.host...)
	b = append(b, "\r\nX-Forwarded-Proto: http\r\nX-Request-Id: "...)
	b = append(b, reqID...)
	b = append(b, "\r\n\r\n"...)
	return append(b, req[headEnd:]...)
}

// respHead is what the loops need of a cell's answer head.
type respHead struct {
	status        int
	contentLength int64 // -1: none given
	chunked       bool
	close         bool
}

// parseResponseHead reads a cell's answer head (an HTTP/1.1 status line to
// the empty line). 1xx answers, other transfer codings and conflicting
// lengths are refused.
func parseResponseHead(head []byte, r *respHead) bool {
	i := bytes.Index(head, []byte("\r\n"))
	if i < 12 || !bytes.HasPrefix(head, []byte("HTTP/1.1 ")) || (i > 12 && head[12] != ' ') {
		return false
	}
	status, err := strconv.Atoi(string(head[9:12]))
	if err != nil || status < 200 || status > 599 {
		return false
	}
	*r = respHead{status: status, contentLength: -1}
	ok := true
	wellFormed := eachHeader(head[i+2:], func(name, value []byte) bool {
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			n, err := strconv.ParseInt(string(value), 10, 64)
			if err != nil || n < 0 || (r.contentLength >= 0 && r.contentLength != n) {
				ok = false
			}
			r.contentLength = n
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			if !bytes.EqualFold(value, []byte("chunked")) {
				ok = false
			}
			r.chunked = true
		case bytes.EqualFold(name, []byte("Connection")):
			for _, tok := range bytes.Split(value, []byte(",")) {
				if bytes.EqualFold(bytes.Trim(tok, " \t"), []byte("close")) {
					r.close = true
				}
			}
		}
		return ok
	})
	return wellFormed && ok
}

// droppedAnswerHeader: hop-by-hop answer headers, and those the router
// writes itself. Transfer-Encoding stays: chunked bodies pass through as
// they are.
func droppedAnswerHeader(name []byte, chunked bool) bool {
	if chunked && bytes.EqualFold(name, []byte("Content-Length")) {
		return true
	}
	for _, d := range [...]string{"Connection", "Proxy-Connection", "Keep-Alive", "Te", "Trailer", "Upgrade", "X-Request-Id", "X-Pushnchat-Cell"} {
		if len(name) == len(d) && bytes.EqualFold(name, []byte(d)) {
			return true
		}
	}
	return false
}

// appendClientHead writes the answer head as the client gets it.
func appendClientHead(b, head []byte, r *respHead, cell, reqID string, closeAfter bool) []byte {
	i := bytes.Index(head, []byte("\r\n"))
	b = append(b, head[:i+2]...)
	eachHeader(head[i+2:], func(name, value []byte) bool {
		if !droppedAnswerHeader(name, r.chunked) {
			b = append(b, name...)
			b = append(b, ": "...)
			b = append(b, value...)
			b = append(b, "\r\n"...)
		}
		return true
	})
	b = append(b, "X-Request-Id: "...)
	b = append(b, reqID...)
	b = append(b, "\r\nX-Pushnchat-Cell: "...)
	b = append(b, cell...)
	if closeAfter {
		b = append(b, "\r\nConnection: close"...)
	}
	return append(b, "\r\n\r\n"...)
}

// chunkScanner follows chunked framing (RFC 9112 §7.1) across reads, to
// find where a chunked body ends.
type chunkScanner struct {
	state    uint8
	size     int64
	digits   int
	inExt    bool
	trailing bool // the current trailer line has content
}

const (
	chunkSize uint8 = iota
	chunkSizeLF
	chunkData
	chunkDataCR
	chunkDataLF
	chunkTrailer
	chunkTrailerLF
)

// scan consumes b; n is how much of it belongs to the body (all of it
// unless the body ends inside b), done whether it ended, ok false when the
// framing is malformed.
func (c *chunkScanner) scan(b []byte) (n int, done, ok bool) {
	for i := 0; i < len(b); i++ {
		ch := b[i]
		switch c.state {
		case chunkSize:
			switch {
			case ch == '\r':
				c.state = chunkSizeLF
			case c.inExt:
			case ch == ';' || ch == ' ' || ch == '\t':
				c.inExt = true
			default:
				v := hexVal(ch)
				if v < 0 || c.digits >= 15 {
					return 0, false, false
				}
				c.size, c.digits = c.size<<4|int64(v), c.digits+1
			}
		case chunkSizeLF:
			if ch != '\n' || c.digits == 0 {
				return 0, false, false
			}
			if c.size == 0 {
				c.state, c.trailing = chunkTrailer, false
			} else {
				c.state = chunkData
			}
		case chunkData:
			take := min(c.size, int64(len(b)-i))
			c.size -= take
			i += int(take) - 1
			if c.size == 0 {
				c.state = chunkDataCR
			}
		case chunkDataCR:
			if ch != '\r' {
				return 0, false, false
			}
			c.state = chunkDataLF
		case chunkDataLF:
			if ch != '\n' {
				return 0, false, false
			}
			*c = chunkScanner{}
		case chunkTrailer:
			if ch == '\r' {
				c.state = chunkTrailerLF
			} else {
				c.trailing = true
			}
		case chunkTrailerLF:
			if ch != '\n' {
				return 0, false, false
			}
			if !c.trailing {
				return i + 1, true, true
			}
			c.state, c.trailing = chunkTrailer, false
		}
	}
	return len(b), false, true
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// connQueue is a net.Listener of connections the loops hand over.
type connQueue struct {
	ch   chan net.Conn
	done chan struct{}
	once sync.Once
}

func newConnQueue() *connQueue {
	return &connQueue{ch: make(chan net.Conn, 1024), done: make(chan struct{})}
}

func (q *connQueue) push(c net.Conn) {
	select {
	case q.ch <- c:
	case <-q.done:
		c.Close()
	default: // a burst: never block a loop
		go func() {
			select {
			case q.ch <- c:
			case <-q.done:
				c.Close()
			}
		}()
	}
}

func (q *connQueue) Accept() (net.Conn, error) {
	select {
	case c := <-q.ch:
		return c, nil
	case <-q.done:
		return nil, net.ErrClosed
	}
}

func (q *connQueue) Close() error {
	q.once.Do(func() { close(q.done) })
	return nil
}

func (q *connQueue) Addr() net.Addr { return &net.TCPAddr{} }
