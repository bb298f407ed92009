// Command router runs PushNchat's router data plane: partition key → home
// cell → proxy, fed by the control plane.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	_ "net/http/pprof"
	"net/url"
	"slices"
	"time"

	"github.com/pushnchat/pushnchat/internal/cmdmain"
	"github.com/pushnchat/pushnchat/internal/telemetry"
	"github.com/pushnchat/pushnchat/router/internal/lookup"
	"github.com/pushnchat/pushnchat/router/internal/proxy"
)

func main() { cmdmain.Main("router", run) }

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	env := cmdmain.Env(getenv)
	fs := flag.NewFlagSet("router", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", env("LISTEN", "127.0.0.1:8000"), "listen address (LISTEN)")
	cp := fs.String("control-plane", env("CONTROL_PLANE_URL", ""), "control plane URL (CONTROL_PLANE_URL)")
	token := fs.String("service-token", env("SERVICE_TOKEN", ""), "token for the control plane's directory (SERVICE_TOKEN)")
	edgeToken := fs.String("edge-token", env("EDGE_TOKEN", ""), "token with which the router vouches to cells for the client addresses it forwards; empty forwards none (EDGE_TOKEN)")
	web := fs.String("web", env("WEB_URL", ""), "the web app's server, which answers every path outside /v1/ (empty: those are 404) (WEB_URL)")
	cacheMax := fs.Int("cache-entries", 2_000_000, "directory entries kept in memory")
	healthEvery := fs.Duration("health-interval", time.Second, "how often cells are probed")
	loops := fs.Int("loops", 0, "event loops serving requests (0: one per CPU)")
	debugAddr := fs.String("debug-listen", "", "address for /debug/pprof (off when empty; never expose it)")
	metricsAddr := fs.String("metrics-listen", env("METRICS_LISTEN", ""), "address serving Prometheus /metrics (off when empty; internal only) (METRICS_LISTEN)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cp == "" || *token == "" {
		return errors.New("-control-plane and -service-token are required")
	}
	cpURL, err := url.Parse(*cp)
	if err != nil {
		return fmt.Errorf("-control-plane: %w", err)
	}
	var webURL *url.URL
	if *web != "" {
		if webURL, err = url.Parse(*web); err != nil || webURL.Host == "" {
			return fmt.Errorf("-web: want an absolute URL, got %q", *web)
		}
	}
	log := slog.New(slog.NewJSONHandler(stdout, nil)).With("service", "router")

	endpoints := proxy.NewPolled(*cp, *token, log)
	// Start only once the cells are known; afterwards keep the last known
	// set whatever happens to the control plane.
	for {
		err := endpoints.Refresh(ctx)
		if err == nil {
			break
		}
		log.Warn("waiting for the control plane's cell registry", "err", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Second):
		}
	}
	go endpoints.Poll(ctx, 5*time.Second)
	resolver := lookup.NewResolver(lookup.NewCache(*cacheMax), *cp, *token, log)
	go resolver.Follow(ctx)
	health := proxy.NewHealth()
	go health.Watch(ctx, endpoints.All, *healthEvery)

	if *debugAddr != "" {
		go func() { _ = http.ListenAndServe(*debugAddr, http.DefaultServeMux) }() // net/http/pprof registers there
	}
	rt := proxy.New(proxy.Config{Endpoints: endpoints, Resolver: resolver, ControlPlane: cpURL, Web: webURL, Health: health, Log: log, EdgeToken: *edgeToken})
	srv := proxy.NewLoopServer(rt, *loops, log)
	if *metricsAddr != "" {
		tel, err := telemetry.Setup(ctx, telemetry.Config{Service: "router"})
		if err != nil {
			return err
		}
		defer tel.Shutdown(context.Background())
		cells := func() []string { return slices.Sorted(maps.Keys(endpoints.All())) }
		if err := srv.RegisterMetrics(tel.Meter.Meter("pushnchat/router"), cells); err != nil {
			return err
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", tel.MetricsHandler)
		mln, err := net.Listen("tcp", *metricsAddr)
		if err != nil {
			return err
		}
		msrv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go msrv.Serve(mln)
		defer msrv.Close()
		log.Info("router metrics", "addr", mln.Addr().String())
	}
	if err := srv.Start(*listen); err != nil {
		return err
	}
	log.Info("router serving", "addr", srv.Addr().String())
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}
