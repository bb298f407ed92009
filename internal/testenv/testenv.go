// Package testenv gives tests real servers: PostgreSQL, Redis, a Consul dev
// agent and the Firebase Auth emulator. Each test binary starts at most one
// of each, lazily, on first use; each test gets its own isolated share (a
// fresh database cloned from a migrated template, its own Redis logical
// database, unique names). A package that uses testenv runs its tests
// through Main:
//
//	func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }
//
// Main stops the servers when the tests end. If the binary dies instead —
// panic, timeout, SIGKILL — the kernel kills the servers (see package proc).
//
// TEST_DATABASE_URL, when set, points the PostgreSQL part at an existing
// server (a superuser URL) instead of a throwaway cluster.
package testenv

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/pushnchat/pushnchat/internal/devstack"
)

// env is what one test binary shares among its tests.
type env struct {
	mu      sync.Mutex
	inMain  bool
	tmp     string // this binary's scratch directory
	tools   devstack.Tools
	stops   []func() error // in start order; run in reverse
	pg      *postgresEnv
	redis   *redisEnv
	consul  *devstack.Consul
	auth    *devstack.AuthEmulator
	failure map[string]error // a server that failed to start fails every later user fast
}

var shared = &env{failure: map[string]error{}}

// Main runs the package's tests, then stops every server they started and
// removes their files. It returns the exit code for os.Exit.
func Main(m *testing.M) int {
	shared.mu.Lock()
	shared.inMain = true
	shared.mu.Unlock()
	code := m.Run()
	if err := shared.close(); err != nil {
		fmt.Fprintf(os.Stderr, "testenv: stopping test servers: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// start runs the body of a lazily started server once per binary. It holds
// the lock, so servers start one at a time.
func (e *env) start(t testing.TB, name string, started func() bool, body func(ctx context.Context) error) {
	t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.inMain {
		t.Fatalf("testenv: %s needs the package's TestMain to call testenv.Main (func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) })", name)
	}
	if err := e.failure[name]; err != nil {
		t.Fatalf("testenv: %s failed to start earlier in this binary: %v", name, err)
	}
	if started() {
		return
	}
	if e.tmp == "" {
		dir, err := os.MkdirTemp("", "pnc-test-")
		if err != nil {
			t.Fatalf("testenv: scratch dir: %v", err)
		}
		// PostgreSQL runs as another user when we are root: it must be able
		// to reach its data directory below this one.
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatalf("testenv: scratch dir: %v", err)
		}
		e.tmp = dir
		root, err := devstack.RepoRoot(".")
		if err != nil {
			t.Fatalf("testenv: %v", err)
		}
		e.tools = devstack.FindTools(os.Getenv, root)
	}
	if err := body(context.Background()); err != nil {
		e.failure[name] = err
		t.Fatalf("testenv: start %s: %v", name, err)
	}
}

func (e *env) close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	var first error
	for i := len(e.stops) - 1; i >= 0; i-- {
		if err := e.stops[i](); err != nil && first == nil {
			first = err
		}
	}
	e.stops = nil
	if e.tmp != "" {
		if err := os.RemoveAll(e.tmp); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func (e *env) dir(name string) string { return filepath.Join(e.tmp, name) }
