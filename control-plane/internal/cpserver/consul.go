package cpserver

import (
	"context"
	"log/slog"
	"time"

	"github.com/hashicorp/consul/api"
)

// consulHealth reads the cells' health from Consul's catalog, through
// consul/api: every cell replica registers itself there (service "cell",
// metadata cell, jurisdiction, role, version; an HTTP check on its
// /readyz; package consulreg) and deregisters when it stops. Consul is the
// platform's source of health: the xDS endpoints are built from it.
type consulHealth struct {
	client *api.Client
}

func newConsulHealth(addr string) (*consulHealth, error) {
	cfg := api.DefaultConfig()
	cfg.Address = addr
	c, err := api.NewClient(cfg)
	if err != nil {
		return nil, err
	}
	return &consulHealth{client: c}, nil
}

// follow calls apply with every cell's health each time Consul's answer
// changes — blocking queries, each waiting on the index of the last
// answer — until ctx ends. A cell is healthy when one of its replicas
// passes its check; a cell with no replica in the catalog is not. A
// Consul that cannot be asked is asked again after a pause growing to
// 10 s, the last health staying in place meanwhile.
func (c *consulHealth) follow(ctx context.Context, log *slog.Logger, apply func(map[string]bool)) {
	var index uint64
	var pause time.Duration
	for ctx.Err() == nil {
		q := (&api.QueryOptions{WaitIndex: index, WaitTime: 5 * time.Minute}).WithContext(ctx)
		entries, meta, err := c.client.Health().Service("cell", "", false, q)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			log.Warn("cell health from Consul unavailable; keeping the last known", "err", err)
			pause = min(max(2*pause, 200*time.Millisecond), 10*time.Second)
			select {
			case <-ctx.Done():
				return
			case <-time.After(pause):
			}
			continue
		}
		pause = 0
		// An index that goes backwards (a Consul restart) starts over.
		if meta.LastIndex < index {
			index = 0
		} else {
			index = meta.LastIndex
		}
		out := map[string]bool{}
		for _, e := range entries {
			name := e.Service.Meta["cell"]
			out[name] = out[name] || e.Checks.AggregatedStatus() == api.HealthPassing
		}
		apply(out)
	}
}
