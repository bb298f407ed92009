// Command cell runs one PushNchat cell: the HTTP API and the realtime
// endpoint for the businesses homed in one region.
package main

import (
	"context"
	"io"
	"net/http"
	_ "net/http/pprof"

	"github.com/pushnchat/pushnchat/cell/config"
	"github.com/pushnchat/pushnchat/cell/internal/app"
	"github.com/pushnchat/pushnchat/internal/cmdmain"
)

func main() { cmdmain.Main("cell", run) }

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := config.Parse(args, getenv, stderr)
	if err != nil {
		return err
	}
	a, err := app.Start(ctx, cfg, stdout)
	if err != nil {
		return err
	}
	if cfg.DebugListen != "" {
		go func() { _ = http.ListenAndServe(cfg.DebugListen, http.DefaultServeMux) }() // net/http/pprof registers there
	}
	select {
	case <-ctx.Done():
	case err := <-a.Served():
		_ = a.Shutdown(context.Background())
		return err
	}
	return a.Shutdown(context.Background())
}
