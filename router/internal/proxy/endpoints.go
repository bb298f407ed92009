package proxy

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"time"

	"github.com/pushnchat/pushnchat/internal/cpclient"
)

// Polled reads cell endpoints from the control plane's cell registry and
// keeps the last known set when the control plane cannot be reached.
type Polled struct {
	cp    *cpclient.Client
	log   *slog.Logger
	mu    sync.RWMutex
	cells map[string]*url.URL
}

// NewPolled reads the registry at base (the control plane's URL).
func NewPolled(base, token string, log *slog.Logger) *Polled {
	return &Polled{cp: cpclient.New(base, token, 3*time.Second), log: log, cells: map[string]*url.URL{}}
}

// URL implements Endpoints.
func (p *Polled) URL(cell string) (*url.URL, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	u, ok := p.cells[cell]
	return u, ok
}

// All returns a copy of the endpoints.
func (p *Polled) All() map[string]*url.URL {
	p.mu.RLock()
	defer p.mu.RUnlock()
	out := make(map[string]*url.URL, len(p.cells))
	for k, v := range p.cells {
		out[k] = v
	}
	return out
}

// Refresh reads the registry once.
func (p *Polled) Refresh(ctx context.Context) error {
	list, err := p.cp.Cells(ctx)
	if err != nil {
		return fmt.Errorf("cell registry: %w", err)
	}
	cells := map[string]*url.URL{}
	for _, c := range list {
		u, err := url.Parse(c.URL)
		if err != nil {
			return fmt.Errorf("cell %s: %w", c.Name, err)
		}
		cells[c.Name] = u
	}
	p.mu.Lock()
	p.cells = cells
	p.mu.Unlock()
	return nil
}

// Poll refreshes every interval until ctx ends.
func (p *Polled) Poll(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := p.Refresh(ctx); err != nil && ctx.Err() == nil {
				p.log.Warn("cell registry unavailable; keeping the last known endpoints", "err", err)
			}
		}
	}
}
