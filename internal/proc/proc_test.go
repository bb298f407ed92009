package proc

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Stop ends the child and whatever it started in its process group, even
// when the child ignores the stop signal.
func TestStopKillsTheWholeGroup(t *testing.T) {
	p, err := Start(Spec{
		Name:        "sh",
		Path:        "/bin/sh",
		Args:        []string{"-c", `trap "" TERM; sleep 300 & echo started; wait`},
		StopTimeout: 200 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	err = p.WaitReady(context.Background(), 10*time.Second, func(context.Context) error {
		if !strings.Contains(p.Output(), "started") {
			return context.DeadlineExceeded
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	group, err := Group(syscall.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	var mine []int
	for pid := range group {
		if st, _ := statOf(pid); st.pgid == p.Pid() {
			mine = append(mine, pid)
		}
	}
	if len(mine) < 2 {
		t.Fatalf("group of the child = %v; want the shell and its sleep", mine)
	}
	if err := p.Stop(); err == nil {
		t.Errorf("Stop of a child ignoring SIGTERM = nil; want the 'killed' error")
	}
	procs := map[int]string{}
	for _, pid := range mine {
		procs[pid] = group[pid]
	}
	if alive := WaitGone(procs, 10*time.Second); len(alive) > 0 {
		t.Errorf("after Stop, still running: %v", alive)
	}
}

func TestRunReportsFailureWithOutput(t *testing.T) {
	err := Run(context.Background(), Spec{Name: "sh", Path: "/bin/sh", Args: []string{"-c", "echo broken config >&2; exit 4"}}, 10*time.Second)
	if err == nil || !strings.Contains(err.Error(), "broken config") || !strings.Contains(err.Error(), "exit status 4") {
		t.Errorf("Run = %v; want exit status 4 and the child's output", err)
	}
	if err := Run(context.Background(), Spec{Name: "true", Path: "/bin/true"}, 10*time.Second); err != nil {
		t.Errorf("Run(true) = %v; want nil", err)
	}
}

func TestWaitReadyFailsFastWhenTheChildExits(t *testing.T) {
	p, err := Start(Spec{Name: "sh", Path: "/bin/sh", Args: []string{"-c", "echo cannot bind; exit 1"}})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = p.WaitReady(context.Background(), time.Minute, func(context.Context) error { return context.DeadlineExceeded })
	if err == nil || !strings.Contains(err.Error(), "exited before it was ready") || !strings.Contains(err.Error(), "cannot bind") {
		t.Errorf("WaitReady = %v; want 'exited before it was ready' with the output", err)
	}
	if time.Since(start) > 30*time.Second {
		t.Errorf("WaitReady took %s after the child exited", time.Since(start))
	}
}
