package proxy

import (
	"context"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/pushnchat/pushnchat/internal/probe"
)

// Health tracks which cells answer, from probes of each cell's /readyz and
// from failed forwards (a failed forward marks the cell down until the
// next successful probe).
type Health struct {
	mu     sync.RWMutex
	down   map[string]bool
	client *http.Client
}

// NewHealth starts with every cell assumed up.
func NewHealth() *Health {
	return &Health{down: map[string]bool{}, client: &http.Client{Timeout: time.Second}}
}

// Up reports whether cell is believed reachable.
func (h *Health) Up(cell string) bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return !h.down[cell]
}

// Fail marks cell down.
func (h *Health) Fail(cell string) {
	h.mu.Lock()
	h.down[cell] = true
	h.mu.Unlock()
}

// Watch probes cells every interval until ctx ends.
func (h *Health) Watch(ctx context.Context, cells func() map[string]*url.URL, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		var wg sync.WaitGroup
		for name, u := range cells() {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok := h.probe(ctx, u)
				h.mu.Lock()
				h.down[name] = !ok
				h.mu.Unlock()
			}()
		}
		wg.Wait()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (h *Health) probe(ctx context.Context, u *url.URL) bool {
	return probe.HTTP(ctx, h.client, u.JoinPath("/readyz").String()) == nil
}
