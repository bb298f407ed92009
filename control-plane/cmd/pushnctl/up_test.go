package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"github.com/pushnchat/pushnchat/control-plane/internal/localup"
	"github.com/pushnchat/pushnchat/internal/authemu"
	"github.com/pushnchat/pushnchat/internal/devstack"
	"github.com/pushnchat/pushnchat/internal/proc"
)

// `pushnctl up` brings up a PostgreSQL and a Redis per cell, Consul and the
// Auth emulator, each answering; SIGINT stops all of it.
func TestUpStartsEverythingAndSIGINTStopsIt(t *testing.T) {
	binDir := t.TempDir()
	bin := filepath.Join(binDir, "pushnctl")
	if out, err := exec.Command("go", "build", "-o", binDir+"/", ".", "../../../cell/cmd/cell", "../control-plane", "../../../router/cmd/router").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	// Not t.TempDir: PostgreSQL runs as another user when we are root and
	// must be able to reach its data directory.
	dir, err := os.MkdirTemp("", "pnc-up-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(bin, "up", "-dir", dir, "-base-port", "0")
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		select {
		case <-exited:
		case <-time.After(time.Minute):
		}
	})

	lines := make(chan string, 256)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var table []string
	timeout := time.After(4 * time.Minute)
wait:
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("pushnctl up ended before the platform was up; it printed:\n%s", strings.Join(table, "\n"))
			}
			table = append(table, l)
			if strings.HasPrefix(l, "  curl") { // the last line of the banner
				break wait
			}
		case <-timeout:
			t.Fatalf("platform not up within 4m; printed so far:\n%s", strings.Join(table, "\n"))
		}
	}
	out := strings.Join(table, "\n")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	pgURLs := regexp.MustCompile(`(?m)^\S+ postgres\s+(postgres://\S+)`).FindAllStringSubmatch(out, -1)
	if len(pgURLs) != len(localup.Cells) {
		t.Fatalf("found %d PostgreSQL URLs; want %d:\n%s", len(pgURLs), len(localup.Cells), out)
	}
	for _, m := range pgURLs {
		conn, err := pgx.Connect(ctx, m[1])
		if err != nil {
			t.Fatalf("connect %s: %v", m[1], err)
		}
		var one int
		err = conn.QueryRow(ctx, "SELECT 1").Scan(&one)
		conn.Close(ctx)
		if err != nil || one != 1 {
			t.Errorf("SELECT 1 on %s = %d, %v", m[1], one, err)
		}
	}
	redisAddrs := regexp.MustCompile(`(?m)^\S+ redis\s+(\S+)`).FindAllStringSubmatch(out, -1)
	if len(redisAddrs) != len(localup.Cells) {
		t.Fatalf("found %d Redis addresses; want %d:\n%s", len(redisAddrs), len(localup.Cells), out)
	}
	for _, m := range redisAddrs {
		c := redis.NewClient(&redis.Options{Addr: m[1]})
		pong, err := c.Ping(ctx).Result()
		c.Close()
		if err != nil || pong != "PONG" {
			t.Errorf("PING %s = %q, %v", m[1], pong, err)
		}
	}
	consul := regexp.MustCompile(`curl -s (http://\S+/v1/status/leader)`).FindStringSubmatch(out)
	if consul == nil {
		t.Fatalf("no Consul address in:\n%s", out)
	}
	if leader := httpGet(t, consul[1]); len(leader) < 3 {
		t.Errorf("Consul leader = %q; want an address", leader)
	}
	cells := regexp.MustCompile(`(?m)^\S+ cell API.*curl -s (http://\S+/v1/markets/\S+/listings)`).FindAllStringSubmatch(out, -1)
	if len(cells) != len(localup.Cells) {
		t.Fatalf("found %d cell APIs; want %d:\n%s", len(cells), len(localup.Cells), out)
	}
	for _, m := range cells {
		var page struct{ Items []struct{ Title string } }
		if err := json.Unmarshal([]byte(httpGet(t, m[1])), &page); err != nil || len(page.Items) != 3 {
			t.Errorf("GET %s: %d demo listings, %v; want 3", m[1], len(page.Items), err)
		}
	}
	auth := regexp.MustCompile(`FIREBASE_AUTH_EMULATOR_HOST=(\S+)`).FindStringSubmatch(out)
	if auth == nil {
		t.Fatalf("no Auth emulator address in:\n%s", out)
	}
	s, err := authemu.New(auth[1], devstack.DemoProject).SignUp(ctx, "up-test@example.test", "a long password")
	if err != nil || s.IDToken == "" {
		t.Errorf("sign-up on the emulator = %+v, %v; want a token", s, err)
	}
	if _, err := authemu.New(auth[1], devstack.DemoProject).SignIn(ctx, localup.DemoUser(localup.Cells[0]), localup.DemoPassword); err != nil {
		t.Errorf("demo user cannot sign in: %v", err)
	}

	// The operator commands against the running platform.
	cp := regexp.MustCompile(`(?m)^control plane\s+(http://\S+)`).FindStringSubmatch(out)
	if cp == nil {
		t.Fatalf("no control plane address in:\n%s", out)
	}
	token, err := os.ReadFile(filepath.Join(dir, "service-token"))
	if err != nil {
		t.Fatal(err)
	}
	ops := func(args ...string) string {
		args = append(args, "-control-plane", cp[1], "-service-token", string(token))
		b, err := exec.Command(bin, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("pushnctl %v: %v\n%s", args, err, b)
		}
		return string(b)
	}
	if cells := ops("cells"); !regexp.MustCompile(`lagos-1\s+NG\s+up\s+1`).MatchString(cells) || strings.Count(cells, " up ") != len(localup.Cells) {
		t.Errorf("pushnctl cells:\n%s\nwant every cell up, lagos-1 with its demo business", cells)
	}
	if where := ops("tenant", "where", "ada-fabrics"); !strings.Contains(where, "lagos-1") || !strings.Contains(where, "placement.home-jurisdiction") {
		t.Errorf("pushnctl tenant where ada-fabrics:\n%s", where)
	}

	servers, err := proc.Group(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	if len(servers) < 3*len(localup.Cells)+5 {
		t.Fatalf("pushnctl runs %v; want at least %d servers", servers, 3*len(localup.Cells)+5)
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		exited <- err // for the cleanup
		if err != nil {
			t.Errorf("pushnctl up after SIGINT: %v; want a clean exit", err)
		}
	case <-time.After(2 * time.Minute):
		t.Fatalf("pushnctl up did not exit within 2m of SIGINT")
	}
	if alive := proc.WaitGone(servers, 30*time.Second); len(alive) > 0 {
		for pid := range servers {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		t.Fatalf("still running after pushnctl up stopped: %v", alive)
	}
}

func httpGet(t *testing.T, url string) string {
	t.Helper()
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return strings.TrimSpace(string(b))
}
