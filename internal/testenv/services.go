package testenv

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/pushnchat/pushnchat/internal/authemu"
	"github.com/pushnchat/pushnchat/internal/devstack"
)

// Consul returns the binary's Consul dev agent. Tests share it: each names
// its services and keys with something unique, such as Unique(t).
func Consul(t testing.TB) *devstack.Consul {
	t.Helper()
	e := shared
	e.start(t, "consul", func() bool { return e.consul != nil }, func(ctx context.Context) error {
		c, err := devstack.StartConsul(ctx, devstack.ConsulConfig{Path: e.tools.Consul})
		if err != nil {
			return err
		}
		e.stops = append(e.stops, c.Stop)
		e.consul = c
		return nil
	})
	return e.consul
}

// AuthEnv is the binary's Firebase Auth emulator.
type AuthEnv struct {
	Host    string // host:port, the value of FIREBASE_AUTH_EMULATOR_HOST
	Project string // Firebase project id
	Client  *authemu.Client
}

// Auth returns the binary's Firebase Auth emulator. Tests share it: each
// signs up users with unique emails (see Email).
func Auth(t testing.TB) AuthEnv {
	t.Helper()
	e := shared
	e.start(t, "auth emulator", func() bool { return e.auth != nil }, func(ctx context.Context) error {
		a, err := devstack.StartAuthEmulator(ctx, devstack.AuthEmulatorConfig{
			Firebase: e.tools.Firebase,
			Dir:      e.dir("firebase"),
		})
		if err != nil {
			return err
		}
		e.stops = append(e.stops, a.Stop)
		e.auth = a
		return nil
	})
	return AuthEnv{Host: e.auth.Host(), Project: e.auth.Project(), Client: authemu.New(e.auth.Host(), e.auth.Project())}
}

var unique atomic.Int64

// Unique returns a name no other test of this run uses, readable in logs.
func Unique(t testing.TB) string {
	t.Helper()
	name := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			return r
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return '-'
	}, t.Name())
	if len(name) > 40 {
		name = name[:40]
	}
	return fmt.Sprintf("%s-%d-%d", strings.Trim(name, "-"), os.Getpid(), unique.Add(1))
}

// Email returns an address no other test of this run uses.
func Email(t testing.TB) string {
	t.Helper()
	return Unique(t) + "@example.test"
}
