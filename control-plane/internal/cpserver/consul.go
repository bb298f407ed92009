package cpserver

import (
	"context"
	"net"
	"net/url"
	"strconv"
	"time"

	"github.com/hashicorp/consul/api"
)

// consulHealth registers every cell with a Consul agent as service "cell"
// (one instance per cell, an HTTP check on its /readyz every interval) and
// reads the cells' health back from Consul's catalog, through consul/api.
// Consul is the platform's source of health: the xDS endpoints are built
// from it.
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

// consulTimeout bounds each call to the agent.
const consulTimeout = 5 * time.Second

// register puts a cell in Consul with its readiness check.
func (c *consulHealth) register(ctx context.Context, cell CellInfo, interval time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, consulTimeout)
	defer cancel()
	u, err := url.Parse(cell.URL)
	if err != nil {
		return err
	}
	host, portStr, err := net.SplitHostPort(u.Host)
	if err != nil {
		return err
	}
	port, _ := strconv.Atoi(portStr)
	// The check starts where our own first probe left the cell, rather
	// than "critical" until Consul's first run.
	initial := api.HealthCritical
	if cell.Healthy {
		initial = api.HealthPassing
	}
	return c.client.Agent().ServiceRegisterOpts(&api.AgentServiceRegistration{
		ID: "cell-" + cell.Name, Name: "cell", Address: host, Port: port,
		Tags: []string{cell.Name, "jurisdiction-" + cell.Jurisdiction},
		Meta: map[string]string{"cell": cell.Name, "jurisdiction": cell.Jurisdiction},
		Check: &api.AgentServiceCheck{
			CheckID: "cell-" + cell.Name + "-ready", Name: "readyz",
			HTTP: cell.URL + "/readyz", Interval: interval.String(), Timeout: "1s", Status: initial,
		},
	}, api.ServiceRegisterOpts{}.WithContext(ctx))
}

// healthy returns each registered cell's health: passing checks only.
func (c *consulHealth) healthy(ctx context.Context) (map[string]bool, error) {
	ctx, cancel := context.WithTimeout(ctx, consulTimeout)
	defer cancel()
	entries, _, err := c.client.Health().Service("cell", "", false, (&api.QueryOptions{}).WithContext(ctx))
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, e := range entries {
		out[e.Service.Meta["cell"]] = e.Checks.AggregatedStatus() == api.HealthPassing
	}
	return out, nil
}
