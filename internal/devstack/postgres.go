package devstack

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pushnchat/pushnchat/internal/proc"
)

// PostgresConfig describes one PostgreSQL cluster.
type PostgresConfig struct {
	Bin     string // directory with initdb and postgres; PostgresBin when empty
	DataDir string // the cluster; initdb runs when it holds none yet
	// Port is the TCP port on 127.0.0.1. Zero means no TCP listener: the
	// cluster is reachable only on its unix socket in DataDir.
	Port int
	// Durable keeps fsync on. Tests turn it off: a throwaway cluster need
	// not survive a power cut.
	Durable bool
	// MaxConnections defaults to 300, room for many parallel tests.
	MaxConnections int
	Log            io.Writer // the server's output, when set
}

// Superuser is the role every cluster started here is initialised with;
// local connections are trusted.
const Superuser = "postgres"

// pgUser is the account PostgreSQL runs as when we are root, since it
// refuses to run as root.
const pgUser = "postgres"

// Postgres is a running cluster.
type Postgres struct {
	cfg  PostgresConfig // Port as configured: zero for socket only
	port int            // the port the server uses (names the socket file too)
	server
}

// StartPostgres initialises the cluster if needed, starts it and waits until
// it accepts connections.
func StartPostgres(ctx context.Context, cfg PostgresConfig) (*Postgres, error) {
	if cfg.Bin == "" {
		cfg.Bin = PostgresBin
	}
	if cfg.MaxConnections == 0 {
		cfg.MaxConnections = 300
	}
	for _, name := range []string{"initdb", "postgres"} {
		if err := needExecutable(name, filepath.Join(cfg.Bin, name)); err != nil {
			return nil, err
		}
	}
	dir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	cfg.DataDir = dir
	if err := preparePostgresDir(ctx, cfg); err != nil {
		return nil, err
	}

	listen := ""
	port := 5432 // names the socket file when there is no TCP listener
	if cfg.Port > 0 {
		listen, port = "127.0.0.1", cfg.Port
	}
	sockDir := cfg.DataDir
	if cfg.Port > 0 && len(sockDir)+len("/.s.PGSQL.65535") >= 100 {
		sockDir = "" // the path is too long for a unix socket; TCP only
	}
	args := []string{
		"-D", cfg.DataDir,
		"-k", sockDir,
		"-p", strconv.Itoa(port),
		"-c", "listen_addresses=" + listen,
		"-c", "max_connections=" + strconv.Itoa(cfg.MaxConnections),
		"-c", "logging_collector=off",
		"-c", "log_min_messages=warning",
		"-c", "unix_socket_permissions=0777",
	}
	if !cfg.Durable {
		args = append(args,
			"-c", "fsync=off",
			"-c", "synchronous_commit=off",
			"-c", "full_page_writes=off",
		)
	}
	p, err := proc.Start(proc.Spec{
		Name:        "postgres",
		Path:        filepath.Join(cfg.Bin, "postgres"),
		Args:        args,
		User:        pgUser,
		Log:         cfg.Log,
		StopSignal:  syscall.SIGINT, // fast shutdown: roll back, checkpoint, exit
		StopTimeout: 20 * time.Second,
	})
	if err != nil {
		return nil, err
	}
	pg := &Postgres{cfg: cfg, port: port, server: server{proc: p}}
	if err := p.WaitReady(ctx, 60*time.Second, pg.ping); err != nil {
		_ = p.Stop()
		return nil, err
	}
	return pg, nil
}

func preparePostgresDir(ctx context.Context, cfg PostgresConfig) error {
	if _, err := os.Stat(filepath.Join(cfg.DataDir, "PG_VERSION")); err == nil {
		return nil
	}
	uid, gid, err := proc.LookupIDs(pgUser)
	if err != nil {
		return fmt.Errorf("devstack: postgres: %w", err)
	}
	// Parents stay reachable for the postgres account.
	if err := os.MkdirAll(filepath.Dir(cfg.DataDir), 0o755); err != nil {
		return fmt.Errorf("devstack: postgres: %w", err)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("devstack: postgres: %w", err)
	}
	if err := os.Chown(cfg.DataDir, uid, gid); err != nil {
		return fmt.Errorf("devstack: postgres: own %s: %w", cfg.DataDir, err)
	}
	err = proc.Run(ctx, proc.Spec{
		Name: "initdb",
		Path: filepath.Join(cfg.Bin, "initdb"),
		Args: []string{
			"-D", cfg.DataDir,
			"-U", Superuser,
			"-A", "trust",
			"-E", "UTF8",
			"--locale=C.UTF-8",
			"--no-sync",
			"--no-instructions",
		},
		User: pgUser,
	}, 2*time.Minute)
	if err != nil {
		return fmt.Errorf("devstack: postgres (runs as user %s when started by root; every parent of %s must be searchable by it): %w",
			pgUser, cfg.DataDir, err)
	}
	return nil
}

func (pg *Postgres) ping(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, pg.URL("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	return conn.Ping(ctx)
}

// URL is a connection URL for database dbname as the superuser.
func (pg *Postgres) URL(dbname string) string {
	q := url.Values{"sslmode": {"disable"}}
	u := url.URL{Scheme: "postgres", User: url.User(Superuser), Path: "/" + dbname}
	if pg.cfg.Port > 0 {
		u.Host = hostPort(pg.port)
	} else {
		q.Set("host", pg.cfg.DataDir)
		q.Set("port", strconv.Itoa(pg.port))
	}
	u.RawQuery = q.Encode()
	return u.String()
}
