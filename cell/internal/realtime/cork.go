package realtime

import (
	"io"
	"sync"
	"sync/atomic"
)

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
