package cpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// consulHealth registers every cell with a Consul agent as service "cell"
// (one instance per cell, an HTTP check on its /readyz every interval) and
// reads the cells' health back from Consul's catalog. Consul is the
// platform's source of health: the xDS endpoints are built from it.
type consulHealth struct {
	addr   string // host:port of the agent's HTTP API
	client *http.Client
}

func (c *consulHealth) do(ctx context.Context, method, path string, in, out any) error {
	var body *bytes.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	} else {
		body = bytes.NewReader(nil)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://"+c.addr+path, body)
	if err != nil {
		return err
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("consul %s %s: %s", method, path, resp.Status)
	}
	if out != nil {
		return json.NewDecoder(resp.Body).Decode(out)
	}
	return nil
}

// register puts a cell in Consul with its readiness check.
func (c *consulHealth) register(ctx context.Context, cell CellInfo, interval time.Duration) error {
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
	initial := "critical"
	if cell.Healthy {
		initial = "passing"
	}
	return c.do(ctx, http.MethodPut, "/v1/agent/service/register", map[string]any{
		"ID": "cell-" + cell.Name, "Name": "cell", "Address": host, "Port": port,
		"Tags": []string{cell.Name, "jurisdiction-" + cell.Jurisdiction},
		"Meta": map[string]string{"cell": cell.Name, "jurisdiction": cell.Jurisdiction},
		"Check": map[string]any{
			"CheckID": "cell-" + cell.Name + "-ready", "Name": "readyz",
			"HTTP": cell.URL + "/readyz", "Interval": interval.String(), "Timeout": "1s", "Status": initial,
		},
	}, nil)
}

// healthy returns each registered cell's health: passing checks only.
func (c *consulHealth) healthy(ctx context.Context) (map[string]bool, error) {
	var entries []struct {
		Service struct {
			Meta map[string]string
		}
		Checks []struct {
			Status string
		}
	}
	if err := c.do(ctx, http.MethodGet, "/v1/health/service/cell", nil, &entries); err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, e := range entries {
		ok := true
		for _, ch := range e.Checks {
			ok = ok && ch.Status == "passing"
		}
		out[e.Service.Meta["cell"]] = ok
	}
	return out, nil
}
