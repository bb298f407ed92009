package testenv_test

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pushnchat/pushnchat/internal/proc"
	"github.com/pushnchat/pushnchat/internal/testenv"
)

const helperEnv = "PUSHNCHAT_TESTENV_HELPER"

// dyingBinary plays, in the child process TestServersDieWithTheTestBinary
// starts (this binary again, with helperEnv set to mode), a test binary
// that starts every server and then dies the way it is told to.
func dyingBinary(t *testing.T, mode string) {
	die := make(chan bool, 1)
	testenv.Postgres(t, notes)
	testenv.Redis(t)
	testenv.Consul(t)
	testenv.Auth(t)
	fmt.Printf("READY %d\n", os.Getpid())
	// Wait for the parent to list our servers before dying ("kill" is
	// killed while it waits).
	go func() {
		_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
		die <- true
	}()
	select {
	case <-die:
	case <-time.After(2 * time.Minute):
		t.Fatalf("helper got no word to die from its parent")
	}
	switch mode {
	case "panic":
		// A panic outside the test goroutine, as the test timeout alarm does.
		go func() { panic("helper dies on purpose") }()
	case "exit":
		os.Exit(3) // skips every cleanup, like log.Fatal in a test
	}
	time.Sleep(time.Minute) // the panicking goroutine ends the binary first
	t.Fatalf("helper outlived its own panic")
}

// A test binary that dies without cleaning up — SIGKILL, a panic, os.Exit —
// leaves no postgres, redis, consul or node process behind.
func TestServersDieWithTheTestBinary(t *testing.T) {
	if mode := os.Getenv(helperEnv); mode != "" {
		dyingBinary(t, mode) // this process is the child
		return
	}
	for _, mode := range []string{"kill", "panic", "exit"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(os.Args[0], "-test.run=^TestServersDieWithTheTestBinary$", "-test.count=1", "-test.timeout=5m")
			cmd.Env = append(os.Environ(), helperEnv+"="+mode)
			cmd.Stderr = os.Stderr
			stdin, err := cmd.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			defer func() { // whatever happens, the helper goes
				_ = cmd.Process.Kill()
				<-done
			}()

			ready := make(chan bool, 1)
			go func() {
				sc := bufio.NewScanner(out)
				for sc.Scan() {
					if strings.HasPrefix(sc.Text(), "READY ") {
						ready <- true
						break
					}
				}
				ready <- false
			}()
			select {
			case ok := <-ready:
				if !ok {
					t.Fatalf("helper ended before its servers were ready")
				}
			case <-time.After(4 * time.Minute):
				t.Fatalf("helper's servers not ready within 4m")
			}

			// The helper's children lead their own process groups; every
			// member of those groups must die with the helper.
			servers, err := proc.Group(cmd.Process.Pid)
			if err != nil {
				t.Fatal(err)
			}
			names := map[string]bool{}
			for pid := range servers {
				names[servers[pid]] = true
			}
			for _, want := range []string{"postgres", "redis-server", "consul", "node"} {
				if !names[want] {
					t.Fatalf("helper runs %v; want a %s among them", names, want)
				}
			}

			if mode == "kill" {
				if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
			} else if _, err := io.WriteString(stdin, "die\n"); err != nil {
				t.Fatal(err)
			}
			select {
			case <-done:
				done <- nil // for the deferred cleanup
			case <-time.After(time.Minute):
				t.Fatalf("helper (%s) did not exit within 1m", mode)
			}

			if alive := proc.WaitGone(servers, 30*time.Second); len(alive) > 0 {
				for pid := range servers { // do not leave them for the next test
					_ = syscall.Kill(pid, syscall.SIGKILL)
				}
				t.Fatalf("after the helper died (%s), still running: %v", mode, alive)
			}
		})
	}
}
