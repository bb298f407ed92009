package proxy

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
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

// hopHeaders are meaningful for one connection only and never forwarded.
var hopHeaders = []string{"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

// fastEligible: plain requests without a body or with a known length. The
// rest (upgrades, chunked uploads) goes through httputil.ReverseProxy.
func fastEligible(r *http.Request) bool {
	return r.Header.Get("Upgrade") == "" && r.ProtoMajor == 1 && (r.ContentLength >= 0) &&
		(r.ContentLength == 0 || r.Body != nil) && len(r.TransferEncoding) == 0
}

var errUpstream = errors.New("proxy: upstream failed")

// forward sends r to the cell at t and copies the answer to w. It returns
// errUpstream (wrapped) when nothing has been written to w yet.
func (rt *Router) forward(w http.ResponseWriter, r *http.Request, t target) error {
	out := r.Clone(r.Context())
	out.URL.Scheme, out.URL.Host = "http", t.url.Host
	out.RequestURI, out.Close = "", false
	for _, h := range hopHeaders {
		out.Header.Del(h)
	}
	if ip, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		if prior := r.Header.Get("X-Forwarded-For"); prior != "" {
			ip = prior + ", " + ip
		}
		out.Header.Set("X-Forwarded-For", ip)
	}
	out.Header.Set("X-Forwarded-Host", r.Host)
	out.Header.Set("X-Forwarded-Proto", "http")
	if _, ok := out.Header["User-Agent"]; !ok {
		out.Header.Set("User-Agent", "") // do not add Go's default
	}
	idempotent := (r.Method == http.MethodGet || r.Method == http.MethodHead) && r.ContentLength == 0
	for attempt := 0; ; attempt++ {
		c, reused, err := rt.fast.get(t.url.Host)
		if err != nil {
			return errors.Join(errUpstream, err)
		}
		resp, err := roundTrip(c, out)
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
			h[k] = vs
		}
		for _, hh := range hopHeaders {
			h.Del(hh)
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

func roundTrip(c *upConn, req *http.Request) (*http.Response, error) {
	_ = c.c.SetDeadline(time.Now().Add(60 * time.Second))
	if err := req.Write(c.bw); err != nil {
		return nil, err
	}
	if err := c.bw.Flush(); err != nil {
		return nil, err
	}
	return http.ReadResponse(c.br, req)
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
