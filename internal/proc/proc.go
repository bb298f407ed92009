// Package proc runs the child processes of tests and of the local platform
// (PostgreSQL, Redis, Consul, the Firebase Auth emulator) so that none of them
// outlives its parent: each child leads its own process group, receives
// SIGKILL when its parent dies (also on panic, test timeout or SIGKILL of the
// parent), and Stop ends the whole group.
package proc

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Spec describes a child process.
type Spec struct {
	Name string   // short name for messages, e.g. "postgres"
	Path string   // executable
	Args []string // arguments, without the program name
	Env  []string // extra environment, added to the parent's
	Dir  string   // working directory; empty for the parent's

	// User, when set and the parent runs as root, is the account the child
	// runs as (PostgreSQL refuses to run as root).
	User string

	// Log, when set, also receives the child's stdout and stderr.
	Log io.Writer

	// StopSignal asks the child to shut down; SIGTERM when zero.
	StopSignal syscall.Signal
	// StopTimeout bounds the graceful shutdown before the group is killed;
	// 10 s when zero.
	StopTimeout time.Duration
}

// Process is a running child.
type Process struct {
	spec Spec
	cmd  *exec.Cmd
	out  *tailBuffer
	done chan struct{}
	err  error // set before done closes

	stopOnce sync.Once
	stopErr  error
}

// The goroutine that forks children keeps its OS thread for the life of the
// process: the kernel delivers the parent-death signal when the forking
// *thread* exits, and the Go runtime may end threads that were locked.
var (
	spawnOnce sync.Once
	spawnReq  chan func()
)

func spawner() {
	runtime.LockOSThread() // never unlocked: this thread lives as long as the process
	for f := range spawnReq {
		f()
	}
}

// Start starts the child described by spec.
func Start(spec Spec) (*Process, error) {
	if spec.StopSignal == 0 {
		spec.StopSignal = syscall.SIGTERM
	}
	if spec.StopTimeout == 0 {
		spec.StopTimeout = 10 * time.Second
	}
	cmd := exec.Command(spec.Path, spec.Args...)
	cmd.Dir = spec.Dir
	cmd.Env = append(os.Environ(), spec.Env...)
	p := &Process{spec: spec, cmd: cmd, out: newTailBuffer(16 << 10), done: make(chan struct{})}
	var w io.Writer = p.out
	if spec.Log != nil {
		w = io.MultiWriter(p.out, spec.Log)
	}
	cmd.Stdout, cmd.Stderr = w, w
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Setpgid:   true,
		Pdeathsig: syscall.SIGKILL,
	}
	if spec.User != "" && os.Geteuid() == 0 {
		cred, err := lookupCredential(spec.User)
		if err != nil {
			return nil, fmt.Errorf("proc: start %s: %w", spec.Name, err)
		}
		cmd.SysProcAttr.Credential = cred
	}

	spawnOnce.Do(func() {
		spawnReq = make(chan func())
		go spawner()
	})
	started := make(chan error, 1)
	spawnReq <- func() { started <- cmd.Start() }
	if err := <-started; err != nil {
		return nil, fmt.Errorf("proc: start %s: %w", spec.Name, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

func lookupCredential(name string) (*syscall.Credential, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("look up user %q (create it, e.g. useradd --system %s): %w", name, name, err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("uid of %q: %w", name, err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("gid of %q: %w", name, err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}, nil
}

// LookupIDs returns the uid and gid of the account a child started with
// Spec.User would run as: that user when the parent is root, else the parent.
func LookupIDs(userName string) (uid, gid int, err error) {
	if userName == "" || os.Geteuid() != 0 {
		return os.Geteuid(), os.Getegid(), nil
	}
	cred, err := lookupCredential(userName)
	if err != nil {
		return 0, 0, err
	}
	return int(cred.Uid), int(cred.Gid), nil
}

// Pid is the child's process id, which is also its process group id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Done is closed when the child has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Exited reports whether the child has exited, and how.
func (p *Process) Exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.err
	default:
		return false, nil
	}
}

// Output returns the tail of what the child printed.
func (p *Process) Output() string { return p.out.String() }

// Stop asks the child to shut down with its stop signal, waits up to its stop
// timeout, then kills the process group. It always kills what is left of the
// group, so helpers the child started do not linger. Calling Stop again
// returns the first result.
func (p *Process) Stop() error {
	p.stopOnce.Do(func() {
		pid := p.Pid()
		select {
		case <-p.done:
		default:
			_ = syscall.Kill(pid, p.spec.StopSignal)
			select {
			case <-p.done:
			case <-time.After(p.spec.StopTimeout):
				p.stopErr = fmt.Errorf("proc: %s did not stop within %s; killed", p.spec.Name, p.spec.StopTimeout)
			}
		}
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		<-p.done
	})
	return p.stopErr
}

// WaitReady calls probe until it succeeds, the child exits, or timeout
// passes. The error names the child and carries the tail of its output.
func (p *Process) WaitReady(ctx context.Context, timeout time.Duration, probe func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	delay := 10 * time.Millisecond
	var last error
	for {
		pctx, pcancel := context.WithTimeout(ctx, 2*time.Second)
		last = probe(pctx)
		pcancel()
		if last == nil {
			// Something answered; make sure it was not someone else on a
			// port our child failed to bind.
			select {
			case <-p.done:
				return fmt.Errorf("proc: %s exited (%v) though its readiness probe passed; its output:\n%s", p.spec.Name, p.err, p.Output())
			case <-time.After(20 * time.Millisecond):
			}
			if exited, _ := p.Exited(); !exited {
				return nil
			}
			continue
		}
		select {
		case <-p.done:
			return fmt.Errorf("proc: %s exited before it was ready (%v); its output:\n%s", p.spec.Name, p.err, p.Output())
		case <-ctx.Done():
			return fmt.Errorf("proc: %s not ready within %s (last probe: %v); its output:\n%s", p.spec.Name, timeout, last, p.Output())
		case <-time.After(delay):
		}
		delay = min(delay*2, 250*time.Millisecond)
	}
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func newTailBuffer(max int) *tailBuffer { return &tailBuffer{max: max} }

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.max; over > 0 {
		b.buf = bytes.Clone(b.buf[over:])
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}

// Run starts the child described by spec and waits, at most timeout, for it
// to exit. A non-zero exit is an error carrying the tail of its output.
func Run(ctx context.Context, spec Spec, timeout time.Duration) error {
	p, err := Start(spec)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	select {
	case <-p.done:
	case <-ctx.Done():
		p.spec.StopTimeout = time.Second
		_ = p.Stop()
		return fmt.Errorf("proc: %s did not finish within %s; its output:\n%s", spec.Name, timeout, p.Output())
	}
	if p.err != nil {
		return fmt.Errorf("proc: %s: %w; its output:\n%s", spec.Name, p.err, p.Output())
	}
	return nil
}
