package proxy

import (
	"context"
	"time"

	"github.com/panjf2000/gnet/v2"
)

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
