package devstack

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/pushnchat/pushnchat/internal/proc"
)

// RedisConfig describes one Redis server.
type RedisConfig struct {
	Path string // redis-server; looked up on PATH when empty
	Dir  string // working directory (append-only file when Durable)
	// Port on 127.0.0.1; a free one when zero.
	Port int
	// Durable turns the append-only file on (fsync every second). Tests
	// keep everything in memory.
	Durable bool
	// Databases is the number of logical databases; 16 when zero. Tests use
	// many, one per test.
	Databases int
	Log       io.Writer
}

// Redis is a running server.
type Redis struct {
	server
	port int
}

// StartRedis starts a server and waits until it answers PING.
func StartRedis(ctx context.Context, cfg RedisConfig) (*Redis, error) {
	if cfg.Path == "" {
		cfg.Path = FindTools(os.Getenv, "").Redis
	}
	if err := needExecutable("redis-server", cfg.Path); err != nil {
		return nil, err
	}
	if cfg.Databases == 0 {
		cfg.Databases = 16
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("devstack: redis: %w", err)
	}
	r := &Redis{}
	err := startOnPorts(fixedPorts(cfg.Port), 1, func(ports []int) (*proc.Process, error) {
		args := []string{
			"--port", strconv.Itoa(ports[0]),
			"--bind", "127.0.0.1",
			"--protected-mode", "yes",
			"--daemonize", "no",
			"--dir", cfg.Dir,
			"--databases", strconv.Itoa(cfg.Databases),
			"--logfile", "",
			"--save", "",
		}
		if cfg.Durable {
			args = append(args, "--appendonly", "yes", "--appendfsync", "everysec")
		} else {
			args = append(args, "--appendonly", "no")
		}
		p, err := proc.Start(proc.Spec{Name: "redis-server", Path: cfg.Path, Args: args, Dir: cfg.Dir, Log: cfg.Log})
		if err != nil {
			return nil, err
		}
		r.port, r.proc = ports[0], p
		return p, p.WaitReady(ctx, 30*time.Second, r.ping)
	})
	if err != nil {
		return nil, fmt.Errorf("devstack: redis: %w", err)
	}
	return r, nil
}

func (r *Redis) ping(ctx context.Context) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", r.Addr())
	if err != nil {
		return err
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	if _, err := io.WriteString(c, "PING\r\n"); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if strings.TrimSpace(line) != "+PONG" {
		return fmt.Errorf("PING answered %q", strings.TrimSpace(line))
	}
	return nil
}

// Addr is host:port of the server.
func (r *Redis) Addr() string { return hostPort(r.port) }

// Port is the server's TCP port.
func (r *Redis) Port() int { return r.port }

// URL is a redis:// URL for logical database db.
func (r *Redis) URL(db int) string { return fmt.Sprintf("redis://%s/%d", r.Addr(), db) }

func fixedPorts(ports ...int) []int {
	for _, p := range ports {
		if p == 0 {
			return nil
		}
	}
	return ports
}

// startOnPorts starts a server on the fixed ports, or, when fixed is nil, on
// count free ports, trying again with new ones when the server dies before it
// is ready (another process took a port in between). start returns the
// process it started even when readiness failed.
func startOnPorts(fixed []int, count int, start func([]int) (*proc.Process, error)) error {
	attempts := 3
	if fixed != nil {
		attempts = 1
	}
	var err error
	for range attempts {
		ports := fixed
		if ports == nil {
			if ports, err = FreePorts(count); err != nil {
				return err
			}
		}
		var p *proc.Process
		p, err = start(ports)
		if err == nil {
			return nil
		}
		if p == nil {
			return err
		}
		exited, _ := p.Exited()
		_ = p.Stop()
		if !exited {
			return err // alive but not ready: another port will not help
		}
	}
	return err
}
