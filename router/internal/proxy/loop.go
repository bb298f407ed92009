package proxy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"

	"github.com/pushnchat/pushnchat/internal/netx"
	"github.com/pushnchat/pushnchat/internal/problem"
	"github.com/pushnchat/pushnchat/internal/requestid"
	"github.com/pushnchat/pushnchat/router/internal/h1"
	"github.com/pushnchat/pushnchat/router/internal/lookup"
)

// Limits of the event-loop path. A request beyond them is served by the
// net/http path instead, which has its own.
const (
	loopMaxHead         = 16 << 10 // request or response head
	loopMaxBody         = 1 << 20  // request body buffered before forwarding
	loopReadHeadTimeout = 10 * time.Second
	loopIdleTimeout     = 2 * time.Minute
)

// LoopServer is the router's front: event loops (epoll, through gnet) that
// parse plain HTTP/1.1 requests, route them from the directory cache and
// relay them over kept-alive cell connections owned by the same loop —
// two reads and two writes per request and no goroutine hand-offs, which
// is what an Envoy or nginx worker does.
//
// The loops take only what they fully understand: a well-formed HTTP/1.1
// request without Upgrade, Transfer-Encoding or Expect, with at most
// loopMaxBody of body, for a key found in the cache and a cell believed up.
// Anything else — a cache miss, a problem to answer, a WebSocket, a
// chunked upload, a malformed request — hands the connection, with the
// bytes already read, to the Router's net/http server, which serves it
// from then on.
type LoopServer struct {
	gnet.BuiltinEventEngine
	// UpstreamTimeout bounds the wait for a cell's answer, and then for
	// each piece of it; 60 s unless set before Start.
	UpstreamTimeout time.Duration
	// ReadTimeout bounds the arrival of a request head, and each pause in
	// the arrival of its body; 10 s unless set before Start.
	ReadTimeout time.Duration
	// UpstreamIdle is how long a cell connection stays idle in the pool
	// before the loops close it; upstreamIdle unless set before Start.
	UpstreamIdle time.Duration

	rt       *Router
	log      *slog.Logger
	loops    int
	fallback *http.Server
	handed   *connQueue

	engine   gnet.Engine
	addr     net.Addr
	booted   chan struct{}
	stopped  chan struct{}
	runErr   error
	states   sync.Map // gnet.EventLoop → *loopState
	addrs    sync.Map // "host:port" → *net.TCPAddr
	draining atomic.Bool
	shutOnce sync.Once
	shutErr  error
	open     atomic.Int64 // client connections on the loops
}

// loopState is one event loop's own: only that loop touches it.
type loopState struct {
	el      gnet.EventLoop
	idle    map[string][]*upstream
	clients map[*client]struct{}
}

type client struct {
	c          gnet.Conn
	ls         *loopState
	up         *upstream // the request in flight
	out        []byte    // scratch: the request as forwarded, then the answer's head
	raw        []byte    // the request in flight as received, for a hand-over
	idempotent bool
	closeAfter bool
	sent       bool    // the request in flight was handed whole to its cell connection
	reusedUp   bool    // over a kept-alive cell connection
	failed     failure // the upstream failed before answering (failure.go)
	reqID      string
	cell       string    // of the request in flight
	since      time.Time // start of the current wait
	partial    bool      // part of a request is buffered
	got        int       // bytes of it buffered at the last look
}

// NewLoopServer serves rt on n event loops (n ≤ 0: one per CPU).
func NewLoopServer(rt *Router, n int, log *slog.Logger) *LoopServer {
	s := &LoopServer{UpstreamTimeout: 60 * time.Second, ReadTimeout: loopReadHeadTimeout, UpstreamIdle: upstreamIdle, rt: rt, log: log, loops: n, handed: newConnQueue(), booted: make(chan struct{}), stopped: make(chan struct{})}
	s.fallback = &http.Server{Handler: rt, ReadHeaderTimeout: loopReadHeadTimeout, IdleTimeout: loopIdleTimeout,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	return s
}

// Start listens on addr ("host:port") and returns once connections are
// accepted; Addr then says where.
func (s *LoopServer) Start(addr string) error {
	go func() { _ = s.fallback.Serve(s.handed) }()
	// SO_REUSEADDR, as net.Listen sets it: a router restarted at once
	// must bind its port though the connections it closed wait out
	// TIME_WAIT there.
	opts := []gnet.Option{gnet.WithReusePort(false), gnet.WithReuseAddr(true), gnet.WithTCPNoDelay(gnet.TCPNoDelay), gnet.WithLogger(gnetLogger{s.log}),
		gnet.WithLoadBalancing(gnet.LeastConnections), gnet.WithReadBufferCap(64 << 10)}
	if s.loops > 0 {
		opts = append(opts, gnet.WithNumEventLoop(s.loops))
	} else {
		opts = append(opts, gnet.WithMulticore(true))
	}
	go func() {
		s.runErr = gnet.Run(s, "tcp://"+addr, opts...)
		close(s.stopped)
	}()
	select {
	case <-s.booted:
	case <-s.stopped:
		return fmt.Errorf("router: listen %s: %w", addr, s.runErr)
	}
	go s.sweepEvery(time.Second)
	return nil
}

// Addr is the address being served.
func (s *LoopServer) Addr() net.Addr { return s.addr }

// Shutdown stops taking requests: idle connections close at once, busy
// ones after their answer; it returns when all are gone or ctx ends.
// Calls after the first wait for it and return its result.
func (s *LoopServer) Shutdown(ctx context.Context) error {
	s.shutOnce.Do(func() { s.shutErr = s.shutdown(ctx) })
	return s.shutErr
}

func (s *LoopServer) shutdown(ctx context.Context) error {
	s.draining.Store(true)
	s.sweep()
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
wait:
	for s.open.Load() > 0 {
		select {
		case <-ctx.Done():
			break wait // out of time: Stop closes what is left
		case <-t.C:
			s.sweep()
		}
	}
	err := s.engine.Stop(ctx)
	<-s.stopped
	s.handed.Close()
	return errors.Join(err, s.fallback.Shutdown(ctx))
}

// OnBoot learns the listening address.
func (s *LoopServer) OnBoot(eng gnet.Engine) gnet.Action {
	s.engine = eng
	if fd, err := eng.Dup(); err == nil {
		if sa, err := unix.Getsockname(fd); err == nil {
			switch a := sa.(type) {
			case *unix.SockaddrInet4:
				s.addr = &net.TCPAddr{IP: net.IP(a.Addr[:]), Port: a.Port}
			case *unix.SockaddrInet6:
				s.addr = &net.TCPAddr{IP: net.IP(a.Addr[:]), Port: a.Port}
			}
		}
		unix.Close(fd)
	}
	close(s.booted)
	return gnet.None
}

func (s *LoopServer) state(el gnet.EventLoop) *loopState {
	if v, ok := s.states.Load(el); ok {
		return v.(*loopState)
	}
	ls := &loopState{el: el, idle: map[string][]*upstream{}, clients: map[*client]struct{}{}}
	s.states.Store(el, ls)
	return ls
}

// OnOpen sets up an accepted client, or sends the request waiting for a
// cell connection that just connected.
func (s *LoopServer) OnOpen(c gnet.Conn) ([]byte, gnet.Action) {
	if up, ok := c.Context().(*upstream); ok {
		up.c = c
		if up.cl == nil {
			return nil, gnet.Close // its client left while it connected
		}
		p := up.pending
		up.pending = nil
		up.cl.since, up.cl.sent = time.Now(), true // gnet writes p
		return p, gnet.None
	}
	cl := &client{c: c, ls: s.state(c.EventLoop()), since: time.Now()}
	cl.ls.clients[cl] = struct{}{}
	c.SetContext(cl)
	s.open.Add(1)
	if s.draining.Load() {
		return nil, gnet.Close
	}
	return nil, gnet.None
}

// OnClose unlinks a connection from its peer. It never closes anything
// synchronously: the peer may be the connection whose event is running.
func (s *LoopServer) OnClose(c gnet.Conn, _ error) gnet.Action {
	switch x := c.Context().(type) {
	case *client:
		delete(x.ls.clients, x)
		s.open.Add(-1)
		if up := x.up; up != nil {
			x.up, up.cl = nil, nil
			if up.c != nil {
				_ = up.c.Close()
			}
		}
	case *upstream:
		x.ls.dropIdle(x)
		cl := x.cl
		if cl == nil {
			return gnet.None
		}
		x.cl, cl.up = nil, nil
		switch {
		case !x.started:
			cl.failed = failUnanswered
			if !cl.sent { // the write failed: nothing reached the cell
				cl.failed = failNotSent
			}
			_ = cl.c.Wake(nil)
		default: // an answer delimited by the close has ended; any other is cut short
			_ = cl.c.Close()
		}
	}
	return gnet.None
}

// OnTraffic reads requests from clients and answers from cells.
func (s *LoopServer) OnTraffic(c gnet.Conn) gnet.Action {
	switch x := c.Context().(type) {
	case *client:
		return s.request(x)
	case *upstream:
		return s.answer(x)
	}
	return gnet.Close
}

// request handles what a client sent (or a wake-up): a failed upstream's
// consequence, else the next complete request, if nothing is in flight.
func (s *LoopServer) request(cl *client) gnet.Action {
	if f := cl.failed; f != failNone {
		cl.failed = failNone
		switch {
		case f == failDial:
			// The net/http path dials once more, and answers for itself.
			return s.handOver(cl, cl.raw, handoverDial)
		case f == failNotSent, f == failUnanswered && cl.reusedUp && cl.idempotent:
			// Nothing reached the cell, or a kept-alive connection the
			// cell closed meanwhile took an idempotent request: send it
			// again, on a fresh connection.
			return s.handOver(cl, cl.raw, handoverRetry)
		}
		s.writeProblem(cl, s.rt.failed(cl.cell, f, nil))
		if cl.closeAfter {
			return gnet.Close
		}
	}
	if cl.up != nil {
		return gnet.None // the next request waits for this answer
	}
	return s.next(cl)
}

// next takes one complete request from the client's buffer, if there is
// one, and forwards it or hands the connection over. A request pipelined
// behind it waits in the buffer until the answer is relayed.
func (s *LoopServer) next(cl *client) gnet.Action {
	buf, _ := cl.c.Peek(-1)
	if len(buf) == 0 {
		cl.partial = false
		return gnet.None
	}
	end := bytes.Index(buf, h1.CRLF2)
	if end < 0 {
		if len(buf) > loopMaxHead {
			return s.handOver(cl, nil, handoverUnsupported)
		}
		if !cl.partial {
			cl.partial, cl.since = true, time.Now()
		}
		return gnet.None
	}
	var h h1.Request
	if !h1.ParseRequest(buf[:end+4], &h) || h.ContentLength > loopMaxBody {
		return s.handOver(cl, nil, handoverUnsupported)
	}
	total := end + 4 + int(h.ContentLength)
	if len(buf) < total {
		// A body still arriving: the timeout counts from its last progress,
		// so a slow mobile upload is not cut off (a head must arrive whole
		// within the timeout).
		if !cl.partial || len(buf) > cl.got {
			cl.partial, cl.since = true, time.Now()
		}
		cl.got = len(buf)
		return gnet.None
	}
	if bulky(&h) {
		return s.handOver(cl, nil, handoverBulky)
	}
	t, err := s.rt.routeBy(h.Path, h.Query, func() (string, error) {
		if h.Bearer == "" {
			return "", errNotCached
		}
		return uidOf(h.Bearer)
	}, func(key string) (lookup.Entry, error) {
		if e, ok := s.rt.resolver.Cached(key); ok {
			return e, nil
		}
		return lookup.Entry{}, errNotCached
	})
	if err != nil || t.cell == controlPlane || t.cell == webApp {
		return s.handOver(cl, nil, handoverRoute)
	}
	addr, ok := s.tcpAddr(t.url.Host)
	if !ok {
		return s.handOver(cl, nil, handoverRoute)
	}
	cl.reqID = h.RequestID
	if !requestid.Valid(cl.reqID) {
		cl.reqID = s.rt.newRequestID()
	}
	cl.raw = append(cl.raw[:0], buf[:total]...)
	cl.out = appendUpstreamRequest(cl.out[:0], &h, buf[:total], end+4, t.url.Host, cl.reqID, cl.c.RemoteAddr(), s.rt.edgeToken)
	cl.idempotent = (h.Method == "GET" || h.Method == "HEAD") && h.ContentLength == 0
	cl.closeAfter = h.Close || s.draining.Load()
	cl.partial, cl.got = false, 0
	cl.cell = t.cell
	_, _ = cl.c.Discard(total)
	s.rt.counts.loopRequests.Add(1)
	s.send(cl, t, addr, h.Method == "HEAD")
	return gnet.None
}

var errNotCached = errors.New("proxy: not answerable from the cache")

// bulky: downloads of media and attachments, up to megabytes each. The
// loops hold an answer in memory until the client takes it; net/http
// streams it at the client's pace, so these go there.
func bulky(h *h1.Request) bool {
	return h.Method == "GET" && (strings.Contains(h.Path, "/media/") || strings.Contains(h.Path, "/attachments/"))
}

// writeProblem answers the request in flight with a problem, as the
// net/http path would.
func (s *LoopServer) writeProblem(cl *client, err error) {
	p, retry := problem.From(err, "", cl.reqID)
	body, _ := json.Marshal(p)
	body = append(body, '\n')
	b := cl.out[:0]
	b = fmt.Appendf(b, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nCache-Control: no-store\r\nX-Request-Id: %s\r\nContent-Length: %d\r\n",
		p.Status, http.StatusText(p.Status), problem.ContentType, cl.reqID, len(body))
	if retry > 0 {
		b = fmt.Appendf(b, "Retry-After: %d\r\n", retry)
	}
	if cl.closeAfter {
		b = append(b, "Connection: close\r\n"...)
	}
	b = append(b, "\r\n"...)
	b = append(b, body...)
	cl.out = b
	_, _ = cl.c.Write(b)
}

// handOver gives the client's connection to the net/http server, prefixed
// by prefix and everything still buffered. It must run in the client's
// own event; the returned action closes the loop's copy.
func (s *LoopServer) handOver(cl *client, prefix []byte, why handover) gnet.Action {
	s.rt.counts.handovers[why].Add(1)
	fd, err := cl.c.Dup()
	if err != nil {
		return gnet.Close
	}
	rest, _ := cl.c.Peek(-1)
	data := make([]byte, 0, len(prefix)+len(rest))
	data = append(append(data, prefix...), rest...)
	f := os.NewFile(uintptr(fd), "client")
	nc, err := net.FileConn(f)
	f.Close()
	if err != nil {
		return gnet.Close
	}
	s.handed.push(&problemConn{Conn: &netx.PrefixConn{Conn: nc, Prefix: data}, rt: s.rt})
	return gnet.Close
}

// gnetLogger sends gnet's own messages to the service log.
type gnetLogger struct{ log *slog.Logger }

func (g gnetLogger) Debugf(string, ...any) {}
func (g gnetLogger) Infof(f string, a ...any) {
	g.log.Debug(fmt.Sprintf(f, a...), "component", "event-loop")
}
func (g gnetLogger) Warnf(f string, a ...any) {
	g.log.Warn(fmt.Sprintf(f, a...), "component", "event-loop")
}
func (g gnetLogger) Errorf(f string, a ...any) {
	g.log.Error(fmt.Sprintf(f, a...), "component", "event-loop")
}
func (g gnetLogger) Fatalf(f string, a ...any) {
	g.log.Error(fmt.Sprintf(f, a...), "component", "event-loop")
	os.Exit(1)
}
