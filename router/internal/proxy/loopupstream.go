package proxy

import (
	"bytes"
	"context"
	"net"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/pushnchat/pushnchat/router/internal/h1"
)

// The event loops' side of a cell: the request sent on a kept-alive cell
// connection owned by the client's loop, and the answer relayed as it
// comes, keeping its framing.

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
	chunks    h1.ChunkScanner
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
	up.mode, up.remaining, up.chunks, up.head = bodyNone, 0, h1.ChunkScanner{}, head
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
		end := bytes.Index(buf, h1.CRLF2)
		if end < 0 {
			if len(buf) > loopMaxHead {
				return s.badAnswer(up)
			}
			return gnet.None
		}
		var rh h1.Response
		if !h1.ParseResponse(buf[:end+4], &rh) {
			return s.badAnswer(up)
		}
		up.started = true
		up.keep = !rh.Close
		if s.draining.Load() {
			cl.closeAfter = true
		}
		switch {
		case up.head || rh.Status == 204 || rh.Status == 304:
			up.mode = bodyNone
		case rh.Chunked:
			up.mode = bodyChunked
		case rh.ContentLength >= 0:
			up.mode, up.remaining = bodyLength, rh.ContentLength
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
		n, done, ok := up.chunks.Scan(b)
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
