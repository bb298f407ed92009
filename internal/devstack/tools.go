// Package devstack starts and stops the real servers PushNchat depends on —
// PostgreSQL, Redis, a Consul dev agent and the Firebase Auth emulator — for
// tests (throwaway instances in temp dirs) and for the local platform
// (long-lived named instances under .pushnchat/ in the checkout). Every
// server runs as a child process through package proc, so none outlives its
// parent.
package devstack

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Versions installed by scripts/bootstrap; keep the two in step.
const (
	ConsulVersion = "1.14.11"
	PostgresBin   = "/usr/lib/postgresql/15/bin"
)

// Tools locates the executables of the dependencies. The zero value is not
// useful; call FindTools.
type Tools struct {
	PostgresBin string // directory with initdb and postgres
	Redis       string // redis-server
	Consul      string // consul
	Firebase    string // firebase (firebase-tools CLI)
}

// FindTools locates the dependencies where scripts/bootstrap installs them.
// getenv supplies overrides (PUSHNCHAT_PG_BIN, PUSHNCHAT_REDIS,
// PUSHNCHAT_CONSUL, PUSHNCHAT_FIREBASE) and the cache location
// (PUSHNCHAT_CACHE, XDG_CACHE_HOME, HOME). repoRoot is the checkout, where
// tools/firebase lives. A missing tool is reported only when it is used.
func FindTools(getenv func(string) string, repoRoot string) Tools {
	t := Tools{
		PostgresBin: getenv("PUSHNCHAT_PG_BIN"),
		Redis:       getenv("PUSHNCHAT_REDIS"),
		Consul:      getenv("PUSHNCHAT_CONSUL"),
		Firebase:    getenv("PUSHNCHAT_FIREBASE"),
	}
	if t.PostgresBin == "" {
		t.PostgresBin = PostgresBin
	}
	if t.Redis == "" {
		t.Redis, _ = exec.LookPath("redis-server")
	}
	if t.Consul == "" {
		t.Consul = filepath.Join(CacheDir(getenv), "consul", ConsulVersion, "consul")
		if _, err := os.Stat(t.Consul); err != nil {
			if p, err := exec.LookPath("consul"); err == nil {
				t.Consul = p
			}
		}
	}
	if t.Firebase == "" {
		t.Firebase = filepath.Join(repoRoot, "tools", "firebase", "node_modules", ".bin", "firebase")
	}
	return t
}

// CacheDir is where scripts/bootstrap caches built tools.
func CacheDir(getenv func(string) string) string {
	if d := getenv("PUSHNCHAT_CACHE"); d != "" {
		return d
	}
	if d := getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "pushnchat")
	}
	return filepath.Join(getenv("HOME"), ".cache", "pushnchat")
}

// ErrMissingTool says a dependency is not installed.
var ErrMissingTool = errors.New("devstack: missing tool")

func needExecutable(name, path string) error {
	if path == "" {
		return fmt.Errorf("%w: %s not found; run scripts/bootstrap", ErrMissingTool, name)
	}
	st, err := os.Stat(path)
	if err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
		return fmt.Errorf("%w: %s not found at %s; run scripts/bootstrap", ErrMissingTool, name, path)
	}
	return nil
}

// RepoRoot walks up from dir to the directory holding go.mod.
func RepoRoot(dir string) (string, error) {
	d, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("devstack: no go.mod above %s", dir)
		}
		d = parent
	}
}

// Free ports come from below the kernel's ephemeral range (32768–60999 on
// Linux), which is where outgoing connections take their local ports: a
// port picked from that range, released and bound a moment later by a
// child process could meanwhile become the local end of any connection on
// the machine. Below it, only another listener can take it.
const freeLow, freeHigh = 20000, 32000

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
// Servers that cannot bind it fail to start, and the starters here retry
// with another port.
func FreePort() (int, error) {
	ps, err := FreePorts(1)
	if err != nil {
		return 0, err
	}
	return ps[0], nil
}

// FreePorts returns n distinct TCP ports on 127.0.0.1 that were free a
// moment ago, picked at random between freeLow and freeHigh. A port is
// often bound seconds after it is picked (a platform's cells start after
// their databases), so picks are also claimed in a machine-wide file for
// claimTTL: processes running side by side (go test runs packages in
// parallel) never pick a port another one picked and may not have bound
// yet.
func FreePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	claims, err := lockClaims()
	if err != nil {
		return nil, err
	}
	defer claims.release()
	ports := make([]int, 0, n)
	for tries := 0; len(ports) < n; tries++ {
		if tries > 100*n+1000 {
			return nil, fmt.Errorf("devstack: no free port between %d and %d", freeLow, freeHigh)
		}
		p := freeLow + rand.IntN(freeHigh-freeLow)
		if claims.taken(p) {
			continue
		}
		l, err := net.Listen("tcp", hostPort(p))
		if err != nil {
			continue // bound by someone
		}
		ls = append(ls, l)
		ports = append(ports, p)
		claims.claim(p)
	}
	return ports, claims.save()
}

// claimTTL is how long a picked port stays reserved for its picker.
const claimTTL = 2 * time.Minute

// portClaims is the machine-wide record of recent picks, held under an
// exclusive lock of its file.
type portClaims struct {
	f   *os.File
	at  map[int]int64 // port → unix seconds of the pick
	now int64
}

func lockClaims() (*portClaims, error) {
	f, err := os.OpenFile(filepath.Join(os.TempDir(), "pushnchat-port-claims"), os.O_RDWR|os.O_CREATE, 0o666)
	if err != nil {
		return nil, fmt.Errorf("devstack: port claims: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("devstack: port claims: %w", err)
	}
	c := &portClaims{f: f, at: map[int]int64{}, now: time.Now().Unix()}
	b, _ := io.ReadAll(f)
	for _, line := range strings.Split(string(b), "\n") {
		port, at, ok := strings.Cut(line, " ")
		p, err1 := strconv.Atoi(port)
		t, err2 := strconv.ParseInt(at, 10, 64)
		if ok && err1 == nil && err2 == nil && c.now-t < int64(claimTTL/time.Second) {
			c.at[p] = t
		}
	}
	return c, nil
}

func (c *portClaims) taken(p int) bool { _, ok := c.at[p]; return ok }
func (c *portClaims) claim(p int)      { c.at[p] = c.now }

// save writes the live claims back.
func (c *portClaims) save() error {
	var b strings.Builder
	for p, t := range c.at {
		fmt.Fprintf(&b, "%d %d\n", p, t)
	}
	if err := c.f.Truncate(0); err != nil {
		return fmt.Errorf("devstack: port claims: %w", err)
	}
	if _, err := c.f.WriteAt([]byte(b.String()), 0); err != nil {
		return fmt.Errorf("devstack: port claims: %w", err)
	}
	return nil
}

func (c *portClaims) release() { c.f.Close() } // closing drops the lock

func hostPort(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }
