// Command control-plane runs PushNchat's global control plane: sign-up and
// placement, the tenant directory and its change feed, the cell registry.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/pushnchat/pushnchat/control-plane/internal/cpserver"
	"github.com/pushnchat/pushnchat/control-plane/internal/xds"
	"github.com/pushnchat/pushnchat/internal/cmdmain"
)

func main() { cmdmain.Main("control-plane", run) }

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	env := cmdmain.Env(getenv)
	var cfg cpserver.Config
	var cells, brokerCells string
	fs := flag.NewFlagSet("control-plane", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.Listen, "listen", env("LISTEN", "127.0.0.1:8090"), "listen address (LISTEN)")
	fs.StringVar(&cfg.DatabaseURL, "database-url", env("DATABASE_URL", ""), "directory PostgreSQL URL (DATABASE_URL)")
	fs.StringVar(&cells, "cells", env("CELLS", ""), "cells as name=url,… e.g. lagos-1=http://127.0.0.1:17102 (CELLS)")
	fs.StringVar(&cfg.ServiceToken, "service-token", env("SERVICE_TOKEN", ""), "token shared with cells and routers (SERVICE_TOKEN)")
	fs.StringVar(&cfg.EdgeToken, "edge-token", env("EDGE_TOKEN", ""), "token by which the router vouches for a client's address; passed on to the cells a cross-market search asks (EDGE_TOKEN)")
	fs.StringVar(&cfg.Firebase.ProjectID, "firebase-project", env("FIREBASE_PROJECT", "demo-pushnchat"), "Firebase project (FIREBASE_PROJECT)")
	// Emulator mode trusts unsigned tokens: a flag only, never taken from
	// the environment, so it is always asked for on purpose.
	fs.StringVar(&cfg.Firebase.EmulatorHost, "firebase-emulator", "", "Firebase Auth emulator host:port; accepts its unsigned tokens, demo- projects only (development and tests)")
	fs.DurationVar(&cfg.HealthInterval, "health-interval", time.Second, "how often cell health is checked")
	fs.StringVar(&cfg.ConsulAddr, "consul", env("CONSUL_HTTP_ADDR", ""), "Consul agent host:port; cells are registered there and their health read back (CONSUL_HTTP_ADDR); empty probes cells directly")
	fs.StringVar(&cfg.BrokerKeyFile, "broker-key", env("BROKER_KEY", ""), "file of the broker's private signing keys, one \"<key id> <base64 seed>\" per line, the last signs; empty runs no broker (BROKER_KEY)")
	fs.StringVar(&brokerCells, "broker-cells", env("BROKER_CELLS", ""), "where the broker reaches each cell, as name=url,…; empty uses -cells (BROKER_CELLS)")
	var lookup string
	fs.StringVar(&cfg.XDSListen, "xds-listen", env("XDS_LISTEN", ""), "serve the fleet's configuration over xDS (ADS, gRPC) on host:port; empty serves none (XDS_LISTEN)")
	fs.StringVar(&lookup, "xds-lookup", env("XDS_LOOKUP", "127.0.0.1:9001"), "the router's lookup service (ext_authz, gRPC) Envoy asks, host:port (XDS_LOOKUP)")
	xdsPort := fs.Uint("xds-envoy-port", 8080, "the port Envoy's listener takes traffic on")
	fs.StringVar(&cfg.CrashAt, "crash-at", "", "fault injection for tests: exit at after-journal or after-cell")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var err error
	if cfg.Cells, err = parseCells("-cells", cells); err != nil {
		return err
	}
	if cfg.BrokerCells, err = parseCells("-broker-cells", brokerCells); err != nil {
		return err
	}
	cfg.XDS = xds.Config{ListenPort: uint32(*xdsPort), ConnectTimeout: time.Second, MaxConnectionsPerCell: 10000, RequestTimeout: time.Minute}
	if host, port, err := net.SplitHostPort(lookup); err == nil {
		p, _ := strconv.ParseUint(port, 10, 32)
		cfg.XDS.LookupHost, cfg.XDS.LookupPort = host, uint32(p)
	} else {
		return fmt.Errorf("-xds-lookup: %w", err)
	}
	var problems []error
	if cfg.DatabaseURL == "" {
		problems = append(problems, errors.New("-database-url is required"))
	}
	if cfg.ServiceToken == "" {
		problems = append(problems, errors.New("-service-token is required"))
	}
	if len(cfg.Cells) == 0 {
		problems = append(problems, errors.New("-cells is required"))
	}
	if err := errors.Join(problems...); err != nil {
		return err
	}
	cfg.Logger = slog.New(slog.NewJSONHandler(stdout, nil)).With("service", "control-plane")
	s, err := cpserver.Start(ctx, cfg)
	if err != nil {
		return err
	}
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	return s.Shutdown(sctx)
}

// parseCells reads name=url,… into a map.
func parseCells(flag, list string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range strings.Split(list, ",") {
		if kv = strings.TrimSpace(kv); kv == "" {
			continue
		}
		name, url, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, fmt.Errorf("%s: %q is not name=url", flag, kv)
		}
		out[name] = strings.TrimRight(url, "/")
	}
	return out, nil
}
