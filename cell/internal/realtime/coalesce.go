package realtime

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// coalescer decides, ten times a second, whether the replica is busy —
// writing more than from frames a second — and starts, every window, the
// pumps of the sessions deferred meanwhile. A busy replica's write system
// calls are most of its work and each carries one frame to one client; a
// session that gathers for a window sends what arrived meanwhile in one
// call (see corkWriter), so at high rates a client's frames share system
// calls and TCP segments, and the replica starts one pump per window
// instead of one per frame. Below the rate nothing waits.
type coalescer struct {
	from   float64
	window time.Duration

	frames atomic.Int64 // frames written to clients
	writes atomic.Int64 // the system calls that wrote them
	busy   atomic.Bool

	mu       sync.Mutex
	deferred []*session
}

// later queues s, whose pump is not running, for the next window.
func (c *coalescer) later(s *session) {
	c.mu.Lock()
	c.deferred = append(c.deferred, s)
	c.mu.Unlock()
}

// run measures the rate and starts deferred pumps until ctx ends, then
// starts what is left.
func (c *coalescer) run(ctx context.Context) {
	t := time.NewTicker(c.window)
	defer t.Stop()
	last, lastAt := c.frames.Load(), time.Now()
	start := func() {
		c.mu.Lock()
		d := c.deferred
		c.deferred = nil
		c.mu.Unlock()
		for _, s := range d {
			go s.pump()
		}
	}
	for {
		select {
		case <-ctx.Done():
			c.busy.Store(false)
			start()
			return
		case now := <-t.C:
			if el := now.Sub(lastAt); el >= 100*time.Millisecond {
				n := c.frames.Load()
				c.busy.Store(float64(n-last)/el.Seconds() > c.from)
				last, lastAt = n, now
			}
			start()
		}
	}
}
