package devstack

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
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
	if cfg.DataDir, err = placeDataDir(dir); err != nil {
		return nil, err
	}
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

// reachableRoot holds the clusters whose own place PostgreSQL's account
// cannot reach: searchable by everyone, kept across reboots.
const reachableRoot = "/var/tmp/pushnchat-postgres"

// placeDataDir says where the cluster meant for dir lives: dir itself,
// unless PostgreSQL's account (postgres, when we are root) cannot reach it
// — a checkout under a directory private to root. The cluster then lives
// under reachableRoot, and dir becomes a symbolic link to it, so the
// platform directory still shows where everything is (make clean follows
// the link).
func placeDataDir(dir string) (string, error) {
	if real, err := filepath.EvalSymlinks(dir); err == nil && real != dir {
		return real, nil // placed elsewhere by an earlier start
	}
	uid, gid, err := proc.LookupIDs(pgUser)
	if err != nil {
		return "", fmt.Errorf("devstack: postgres: %w", err)
	}
	if canReach(filepath.Dir(dir), uid, gid) {
		return dir, nil
	}
	sum := sha256.Sum256([]byte(dir))
	real := filepath.Join(reachableRoot, hex.EncodeToString(sum[:6]))
	if err := os.MkdirAll(reachableRoot, 0o755); err != nil {
		return "", fmt.Errorf("devstack: postgres: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", fmt.Errorf("devstack: postgres: %w", err)
	}
	if err := os.Symlink(real, dir); err != nil && !errors.Is(err, fs.ErrExist) {
		return "", fmt.Errorf("devstack: postgres: %w", err)
	}
	return real, nil
}

// canReach reports whether the account uid:gid may search dir and each of
// its parents.
func canReach(dir string, uid, gid int) bool {
	if uid == os.Geteuid() {
		return true
	}
	for d := dir; ; d = filepath.Dir(d) {
		if !searchable(d, uid, gid) {
			return false
		}
		if d == "/" {
			return true
		}
	}
}

// searchable reports whether uid:gid may search dir; one that does not
// exist yet will be made searchable (see preparePostgresDir).
func searchable(dir string, uid, gid int) bool {
	fi, err := os.Stat(dir)
	if os.IsNotExist(err) {
		return true
	}
	if err != nil {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return false
	}
	mode := fi.Mode().Perm()
	switch {
	case int(st.Uid) == uid:
		return mode&0o100 != 0
	case int(st.Gid) == gid:
		return mode&0o010 != 0
	}
	return mode&0o001 != 0
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
