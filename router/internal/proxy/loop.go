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

type upstream struct {
	c         gnet.Conn // nil while dialling
	ls        *loopState
	addr      string
	cell      string
	cl        *client
	idleSince time.Time // while in the idle pool
	pending   []byte    // request to send once connected
	started   bool      // the answer's head went to the client
	mode      bodyMode
	remaining int64
	chunks    chunkScanner
	keep      bool
	done      bool
	head      bool // answering a HEAD: no body
}

type bodyMode uint8

const (
	bodyNone bodyMode = iota
	bodyLength
	bodyChunked
	bodyUntilClose
)

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
	opts := []gnet.Option{gnet.WithReusePort(false), gnet.WithTCPNoDelay(gnet.TCPNoDelay), gnet.WithLogger(gnetLogger{s.log}),
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
	end := bytes.Index(buf, crlf2)
	if end < 0 {
		if len(buf) > loopMaxHead {
			return s.handOver(cl, nil, handoverUnsupported)
		}
		if !cl.partial {
			cl.partial, cl.since = true, time.Now()
		}
		return gnet.None
	}
	var h reqHead
	if !parseRequestHead(buf[:end+4], &h) || h.contentLength > loopMaxBody {
		return s.handOver(cl, nil, handoverUnsupported)
	}
	total := end + 4 + int(h.contentLength)
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
	t, err := s.rt.routeBy(h.path, h.query, func() (string, error) {
		if h.bearer == "" {
			return "", errNotCached
		}
		return uidOf(h.bearer)
	}, func(key string) (lookup.Entry, error) {
		if e, ok := s.rt.resolver.Cached(key); ok {
			return e, nil
		}
		return lookup.Entry{}, errNotCached
	})
	if err != nil || t.cell == controlPlane {
		return s.handOver(cl, nil, handoverRoute)
	}
	addr, ok := s.tcpAddr(t.url.Host)
	if !ok {
		return s.handOver(cl, nil, handoverRoute)
	}
	cl.reqID = h.requestID
	if !requestid.Valid(cl.reqID) {
		cl.reqID = s.rt.newRequestID()
	}
	cl.raw = append(cl.raw[:0], buf[:total]...)
	cl.out = appendUpstreamRequest(cl.out[:0], &h, buf[:total], end+4, t.url.Host, cl.reqID, cl.c.RemoteAddr(), s.rt.edgeToken)
	cl.idempotent = (h.method == "GET" || h.method == "HEAD") && h.contentLength == 0
	cl.closeAfter = h.close || s.draining.Load()
	cl.partial, cl.got = false, 0
	cl.cell = t.cell
	_, _ = cl.c.Discard(total)
	s.rt.counts.loopRequests.Add(1)
	s.send(cl, t, addr, h.method == "HEAD")
	return gnet.None
}

var errNotCached = errors.New("proxy: not answerable from the cache")

// bulky: downloads of media and attachments, up to megabytes each. The
// loops hold an answer in memory until the client takes it; net/http
// streams it at the client's pace, so these go there.
func bulky(h *reqHead) bool {
	return h.method == "GET" && (strings.Contains(h.path, "/media/") || strings.Contains(h.path, "/attachments/"))
}

// send puts the client's request on an idle connection to the cell, or a
// new one.
func (s *LoopServer) send(cl *client, t target, addr *net.TCPAddr, head bool) {
	cl.since, cl.sent = time.Now(), false
	up := cl.ls.takeIdle(t.url.Host)
	if up != nil {
		up.reset(cl, head)
		up.cell = t.cell // connections are pooled by address, which two cells may share
		cl.up, cl.reusedUp = up, true
		// A failure closes up (OnClose, inside Write: cl.sent is still
		// false, so the request counts as never sent), which wakes the
		// client.
		_, err := up.c.Write(cl.out)
		cl.sent = err == nil
		return
	}
	up = &upstream{ls: cl.ls, addr: t.url.Host, cell: t.cell, pending: cl.out}
	up.reset(cl, head)
	cl.up, cl.reusedUp = up, false
	ch, err := cl.ls.el.Register(gnet.NewContext(context.Background(), up), addr)
	if err != nil {
		up.cl, cl.up = nil, nil
		cl.failed = failDial
		_ = cl.c.Wake(nil)
		return
	}
	el := cl.ls.el
	go func() {
		if r := <-ch; r.Err != nil {
			_ = el.Execute(context.Background(), gnet.RunnableFunc(func(context.Context) error {
				if up.cl != nil && up.c == nil {
					c := up.cl
					up.cl, c.up = nil, nil
					c.failed = failDial
					_ = c.c.Wake(nil)
				}
				return nil
			}))
		}
	}()
}

func (up *upstream) reset(cl *client, head bool) {
	up.cl, up.started, up.done, up.keep = cl, false, false, true
	up.mode, up.remaining, up.chunks, up.head = bodyNone, 0, chunkScanner{}, head
}

// answer relays what a cell sent to the client waiting for it.
func (s *LoopServer) answer(up *upstream) gnet.Action {
	cl := up.cl
	if cl == nil {
		return gnet.Close // an idle connection has nothing to say
	}
	buf, _ := up.c.Peek(-1)
	used := 0
	if !up.started {
		end := bytes.Index(buf, crlf2)
		if end < 0 {
			if len(buf) > loopMaxHead {
				return s.badAnswer(up)
			}
			return gnet.None
		}
		var rh respHead
		if !parseResponseHead(buf[:end+4], &rh) {
			return s.badAnswer(up)
		}
		up.started = true
		up.keep = !rh.close
		if s.draining.Load() {
			cl.closeAfter = true
		}
		switch {
		case up.head || rh.status == 204 || rh.status == 304:
			up.mode = bodyNone
		case rh.chunked:
			up.mode = bodyChunked
		case rh.contentLength >= 0:
			up.mode, up.remaining = bodyLength, rh.contentLength
		default:
			up.mode, up.keep = bodyUntilClose, false
			cl.closeAfter = true
		}
		cl.out = appendClientHead(cl.out[:0], buf[:end+4], &rh, up.cell, cl.reqID, cl.closeAfter)
		used = end + 4
	}
	n := up.body(buf[used:])
	cl.since = time.Now()
	if used > 0 {
		if n <= 16<<10 { // one buffer, one write: copying a small body costs less than writev
			cl.out = append(cl.out, buf[used:used+n]...)
			_, _ = cl.c.Write(cl.out)
		} else {
			_, _ = cl.c.Writev([][]byte{cl.out, buf[used : used+n]})
		}
	} else if n > 0 {
		_, _ = cl.c.Write(buf[:n])
	}
	_, _ = up.c.Discard(used + n)
	if !up.done {
		return gnet.None
	}
	// The answer is complete.
	if up.cl == nil { // the client went away while it was written
		return gnet.Close
	}
	up.cl, cl.up = nil, nil
	if cap(cl.raw) > 64<<10 { // keep no large request's buffers for the connection's life
		cl.raw, cl.out = nil, nil
	}
	act := gnet.None
	if up.keep && up.c.InboundBuffered() == 0 && !s.draining.Load() {
		cl.ls.putIdle(up)
	} else {
		act = gnet.Close
	}
	if cl.closeAfter || s.draining.Load() {
		_ = cl.c.Close()
	} else if cl.c.InboundBuffered() > 0 {
		_ = cl.c.Wake(nil) // a pipelined request
	} else {
		cl.since = time.Now()
	}
	return act
}

// body takes what of b belongs to the answer's body and says how much.
func (up *upstream) body(b []byte) int {
	switch up.mode {
	case bodyNone:
		up.done = true
		return 0
	case bodyLength:
		n := int64(len(b))
		if n >= up.remaining {
			n, up.done = up.remaining, true
		}
		up.remaining -= n
		return int(n)
	case bodyChunked:
		n, done, ok := up.chunks.scan(b)
		if !ok {
			up.keep, up.done = false, true // malformed framing: stop here and close both
			up.cl.closeAfter = true
			return 0
		}
		up.done = done
		return n
	default: // until close
		return len(b)
	}
}

// badAnswer: the cell's answer cannot be relayed. Before anything was
// written the client gets a 503 problem; either way the cell connection
// closes.
func (s *LoopServer) badAnswer(up *upstream) gnet.Action {
	cl := up.cl
	up.cl, cl.up = nil, nil
	s.rt.log.Warn("cell answer not understood", "cell", up.cell)
	if up.started {
		_ = cl.c.Close()
		return gnet.Close
	}
	s.writeProblem(cl, s.rt.failed(up.cell, failBadAnswer, nil))
	if cl.closeAfter {
		_ = cl.c.Close()
	} else if cl.c.InboundBuffered() > 0 {
		_ = cl.c.Wake(nil)
	}
	return gnet.Close
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

func (s *LoopServer) tcpAddr(hostport string) (*net.TCPAddr, bool) {
	if a, ok := s.addrs.Load(hostport); ok {
		return a.(*net.TCPAddr), true
	}
	a, err := net.ResolveTCPAddr("tcp", hostport)
	if err != nil {
		return nil, false
	}
	s.addrs.Store(hostport, a)
	return a, true
}

func (ls *loopState) takeIdle(addr string) *upstream {
	l := ls.idle[addr]
	if len(l) == 0 {
		return nil
	}
	up := l[len(l)-1]
	ls.idle[addr] = l[:len(l)-1]
	return up
}

func (ls *loopState) putIdle(up *upstream) {
	if len(ls.idle[up.addr]) >= 256 {
		_ = up.c.Close()
		return
	}
	up.idleSince = time.Now()
	ls.idle[up.addr] = append(ls.idle[up.addr], up)
}

func (ls *loopState) dropIdle(up *upstream) {
	l := ls.idle[up.addr]
	for i, x := range l {
		if x == up {
			ls.idle[up.addr] = append(l[:i], l[i+1:]...)
			return
		}
	}
}

// sweepEvery enforces the timeouts and the drain, on each loop.
func (s *LoopServer) sweepEvery(d time.Duration) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-s.stopped:
			return
		case <-t.C:
			s.sweep()
		}
	}
}

func (s *LoopServer) sweep() {
	s.states.Range(func(_, v any) bool {
		ls := v.(*loopState)
		_ = ls.el.Execute(context.Background(), gnet.RunnableFunc(func(context.Context) error {
			s.sweepLoop(ls, time.Now())
			return nil
		}))
		return true
	})
}

func (s *LoopServer) sweepLoop(ls *loopState, now time.Time) {
	draining := s.draining.Load()
	for cl := range ls.clients {
		waited := now.Sub(cl.since)
		switch {
		case cl.up != nil:
			if waited > s.UpstreamTimeout {
				up := cl.up
				up.cl, cl.up = nil, nil
				if up.c != nil {
					_ = up.c.Close()
				}
				if up.started {
					_ = cl.c.Close()
				} else {
					cl.failed = failTimeout
					_ = cl.c.Wake(nil)
				}
			}
		case cl.partial:
			if waited > s.ReadTimeout || draining {
				_ = cl.c.Close()
			}
		case draining || waited > loopIdleTimeout:
			_ = cl.c.Close()
		}
	}
	// Idle cell connections are closed while draining, and after
	// UpstreamIdle, before the cell's own idle timeout can close them under
	// a request already on its way. Closing runs OnClose, which takes
	// them out of the pool.
	for _, l := range ls.idle {
		for _, up := range l {
			if draining || now.Sub(up.idleSince) > s.UpstreamIdle {
				_ = up.c.Close()
			}
		}
	}
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
