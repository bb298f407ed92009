// Command pushnctl is the PushNchat operator CLI. Today: `pushnctl up` runs
// the local platform (what `make up` runs).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/pushnchat/pushnchat/control-plane/internal/localup"
	"github.com/pushnchat/pushnchat/internal/devstack"
)

func main() {
	if err := run(context.Background(), os.Args, os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "pushnctl: %v\n", err)
		os.Exit(1)
	}
}

const usage = `usage: pushnctl <command> [flags]

commands:
  up                   run the local platform until interrupted (Ctrl-C stops everything)
  cells                cells: jurisdiction, health, tenant count
  tenant where <slug>  a business's home cell, its jurisdiction and the rules that placed it

cells and tenant take -control-plane URL (default: the local platform's) and
-service-token (default: the local platform's, from .pushnchat/service-token).
`

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) < 2 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command")
	}
	switch args[1] {
	case "up":
		return runUp(ctx, args[2:], getenv, stdout, stderr)
	case "cells":
		return runCells(ctx, args[2:], stdout, stderr)
	case "tenant":
		if len(args) < 4 || args[2] != "where" {
			fmt.Fprint(stderr, usage)
			return errors.New("usage: pushnctl tenant where <slug>")
		}
		return runTenantWhere(ctx, args[3], args[4:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", args[1])
	}
}

func runUp(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("up", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", ".pushnchat", "platform directory (data, logs, state), relative to the checkout")
	basePort := fs.Int("base-port", 17000, "first port of the local port plan; 0 puts every server on a free port")
	if err := fs.Parse(args); err != nil {
		return err
	}
	root, err := devstack.RepoRoot(".")
	if err != nil {
		return err
	}
	platformDir := *dir
	if !filepath.IsAbs(platformDir) {
		platformDir = filepath.Join(root, platformDir)
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	self, err := os.Executable()
	if err != nil {
		return err
	}
	bins := filepath.Dir(self)
	for _, b := range []string{"cell", "control-plane", "router"} {
		if _, err := os.Stat(filepath.Join(bins, b)); err != nil {
			return fmt.Errorf("no %s binary next to pushnctl (in %s); build them all with `make build`", b, bins)
		}
	}
	started := time.Now()
	pl, err := localup.Start(ctx, localup.Config{
		Dir:      platformDir,
		BasePort: *basePort,
		Tools:    devstack.FindTools(getenv, root),
		Binaries: bins,
		Web:      filepath.Join(root, "web"),
		Logger:   logger,
	})
	if err != nil {
		return err
	}
	printPlatform(stdout, pl, time.Since(started))
	<-ctx.Done()
	fmt.Fprintln(stdout, "\nstopping the local platform…")
	if err := pl.Stop(); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "stopped; nothing left running")
	return nil
}

func printPlatform(w io.Writer, pl *localup.Platform, took time.Duration) {
	fmt.Fprintf(w, "\nPushNchat local platform is up (%.1fs). Ctrl-C stops everything.\n\n", took.Seconds())
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVICE\tADDRESS\tTRY")
	fmt.Fprintf(tw, "web app (open this)\thttp://%s/\tbrowse http://%s/m/NG, sign up at /signup, sign in as a demo user at /signin\n", pl.RouterAddr, pl.RouterAddr)
	fmt.Fprintf(tw, "router (front door)\thttp://%s\tcurl -s http://%s/v1/markets/NG/listings\n", pl.RouterAddr, pl.RouterAddr)
	fmt.Fprintf(tw, "router metrics\thttp://%s/metrics\tcurl -s http://%s/metrics | grep ^router_\n", pl.RouterMetricsAddr, pl.RouterMetricsAddr)
	fmt.Fprintf(tw, "control plane\thttp://%s\tpushnctl cells\n", pl.ControlPlaneAddr)
	fmt.Fprintf(tw, "control plane postgres\t%s\t\n", pl.DirectoryDB.URL(localup.DirectoryDatabase))
	fmt.Fprintf(tw, "control plane xDS (ADS)\tgrpc://%s\tEnvoy's ADS; docs/control-plane.md\n", pl.XDSAddr)
	for _, c := range pl.Cells {
		fmt.Fprintf(tw, "%s cell API\thttp://%s\tcurl -s http://%s/v1/markets/%s/listings\n", c.Name, c.HTTPAddr, c.HTTPAddr, c.Country)
		url := c.Postgres.URL(localup.CellDatabase)
		fmt.Fprintf(tw, "%s postgres\t%s\tpsql %q -c 'select 1'\n", c.Name, url, url)
		fmt.Fprintf(tw, "%s redis\t%s\tredis-cli -p %d ping\n", c.Name, c.Redis.Addr(), c.Redis.Port())
	}
	fmt.Fprintf(tw, "consul\thttp://%s\tcurl -s http://%s/v1/status/leader\n", pl.Consul.HTTPAddr(), pl.Consul.HTTPAddr())
	fmt.Fprintf(tw, "firebase auth emulator\t%s\tFIREBASE_AUTH_EMULATOR_HOST=%s\n", pl.Auth.URL(), pl.Auth.Host())
	tw.Flush()
	fmt.Fprintf(w, "\nDemo users (password %q), each owning its cell's demo business, and its staff member:\n", localup.DemoPassword)
	for _, c := range pl.Cells {
		fmt.Fprintf(w, "  %-42s %s in %s\n", localup.DemoUser(c.Cell), c.Demo, c.Name)
		fmt.Fprintf(w, "  %-42s chats with the owner (WebSocket: ws://%s/v1/realtime)\n", localup.DemoStaff(c.Cell), pl.RouterAddr)
	}
	fmt.Fprintf(w, "\nSign in through the emulator:\n  curl -s -H 'Content-Type: application/json' -d '{\"email\":\"%s\",\"password\":\"%s\",\"returnSecureToken\":true}' '%s/identitytoolkit.googleapis.com/v1/accounts:signInWithPassword?key=demo'\n",
		localup.DemoUser(pl.Cells[0].Cell), localup.DemoPassword, pl.Auth.URL())
}
