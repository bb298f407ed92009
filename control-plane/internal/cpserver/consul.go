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

// replica is one registered replica of a cell and its health.
type replica struct {
	cell, host string
	port       int
	standby    bool
	healthy    bool
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
func (c *consulHealth) follow(ctx context.Context, log *slog.Logger, apply func([]replica)) {
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
		out := make([]replica, 0, len(entries))
		for _, e := range entries {
			out = append(out, replica{cell: e.Service.Meta["cell"], host: e.Service.Address, port: e.Service.Port,
				standby: e.Service.Meta["role"] == "standby", healthy: e.Checks.AggregatedStatus() == api.HealthPassing})
		}
		apply(out)
	}
}
