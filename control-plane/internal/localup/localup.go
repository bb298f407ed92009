// Package localup runs the whole PushNchat platform on one machine for
// development: what `pushnctl up` (and so `make up`) starts. Every server is
// a named, long-lived instance whose data lives under the platform directory
// (.pushnchat/ in the checkout), started and stopped by package devstack.
package localup

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/jackc/pgx/v5"

	"github.com/pushnchat/pushnchat/internal/authemu"
	"github.com/pushnchat/pushnchat/internal/devstack"
	"github.com/pushnchat/pushnchat/internal/probe"
	"github.com/pushnchat/pushnchat/internal/proc"
	"github.com/pushnchat/pushnchat/internal/signedcall"
)

// Cell is one cell of the local platform. Which markets it serves is not
// said here: a cell serves the countries the residency policy homes in it
// (residency.Markets), the one source the control plane places by too.
type Cell struct {
	Name    string // e.g. lagos-1
	Country string // the home market of its demo business
	Demo    string // slug of its demo business
}

// Cells of the default deployment (docs/architecture.md).
var Cells = []Cell{
	{"lagos-1", "NG", "ada-fabrics"},
	{"johannesburg-1", "ZA", "thandi-crafts"},
	{"nairobi-1", "KE", "wanjiru-foods"},
	{"us-1", "US", "lincoln-tools"},
	{"eu-1", "DE", "berlin-textil"},
}

// Config says where the platform lives.
type Config struct {
	Dir      string // platform directory, e.g. .pushnchat
	BasePort int    // the port plan starts here (see Ports)
	Tools    devstack.Tools
	// Binaries is the directory with the cell, control-plane and router
	// executables (bin/ after `make build`).
	Binaries string
	// Web is the web app's directory (web/ after `make build`); the
	// router serves its pages. Empty starts no web app.
	Web string
	// WebAPI is where the web app's server reaches the API for public
	// market data: the router when empty.
	WebAPI string
	// Link, when set, gives the address by which the control plane's
	// broker reaches each cell (a WAN emulator in front of it, package
	// wan); the cell's own address otherwise.
	Link   func(cell, addr string) (string, error)
	Logger *slog.Logger
}

// Platform is the running local platform.
type Platform struct {
	Ports Ports
	// ServiceToken is what the cells accept from the control plane.
	ServiceToken string
	// EdgeToken is how the router vouches to the cells for client
	// addresses.
	EdgeToken string
	// BrokerKeys is the file of the broker's public keys the cells trust.
	BrokerKeys string
	Cells      []RunningCell
	Consul     *devstack.Consul
	Auth       *devstack.AuthEmulator
	// DirectoryDB is the control plane's PostgreSQL.
	DirectoryDB *devstack.Postgres
	// ControlPlaneAddr, RouterAddr and RouterMetricsAddr are host:port;
	// WebAddr too, when the web app runs.
	ControlPlaneAddr, RouterAddr, RouterMetricsAddr, WebAddr string
	// XDSAddr is the control plane's xDS (ADS) server, host:port.
	XDSAddr string

	lock     *os.File
	stops    []func() error
	programs []*program // cells, control plane, router: in start order
}

// RunningCell is a cell's running dependencies.
type RunningCell struct {
	Cell
	Postgres *devstack.Postgres
	Redis    *devstack.Redis
	HTTPAddr string // the cell's API, host:port
}

// CellDatabase is the name of each cell's application database.
const CellDatabase = "pushnchat"

// DirectoryDatabase is the control plane's database.
const DirectoryDatabase = "directory"

// Start brings the platform up. On error, whatever did start is stopped.
func Start(ctx context.Context, cfg Config) (_ *Platform, err error) {
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(dir, "logs"), 0o755); err != nil {
		return nil, err
	}
	// PostgreSQL runs as another user when we are root; it must reach its
	// data directory inside this one.
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	token, err := secret(dir, "service-token")
	if err != nil {
		return nil, err
	}
	edge, err := secret(dir, "edge-token")
	if err != nil {
		return nil, err
	}
	brokerKey, brokerKeys, err := brokerKeyFiles(dir)
	if err != nil {
		return nil, err
	}
	pl := &Platform{Ports: PortPlan(cfg.BasePort), ServiceToken: token, EdgeToken: edge, BrokerKeys: brokerKeys, lock: lock}
	defer func() {
		if err != nil {
			_ = pl.Stop()
		}
	}()

	// Start the servers side by side; mu guards errs and pl.stops.
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	logTo := func(name string) (io.Writer, error) {
		f, err := os.OpenFile(filepath.Join(dir, "logs", name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return nil, err
		}
		mu.Lock()
		pl.stops = append(pl.stops, f.Close)
		mu.Unlock()
		return f, nil
	}

	launch := func(name string, start func(log io.Writer) (func() error, error)) {
		log, err := logTo(name)
		if err != nil {
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			cfg.Logger.Info("starting", "service", name)
			stop, err := start(log)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
				return
			}
			pl.stops = append(pl.stops, stop)
		}()
	}

	pl.Cells = make([]RunningCell, len(Cells))
	for i, c := range Cells {
		pl.Cells[i].Cell = c
		launch(c.Name+"-postgres", func(log io.Writer) (func() error, error) {
			port, err := portOr(pl.Ports.CellPostgres[i])
			if err != nil {
				return nil, err
			}
			pg, err := devstack.StartPostgres(ctx, devstack.PostgresConfig{
				Bin:     cfg.Tools.PostgresBin,
				DataDir: filepath.Join(dir, c.Name, "postgres"),
				Port:    port,
				Durable: true,
				Log:     log,
			})
			if err != nil {
				return nil, err
			}
			pl.Cells[i].Postgres = pg
			return pg.Stop, nil
		})
		launch(c.Name+"-redis", func(log io.Writer) (func() error, error) {
			r, err := devstack.StartRedis(ctx, devstack.RedisConfig{
				Path:    cfg.Tools.Redis,
				Dir:     filepath.Join(dir, c.Name, "redis"),
				Port:    pl.Ports.CellRedis[i],
				Durable: true,
				Log:     log,
			})
			if err != nil {
				return nil, err
			}
			pl.Cells[i].Redis = r
			return r.Stop, nil
		})
	}
	launch("control-plane-postgres", func(log io.Writer) (func() error, error) {
		port, err := portOr(pl.Ports.ControlPlanePostgres)
		if err != nil {
			return nil, err
		}
		pg, err := devstack.StartPostgres(ctx, devstack.PostgresConfig{
			Bin: cfg.Tools.PostgresBin, DataDir: filepath.Join(dir, "control-plane", "postgres"), Port: port, Durable: true, Log: log,
		})
		if err != nil {
			return nil, err
		}
		pl.DirectoryDB = pg
		return pg.Stop, nil
	})
	launch("consul", func(log io.Writer) (func() error, error) {
		c, err := devstack.StartConsul(ctx, devstack.ConsulConfig{
			Path: cfg.Tools.Consul, HTTPPort: pl.Ports.Consul, Node: "pushnchat-local", Log: log,
		})
		if err != nil {
			return nil, err
		}
		pl.Consul = c
		return c.Stop, nil
	})
	launch("auth-emulator", func(log io.Writer) (func() error, error) {
		a, err := devstack.StartAuthEmulator(ctx, devstack.AuthEmulatorConfig{
			Firebase: cfg.Tools.Firebase,
			Dir:      filepath.Join(dir, "firebase"),
			StateDir: filepath.Join(dir, "firebase", "state"),
			Port:     pl.Ports.AuthEmulator,
			Log:      log,
		})
		if err != nil {
			return nil, err
		}
		pl.Auth = a
		return a.Stop, nil
	})
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	// The programs, once their PostgreSQL, Redis and the Auth emulator run:
	// the cells, then the control plane, then the router.
	for _, c := range pl.Cells {
		if err := createDatabase(ctx, c.Postgres.URL("postgres"), CellDatabase); err != nil {
			return nil, fmt.Errorf("%s: %w", c.Name, err)
		}
	}
	if err := createDatabase(ctx, pl.DirectoryDB.URL("postgres"), DirectoryDatabase); err != nil {
		return nil, fmt.Errorf("control plane: %w", err)
	}
	routerPort, err := portOr(pl.Ports.Router)
	if err != nil {
		return nil, err
	}
	pl.RouterAddr = hostPort(routerPort)
	// The web app's pages come from the router's origin, which the cells
	// accept cookie-authenticated writes from.
	origins := []string{"http://" + pl.RouterAddr, "http://localhost:" + strconv.Itoa(routerPort)}
	var cellList, brokerList []string
	for i := range pl.Cells {
		c := &pl.Cells[i]
		port, err := portOr(pl.Ports.CellHTTP[i])
		if err != nil {
			return nil, err
		}
		c.HTTPAddr = hostPort(port)
		cellList = append(cellList, c.Name+"=http://"+c.HTTPAddr)
		if cfg.Link != nil {
			via, err := cfg.Link(c.Name, c.HTTPAddr)
			if err != nil {
				return nil, err
			}
			brokerList = append(brokerList, c.Name+"=http://"+via)
		}
		pl.programs = append(pl.programs, &program{name: c.Name, spec: cellSpec(cfg, dir, *c, pl, origins), ready: probe.Ready("http://"+c.HTTPAddr+"/readyz", `"cell":"`+c.Name+`"`)})
	}
	cpPort, err := portOr(pl.Ports.ControlPlane)
	if err != nil {
		return nil, err
	}
	pl.ControlPlaneAddr = hostPort(cpPort)
	xdsPort, err := portOr(pl.Ports.XDS)
	if err != nil {
		return nil, err
	}
	pl.XDSAddr = hostPort(xdsPort)
	metricsPort, err := portOr(pl.Ports.RouterMetrics)
	if err != nil {
		return nil, err
	}
	pl.RouterMetricsAddr = hostPort(metricsPort)
	routerArgs := []string{"-listen", pl.RouterAddr, "-control-plane", "http://" + pl.ControlPlaneAddr, "-service-token", pl.ServiceToken, "-edge-token", pl.EdgeToken,
		"-metrics-listen", pl.RouterMetricsAddr}
	var web *program
	if cfg.Web != "" {
		port, err := portOr(pl.Ports.Web)
		if err != nil {
			return nil, err
		}
		api := cfg.WebAPI
		if api == "" {
			api = "http://" + pl.RouterAddr
		}
		if web, err = webProgram(cfg.Web, port, api, pl.Auth); err != nil {
			return nil, err
		}
		pl.WebAddr = hostPort(port)
		routerArgs = append(routerArgs, "-web", "http://"+pl.WebAddr)
	}
	pl.programs = append(pl.programs,
		&program{name: "control-plane", ready: probe.Ready("http://" + pl.ControlPlaneAddr + "/readyz"), spec: proc.Spec{
			Path: filepath.Join(cfg.Binaries, "control-plane"),
			Args: []string{"-listen", pl.ControlPlaneAddr, "-database-url", pl.DirectoryDB.URL(DirectoryDatabase),
				"-cells", strings.Join(cellList, ","), "-service-token", pl.ServiceToken, "-edge-token", pl.EdgeToken, "-consul", pl.Consul.HTTPAddr(),
				"-broker-key", brokerKey, "-broker-cells", strings.Join(brokerList, ","),
				"-xds-listen", hostPort(xdsPort), "-firebase-project", pl.Auth.Project(), "-firebase-emulator", pl.Auth.Host()},
		}})
	// The web app starts before the router in front of it, and so stops
	// after it, once nothing forwards to it any more.
	if web != nil {
		pl.programs = append(pl.programs, web)
	}
	pl.programs = append(pl.programs,
		&program{name: "router", ready: probe.Ready("http://" + pl.RouterAddr + "/healthz"), spec: proc.Spec{
			Path: filepath.Join(cfg.Binaries, "router"),
			Args: routerArgs,
		}})
	for _, pg := range pl.programs {
		log, err := logTo(pg.name)
		if err != nil {
			return nil, err
		}
		pg.spec.Name, pg.spec.Log, pg.spec.StopSignal = pg.name, log, syscall.SIGTERM
	}
	// Cells side by side, then the control plane, the web app and the
	// router.
	for _, pg := range pl.programs[:len(pl.Cells)] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cfg.Logger.Info("starting", "service", pg.name)
			if err := pl.startProgram(ctx, pg); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("%s: %w", pg.name, err))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for _, pg := range pl.programs[len(pl.Cells):] {
		cfg.Logger.Info("starting", "service", pg.name)
		if err := pl.startProgram(ctx, pg); err != nil {
			return nil, fmt.Errorf("%s: %w", pg.name, err)
		}
	}
	if err := pl.seed(ctx); err != nil {
		return nil, fmt.Errorf("seed demo data: %w", err)
	}
	return pl, nil
}

// DemoPassword is the password of every demo user.
const DemoPassword = "pushnchat-demo"

// DemoUser is the demo account of a cell's market.
func DemoUser(c Cell) string { return "owner@" + c.Name + ".demo.pushnchat.test" }

// DemoStaff is the demo business's staff member, who chats with the owner.
func DemoStaff(c Cell) string { return "staff@" + c.Name + ".demo.pushnchat.test" }

// seed creates each cell's database, two demo users per market (owner and
// staff), and a demo business with published listings and a conversation
// in every cell. It is idempotent: a second `up` finds them in place.
func (pl *Platform) seed(ctx context.Context) error {
	auth := authemu.New(pl.Auth.Host(), pl.Auth.Project())
	account := func(email string) (authemu.Session, error) {
		s, err := auth.SignIn(ctx, email, DemoPassword)
		if err != nil {
			s, err = auth.SignUp(ctx, email, DemoPassword)
		}
		return s, err
	}
	for _, c := range pl.Cells {
		owner, err := account(DemoUser(c.Cell))
		if err != nil {
			return err
		}
		staff, err := account(DemoStaff(c.Cell))
		if err != nil {
			return err
		}
		if err := seedCell(ctx, pl.RouterAddr, c, owner, staff); err != nil {
			return fmt.Errorf("%s: %w", c.Name, err)
		}
	}
	return nil
}

func createDatabase(ctx context.Context, adminURL, name string) error {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return err
	}
	if exists {
		return nil
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	return err
}

// Stop stops everything in reverse start order and releases the directory.
func (pl *Platform) Stop() error {
	var errs []error
	for i := len(pl.programs) - 1; i >= 0; i-- {
		if p := pl.programs[i].p; p != nil {
			errs = append(errs, p.Stop())
			pl.programs[i].p = nil
		}
	}
	for i := len(pl.stops) - 1; i >= 0; i-- {
		errs = append(errs, pl.stops[i]())
	}
	pl.stops = nil
	if pl.lock != nil {
		errs = append(errs, pl.lock.Close())
		pl.lock = nil
	}
	return errors.Join(errs...)
}

// brokerKeyFiles returns the broker's signing key file and the file of its
// public key the cells trust, made once and kept in the platform
// directory.
func brokerKeyFiles(dir string) (private, public string, _ error) {
	private, public = filepath.Join(dir, "broker-key"), filepath.Join(dir, "broker-keys.pub")
	if _, err := os.Stat(private); err == nil {
		if _, err := os.Stat(public); err == nil {
			return private, public, nil
		}
	}
	k := signedcall.NewKey()
	if err := signedcall.WritePrivate(private, k); err != nil {
		return "", "", err
	}
	return private, public, signedcall.WritePublic(public, k)
}

// secret returns one of the platform's shared secrets (the service token,
// the edge token), made once and kept in the platform directory.
func secret(dir, name string) (string, error) {
	path := filepath.Join(dir, name)
	if b, err := os.ReadFile(path); err == nil && len(b) > 0 {
		return string(b), nil
	}
	var raw [24]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", err
	}
	tok := hex.EncodeToString(raw[:])
	return tok, os.WriteFile(path, []byte(tok), 0o600)
}

// lockDir makes sure one `up` at a time uses the platform directory.
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, "up.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("another `pushnctl up` is running on %s", dir)
	}
	return f, nil
}
