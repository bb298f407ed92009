// Package benchenv is what the benchmark harnesses share: a scratch
// directory, the repository's binaries built into it, PostgreSQL, Redis and
// the Auth emulator started in it, and cells started from the real binary.
// Close stops everything in reverse order and removes the directory.
package benchenv

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/pushnchat/pushnchat/cell/config"
	"github.com/pushnchat/pushnchat/internal/devstack"
	"github.com/pushnchat/pushnchat/internal/probe"
	"github.com/pushnchat/pushnchat/internal/proc"
)

// ServiceToken is what benchmark cells and control planes accept.
const ServiceToken = "bench-service-token"

// Env is one harness run's world.
type Env struct {
	Root  string // the repository
	Tools devstack.Tools
	Dir   string // scratch; removed by Close
	stops []func() error
}

// New makes the scratch directory of the harness name.
func New(name string) (*Env, error) {
	root, err := devstack.RepoRoot(".")
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "pnc-bench-"+name+"-")
	if err != nil {
		return nil, err
	}
	// PostgreSQL runs as its own account when we are root: it must be
	// able to enter the directory.
	if err := os.Chmod(dir, 0o755); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return &Env{Root: root, Tools: devstack.FindTools(os.Getenv, root), Dir: dir}, nil
}

// Close stops what the Env started, newest first, and removes its directory.
func (e *Env) Close() {
	for i := len(e.stops) - 1; i >= 0; i-- {
		_ = e.stops[i]()
	}
	os.RemoveAll(e.Dir)
}

// Build compiles the packages (paths relative to the repository) into Dir.
func (e *Env) Build(ctx context.Context, pkgs ...string) error {
	return proc.Run(ctx, proc.Spec{Name: "go build", Path: "go", Dir: e.Root, Args: append([]string{"build", "-o", e.Dir + "/"}, pkgs...)}, 5*time.Minute)
}

// Bin is the path of a binary Build made.
func (e *Env) Bin(name string) string { return filepath.Join(e.Dir, name) }

// Postgres starts a cluster in Dir (fsync off, as in tests).
func (e *Env) Postgres(ctx context.Context) (*devstack.Postgres, error) {
	pg, err := devstack.StartPostgres(ctx, devstack.PostgresConfig{Bin: e.Tools.PostgresBin, DataDir: filepath.Join(e.Dir, "pg")})
	if err == nil {
		e.stops = append(e.stops, pg.Stop)
	}
	return pg, err
}

// Redis starts a server in Dir.
func (e *Env) Redis(ctx context.Context) (*devstack.Redis, error) {
	r, err := devstack.StartRedis(ctx, devstack.RedisConfig{Path: e.Tools.Redis, Dir: filepath.Join(e.Dir, "redis")})
	if err == nil {
		e.stops = append(e.stops, r.Stop)
	}
	return r, err
}

// Auth starts the Firebase Auth emulator.
func (e *Env) Auth(ctx context.Context) (*devstack.AuthEmulator, error) {
	a, err := devstack.StartAuthEmulator(ctx, devstack.AuthEmulatorConfig{Firebase: e.Tools.Firebase, Dir: filepath.Join(e.Dir, "auth")})
	if err == nil {
		e.stops = append(e.stops, a.Stop)
	}
	return a, err
}

// Cell says where a benchmark cell keeps its data.
type Cell struct {
	DatabaseURL, RedisURL string
	Auth                  *devstack.AuthEmulator
	Env                   []string // extra environment, e.g. GOMAXPROCS
}

// StartCell runs the cell binary (Build "./cell/cmd/cell" first) as lagos-1
// on a free port, rate limits out of the way, and waits until it is ready.
// extra flags come last and win. The caller stops the process.
func (e *Env) StartCell(ctx context.Context, name string, c Cell, extra ...string) (*proc.Process, string, error) {
	port, err := devstack.FreePort()
	if err != nil {
		return nil, "", err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	args := append(config.Config{
		Listen: addr, Cell: "lagos-1", Markets: []string{"NG"}, DatabaseURL: c.DatabaseURL, RedisURL: c.RedisURL,
		BlobURL:  "file://" + filepath.Join(e.Dir, "blobs") + "?create_dir=true&no_tmp_dir=true",
		Firebase: config.FirebaseConfig{ProjectID: c.Auth.Project(), EmulatorHost: c.Auth.Host()}, ServiceToken: ServiceToken,
		RateIP: config.RateConfig{PerSecond: 1000000, Burst: 1000000}, RateUser: config.RateConfig{PerSecond: 1000000, Burst: 1000000},
		LogLevel: slog.LevelError,
	}.Args(), extra...)
	p, err := proc.Start(proc.Spec{Name: name, Path: e.Bin("cell"), StopSignal: syscall.SIGTERM, StopTimeout: 15 * time.Second, Args: args, Env: c.Env})
	if err != nil {
		return nil, "", err
	}
	if err := p.WaitReady(ctx, time.Minute, probe.Ready("http://"+addr+"/readyz")); err != nil {
		p.Stop()
		return nil, "", err
	}
	return p, addr, nil
}
