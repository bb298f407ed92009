// Package consulreg puts a running service instance in Consul's catalog
// (through consul/api) with an HTTP health check on its own readiness
// endpoint, and takes it out again when it stops. Cells register every
// replica this way; the control plane reads their health back from
// Consul with blocking queries.
package consulreg

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/hashicorp/consul/api"
)

// Instance is one replica of a service.
type Instance struct {
	Service string            // e.g. "cell"
	ID      string            // unique in the catalog
	URL     string            // how others reach it, http://host:port
	Tags    []string          //
	Meta    map[string]string // e.g. cell, jurisdiction, role, version
	// Check is the path Consul probes (e.g. /readyz) every Interval; a
	// check that stays critical for a minute removes the instance.
	Check    string
	Interval time.Duration
}

// callTimeout bounds each call to the agent.
const callTimeout = 5 * time.Second

// Register puts in into the catalog of the agent at addr (host:port) with
// its check passing — call it once the instance is ready — and returns
// the function that takes it out.
func Register(ctx context.Context, addr string, in Instance) (deregister func(context.Context) error, _ error) {
	cfg := api.DefaultConfig()
	cfg.Address = addr
	client, err := api.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("consulreg: %w", err)
	}
	u, err := url.Parse(in.URL)
	if err != nil {
		return nil, fmt.Errorf("consulreg: %w", err)
	}
	host, portStr, err := net.SplitHostPort(u.Host)
	if err != nil {
		return nil, fmt.Errorf("consulreg: %s: %w", in.URL, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, fmt.Errorf("consulreg: %s: %w", in.URL, err)
	}
	rctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	err = client.Agent().ServiceRegisterOpts(&api.AgentServiceRegistration{
		ID: in.ID, Name: in.Service, Address: host, Port: port, Tags: in.Tags, Meta: in.Meta,
		Check: &api.AgentServiceCheck{
			CheckID: in.ID + "-ready", Name: in.Check,
			HTTP: in.URL + in.Check, Interval: in.Interval.String(), Timeout: "1s", Status: api.HealthPassing,
			DeregisterCriticalServiceAfter: "1m",
		},
	}, api.ServiceRegisterOpts{}.WithContext(rctx))
	if err != nil {
		return nil, fmt.Errorf("consulreg: register %s: %w", in.ID, err)
	}
	return func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, callTimeout)
		defer cancel()
		if err := client.Agent().ServiceDeregisterOpts(in.ID, (&api.QueryOptions{}).WithContext(ctx)); err != nil {
			return fmt.Errorf("consulreg: deregister %s: %w", in.ID, err)
		}
		return nil
	}, nil
}

// Version names the running build: its VCS revision (short) when the
// binary was built from a repository, else the module version.
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			return s.Value[:12]
		}
	}
	return bi.Main.Version
}
