package realtime

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/pushnchat/pushnchat/internal/netx"
)

// leanBuffer is the size of a session's read and write buffers. Frames
// are small (MaxFrameBytes at most, typically a few hundred bytes); a
// larger frame is read in several steps and written straight through.
const leanBuffer = 512

// leanHijacker hands the WebSocket library buffers of leanBuffer bytes
// instead of net/http's 4 KiB ones: with thousands of idle sessions those
// buffers are most of a session's memory.
type leanHijacker struct {
	http.ResponseWriter
	out *corkWriter
}

func (w *leanHijacker) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Hijack implements http.Hijacker. Bytes the client sent right after its
// handshake, already buffered by net/http, are read first.
func (w *leanHijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	if n := brw.Reader.Buffered(); n > 0 {
		early, _ := brw.Reader.Peek(n)
		conn = &netx.PrefixConn{Conn: conn, Prefix: append([]byte(nil), early...)}
	}
	w.out = &corkWriter{w: conn}
	return conn, bufio.NewReadWriter(bufio.NewReaderSize(conn, leanBuffer), bufio.NewWriterSize(w.out, leanBuffer)), nil
}

// corkLimit is how much a corked session gathers before writing anyway.
const corkLimit = 32 << 10

// corkWriter sits between the WebSocket library's buffer and the socket.
// Corked, it gathers what the library flushes, so the frames a pump
// writes in one go leave in one system call.
type corkWriter struct {
	mu     sync.Mutex
	w      io.Writer
	writes *atomic.Int64 // counts the calls to w, when set
	corked bool
	buf    []byte  // what gathered, in *pooled while corked
	pooled *[]byte // from corkPool
}

func (c *corkWriter) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.corked {
		return c.write(p)
	}
	if len(c.buf)+len(p) > corkLimit {
		if err := c.flushLocked(); err != nil {
			return 0, err
		}
		if len(p) > corkLimit {
			return c.write(p)
		}
	}
	if c.pooled == nil {
		c.pooled = corkPool.Get().(*[]byte)
		c.buf = (*c.pooled)[:0]
	}
	c.buf = append(c.buf, p...)
	return len(p), nil
}

func (c *corkWriter) cork() {
	c.mu.Lock()
	c.corked = true
	c.mu.Unlock()
}

// uncork writes what gathered and stops gathering.
func (c *corkWriter) uncork() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.corked = false
	return c.flushLocked()
}

func (c *corkWriter) flushLocked() error {
	if c.pooled == nil {
		return nil
	}
	_, err := c.write(c.buf)
	*c.pooled = c.buf[:0]
	corkPool.Put(c.pooled)
	c.buf, c.pooled = nil, nil
	return err
}

func (c *corkWriter) write(p []byte) (int, error) {
	if c.writes != nil {
		c.writes.Add(1)
	}
	return c.w.Write(p)
}

var corkPool = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}
