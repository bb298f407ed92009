package cpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/pushnchat/pushnchat/control-plane/internal/xds"
	"github.com/pushnchat/pushnchat/internal/cellapi"
	"github.com/pushnchat/pushnchat/internal/cpclient"
	"github.com/pushnchat/pushnchat/internal/probe"
	"github.com/pushnchat/pushnchat/internal/servicetoken"
	"github.com/pushnchat/pushnchat/residency"
)

// CellInfo is a cell as the control plane sees it, and as GET /v1/cells
// answers it.
type CellInfo = cpclient.Cell

// registry knows the cells and their health: from Consul when an agent is
// configured (each cell replica registers itself with a /readyz check),
// else from probing each cell's /readyz itself every interval.
type registry struct {
	mu       sync.RWMutex
	cells    map[string]*CellInfo
	replicas map[string][]replica // by cell: from Consul, or the cell's URL when probing
	client   *http.Client
	consul   *consulHealth // nil: probe directly
	log      *slog.Logger
	// changed is called after every health update (the xDS snapshot).
	changed func()
}

func newRegistry(urls map[string]string, consulAddr string, log *slog.Logger) (*registry, error) {
	r := &registry{cells: map[string]*CellInfo{}, client: &http.Client{Timeout: 2 * time.Second}, log: log}
	if consulAddr != "" {
		c, err := newConsulHealth(consulAddr)
		if err != nil {
			return nil, err
		}
		r.consul = c
	}
	for name, url := range urls {
		j, ok := residency.CellJurisdiction(name)
		if !ok {
			return nil, fmt.Errorf("cell %q is not in the residency policy", name)
		}
		r.cells[name] = &CellInfo{Name: name, Jurisdiction: j, URL: url}
	}
	return r, nil
}

// watch keeps every cell's health current until ctx ends: from Consul,
// as it changes, when an agent is configured; else by probing each
// cell's /readyz every interval.
func (r *registry) watch(ctx context.Context, interval time.Duration) {
	if r.consul != nil {
		r.consul.follow(ctx, r.log, r.fromConsul)
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		r.probeAll(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// fromConsul applies Consul's answer: a cell is up when one of its
// replicas passes, down when none does or none is in the catalog.
func (r *registry) fromConsul(rs []replica) {
	r.mu.Lock()
	now := time.Now()
	r.replicas = map[string][]replica{}
	for _, x := range rs {
		r.replicas[x.cell] = append(r.replicas[x.cell], x)
	}
	for name, c := range r.cells {
		c.Healthy, c.CheckedAt = false, now
		for _, x := range r.replicas[name] {
			c.Healthy = c.Healthy || x.healthy
		}
	}
	r.mu.Unlock()
	r.notify()
}

func (r *registry) notify() {
	if r.changed != nil {
		r.changed()
	}
}

// xdsCells is the registry as the xDS snapshot wants it: every cell with
// its replicas and their health (when probing, the cell's own address).
func (r *registry) xdsCells() []xds.Cell {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]xds.Cell, 0, len(r.cells))
	for name, c := range r.cells {
		cell := xds.Cell{Name: name}
		rs := r.replicas[name]
		if r.consul == nil {
			if u, err := url.Parse(c.URL); err == nil {
				if p, err := strconv.Atoi(u.Port()); err == nil {
					rs = []replica{{cell: name, host: u.Hostname(), port: p, healthy: c.Healthy}}
				}
			}
		}
		for _, x := range rs {
			cell.Endpoints = append(cell.Endpoints, xds.Endpoint{Host: x.host, Port: uint32(x.port), Standby: x.standby, Healthy: x.healthy})
		}
		out = append(out, cell)
	}
	return out
}

func (r *registry) probeAll(ctx context.Context) {
	r.mu.RLock()
	var cells []CellInfo
	for _, c := range r.cells {
		cells = append(cells, *c)
	}
	r.mu.RUnlock()
	var wg sync.WaitGroup
	for _, c := range cells {
		wg.Add(1)
		go func() {
			defer wg.Done()
			healthy := r.probe(ctx, c.URL)
			r.mu.Lock()
			r.cells[c.Name].Healthy, r.cells[c.Name].CheckedAt = healthy, time.Now()
			r.mu.Unlock()
		}()
	}
	wg.Wait()
	r.notify()
}

func (r *registry) probe(ctx context.Context, url string) bool {
	return probe.HTTP(ctx, r.client, url+"/readyz") == nil
}

func (r *registry) get(name string) (CellInfo, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	c, ok := r.cells[name]
	if !ok {
		return CellInfo{}, false
	}
	return *c, true
}

func (r *registry) list() []CellInfo {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]CellInfo, 0, len(r.cells))
	for _, c := range r.cells {
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// cellAnswer is a cell's reply to an internal call.
type cellAnswer struct {
	Status int
	Body   []byte
}

// putTenant asks a cell to create a tenant (idempotent by id).
func (r *registry) putTenant(ctx context.Context, cell CellInfo, token, id string, body cellapi.PutTenant) (cellAnswer, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return cellAnswer{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, cell.URL+"/internal/v1/tenants/"+id, bytes.NewReader(b))
	if err != nil {
		return cellAnswer{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	servicetoken.Set(req, token)
	client := &http.Client{Timeout: 15 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return cellAnswer{}, err
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return cellAnswer{Status: resp.StatusCode, Body: rb}, err
}
