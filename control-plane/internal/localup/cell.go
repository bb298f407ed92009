package localup

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/pushnchat/pushnchat/cell/config"
	"github.com/pushnchat/pushnchat/internal/devstack"
	"github.com/pushnchat/pushnchat/internal/proc"
)

// program is one of the platform's own processes: a cell, the control
// plane or the router. It can be stopped and started again with the same
// settings (fault drills).
type program struct {
	name  string
	spec  proc.Spec
	ready func(context.Context) error
	p     *proc.Process
}

func (pl *Platform) startProgram(ctx context.Context, pg *program, extra ...string) error {
	spec := pg.spec
	spec.Args = append(append([]string(nil), spec.Args...), extra...)
	p, err := proc.Start(spec)
	if err != nil {
		return err
	}
	if err := p.WaitReady(ctx, time.Minute, pg.ready); err != nil {
		_ = p.Stop()
		return err
	}
	pg.p = p
	return nil
}

func (pl *Platform) program(name string) (*program, error) {
	for _, pg := range pl.programs {
		if pg.name == name {
			return pg, nil
		}
	}
	return nil, fmt.Errorf("no program %q", name)
}

// StopProgram stops a cell, the control plane or the router by name.
func (pl *Platform) StopProgram(name string) error {
	pg, err := pl.program(name)
	if err != nil || pg.p == nil {
		return err
	}
	err = pg.p.Stop()
	pg.p = nil
	return err
}

// KillProgram kills a program at once (SIGKILL to its process group): a
// crash, with no chance to finish what it was doing.
func (pl *Platform) KillProgram(name string) error {
	pg, err := pl.program(name)
	if err != nil || pg.p == nil {
		return err
	}
	_ = syscall.Kill(-pg.p.Pid(), syscall.SIGKILL)
	<-pg.p.Done()
	_ = pg.p.Stop() // reaps; it reports the kill, which was the point
	pg.p = nil
	return nil
}

// StartProgram starts a stopped (or crashed) program again, on the same
// address; extra arguments apply to this start only (fault injection).
func (pl *Platform) StartProgram(ctx context.Context, name string, extra ...string) error {
	pg, err := pl.program(name)
	if err != nil {
		return err
	}
	if pg.p != nil {
		if exited, _ := pg.p.Exited(); !exited {
			return nil
		}
		_ = pg.p.Stop() // reap what is left of its group
	}
	return pl.startProgram(ctx, pg, extra...)
}

// WaitExited waits up to timeout for a program to exit by itself (a crash
// drill) and reaps it.
func (pl *Platform) WaitExited(name string, timeout time.Duration) error {
	pg, err := pl.program(name)
	if err != nil || pg.p == nil {
		return err
	}
	select {
	case <-pg.p.Done():
		_ = pg.p.Stop()
		pg.p = nil
		return nil
	case <-time.After(timeout):
		return fmt.Errorf("%s still running after %s", name, timeout)
	}
}

// cellSpec is how cell c runs: its own PostgreSQL, Redis and photo
// directory, placed tenants only from the control plane.
func cellSpec(cfg Config, dir string, c RunningCell, pl *Platform, origins []string) proc.Spec {
	return proc.Spec{
		Path: filepath.Join(cfg.Binaries, "cell"),
		Args: config.Config{
			Cell:           c.Name,
			DatabaseURL:    c.Postgres.URL(CellDatabase),
			RedisURL:       c.Redis.URL(0),
			BlobURL:        "file://" + filepath.Join(dir, c.Name, "media") + "?create_dir=true",
			Listen:         c.HTTPAddr,
			Firebase:       config.FirebaseConfig{ProjectID: pl.Auth.Project(), EmulatorHost: pl.Auth.Host()},
			AllowedOrigins: origins,
			ServiceToken:   pl.ServiceToken,
			EdgeToken:      pl.EdgeToken,
			BrokerKeys:     pl.BrokerKeys,
			Consul:         pl.Consul.HTTPAddr(),
		}.Args(),
	}
}

// portOr returns port, or a free one when it is zero.
func portOr(port int) (int, error) {
	if port != 0 {
		return port, nil
	}
	return devstack.FreePort()
}

func hostPort(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }
