package devstack

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/pushnchat/pushnchat/internal/proc"
)

// ConsulConfig describes a Consul agent in dev mode (a single in-memory
// server, its own leader).
type ConsulConfig struct {
	Path string // consul; from FindTools when empty
	Node string // node name; "pushnchat-dev" when empty
	// HTTPPort on 127.0.0.1; the agent's other ports (DNS, gRPC, Serf,
	// server RPC) follow it, HTTPPort+1 … HTTPPort+5. All free ones when zero.
	HTTPPort int
	Log      io.Writer
}

// Consul is a running dev agent.
type Consul struct {
	server
	httpPort int
}

// StartConsul starts a dev agent and waits until it has elected itself leader.
func StartConsul(ctx context.Context, cfg ConsulConfig) (*Consul, error) {
	if cfg.Path == "" {
		cfg.Path = FindTools(os.Getenv, "").Consul
	}
	if err := needExecutable("consul", cfg.Path); err != nil {
		return nil, err
	}
	if cfg.Node == "" {
		cfg.Node = "pushnchat-dev"
	}
	var fixed []int
	if cfg.HTTPPort > 0 {
		for i := range 6 {
			fixed = append(fixed, cfg.HTTPPort+i)
		}
	}
	c := &Consul{}
	err := startOnPorts(fixed, 6, func(ports []int) (*proc.Process, error) {
		hcl := fmt.Sprintf(
			"disable_update_check = true\nports { http = %d\ndns = %d\ngrpc = %d\nserf_lan = %d\nserf_wan = %d\nserver = %d\ngrpc_tls = -1 }",
			ports[0], ports[1], ports[2], ports[3], ports[4], ports[5])
		p, err := proc.Start(proc.Spec{
			Name: "consul",
			Path: cfg.Path,
			Args: []string{
				"agent", "-dev",
				"-node", cfg.Node,
				"-bind", "127.0.0.1",
				"-client", "127.0.0.1",
				"-log-level", "warn",
				"-hcl", hcl,
			},
			Log: cfg.Log,
		})
		if err != nil {
			return nil, err
		}
		c.httpPort, c.proc = ports[0], p
		return p, p.WaitReady(ctx, 60*time.Second, c.leader)
	})
	if err != nil {
		return nil, fmt.Errorf("devstack: consul: %w", err)
	}
	return c, nil
}

// leader succeeds once the agent reports a raft leader.
func (c *Consul) leader(ctx context.Context) error {
	b, err := getOK(ctx, "http://"+c.HTTPAddr()+"/v1/status/leader")
	if err != nil {
		return err
	}
	var leader string
	if err := json.Unmarshal(b, &leader); err != nil {
		return fmt.Errorf("status/leader: %w", err)
	}
	if leader == "" {
		return fmt.Errorf("no leader yet")
	}
	return nil
}

// HTTPAddr is host:port of the agent's HTTP API.
func (c *Consul) HTTPAddr() string { return hostPort(c.httpPort) }

// HTTPPort is the agent's HTTP API port.
func (c *Consul) HTTPPort() int { return c.httpPort }
