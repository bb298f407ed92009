package proxy

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// upstreams is a pool of idle HTTP/1.1 keep-alive connections per cell
// address. Forwarding a plain request over one of them takes one write and
// one read on the handler's own goroutine, where net/http's Transport
// hands each request between three goroutines; on a loaded machine that
// difference is most of the router's cost per request.
type upstreams struct {
	mu     sync.Mutex
	idle   map[string][]*upConn
	max    int
	dialer net.Dialer
}

type upConn struct {
	c  net.Conn
	br *bufio.Reader
	bw *bufio.Writer
}

func newUpstreams() *upstreams {
	return &upstreams{idle: map[string][]*upConn{}, max: 256, dialer: net.Dialer{Timeout: 2 * time.Second, KeepAlive: 30 * time.Second}}
}

func (u *upstreams) get(addr string) (*upConn, bool, error) {
	u.mu.Lock()
	if l := u.idle[addr]; len(l) > 0 {
		c := l[len(l)-1]
		u.idle[addr] = l[:len(l)-1]
		u.mu.Unlock()
		return c, true, nil
	}
	u.mu.Unlock()
	c, err := u.dialer.Dial("tcp", addr)
	if err != nil {
		return nil, false, err
	}
	return &upConn{c: c, br: bufio.NewReaderSize(c, 16<<10), bw: bufio.NewWriterSize(c, 16<<10)}, false, nil
}

func (u *upstreams) put(addr string, c *upConn) {
	u.mu.Lock()
	if len(u.idle[addr]) < u.max {
		u.idle[addr] = append(u.idle[addr], c)
		c = nil
	}
	u.mu.Unlock()
	if c != nil {
		c.c.Close()
	}
}

// fastEligible: plain requests without a body or with a known length. The
// rest (upgrades, chunked uploads) goes through httputil.ReverseProxy.
func fastEligible(r *http.Request) bool {
	return r.Header.Get("Upgrade") == "" && r.ProtoMajor == 1 && (r.ContentLength >= 0) &&
		(r.ContentLength == 0 || r.Body != nil) && len(r.TransferEncoding) == 0
}

var errUpstream = errors.New("proxy: upstream failed")

// isHop reports headers meaningful for one connection only, never forwarded.
func isHop(k string) bool {
	switch k {
	case "Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade":
		return true
	}
	return false
}

// forward sends r to the cell at t and copies the answer to w. An error
// means nothing has been written to w yet.
func (rt *Router) forward(w http.ResponseWriter, r *http.Request, t target) error {
	idempotent := (r.Method == http.MethodGet || r.Method == http.MethodHead) && r.ContentLength == 0
	for attempt := 0; ; attempt++ {
		c, reused, err := rt.fast.get(t.url.Host)
		if err != nil {
			return errors.Join(errUpstream, err)
		}
		resp, err := roundTrip(c, r, t.url.Host)
		if err != nil {
			c.c.Close()
			// A kept-alive connection the cell closed meanwhile: try a new one.
			if reused && idempotent && attempt == 0 {
				continue
			}
			return errors.Join(errUpstream, err)
		}
		h := w.Header()
		for k, vs := range resp.Header {
			if !isHop(k) {
				h[k] = vs
			}
		}
		h.Set("X-PushNchat-Cell", t.cell)
		w.WriteHeader(resp.StatusCode)
		var copyErr error
		if resp.ContentLength < 0 {
			// A stream (event stream, chunked): pass each piece on at once.
			copyErr = copyFlushing(w, resp.Body)
		} else {
			_, copyErr = io.Copy(w, resp.Body)
		}
		resp.Body.Close()
		if copyErr == nil && !resp.Close {
			rt.fast.put(t.url.Host, c)
		} else {
			c.c.Close()
		}
		return nil
	}
}

// roundTrip writes r as an HTTP/1.1 request for host — its headers less the
// hop-by-hop ones, plus X-Forwarded-* — and reads the answer. Header
// values come from net/http's parser, which refuses CR and LF in them.
func roundTrip(c *upConn, r *http.Request, host string) (*http.Response, error) {
	_ = c.c.SetDeadline(time.Now().Add(60 * time.Second))
	bw := c.bw
	bw.WriteString(r.Method)
	bw.WriteByte(' ')
	bw.WriteString(r.URL.RequestURI())
	bw.WriteString(" HTTP/1.1\r\nHost: ")
	bw.WriteString(host)
	bw.WriteString("\r\n")
	for k, vs := range r.Header {
		if isHop(k) || k == "X-Forwarded-For" || k == "X-Forwarded-Host" || k == "X-Forwarded-Proto" {
			continue
		}
		for _, v := range vs {
			bw.WriteString(k)
			bw.WriteString(": ")
			bw.WriteString(v)
			bw.WriteString("\r\n")
		}
	}
	if ip, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		bw.WriteString("X-Forwarded-For: ")
		if prior := r.Header.Get("X-Forwarded-For"); prior != "" {
			bw.WriteString(prior)
			bw.WriteString(", ")
		}
		bw.WriteString(ip)
		bw.WriteString("\r\n")
	}
	bw.WriteString("X-Forwarded-Host: ")
	bw.WriteString(r.Host)
	bw.WriteString("\r\nX-Forwarded-Proto: http\r\n")
	if r.ContentLength > 0 {
		bw.WriteString("Content-Length: ")
		bw.WriteString(strconv.FormatInt(r.ContentLength, 10))
		bw.WriteString("\r\n\r\n")
		if _, err := io.CopyN(bw, r.Body, r.ContentLength); err != nil {
			return nil, err
		}
	} else {
		bw.WriteString("\r\n")
	}
	if err := bw.Flush(); err != nil {
		return nil, err
	}
	return http.ReadResponse(c.br, r)
}

func copyFlushing(w http.ResponseWriter, body io.Reader) error {
	rc := http.NewResponseController(w)
	buf := make([]byte, 32<<10)
	for {
		n, err := body.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return werr
			}
			_ = rc.Flush()
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
