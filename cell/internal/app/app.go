// Package app wires a cell process together: telemetry, the database
// (migrated under a lock), Redis, Firebase, the photo bucket, the realtime
// hub and the HTTP server. cmd/cell runs it; tests start it on :0 with real dependencies.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/extra/redisotel/v9"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/trace"

	"github.com/pushnchat/pushnchat/cell/config"
	"github.com/pushnchat/pushnchat/cell/internal/httpapi"
	"github.com/pushnchat/pushnchat/cell/internal/media"
	"github.com/pushnchat/pushnchat/cell/internal/partnership"
	"github.com/pushnchat/pushnchat/cell/internal/postgres"
	"github.com/pushnchat/pushnchat/cell/internal/realtime"
	"github.com/pushnchat/pushnchat/internal/consulreg"
	"github.com/pushnchat/pushnchat/internal/firebaseauth"
	"github.com/pushnchat/pushnchat/internal/pgnotify"
	"github.com/pushnchat/pushnchat/internal/ratelimit"
	"github.com/pushnchat/pushnchat/internal/signedcall"
	"github.com/pushnchat/pushnchat/internal/telemetry"
	"github.com/pushnchat/pushnchat/residency"
)

// App is a running cell.
type App struct {
	cfg     config.Config
	tel     *telemetry.Telemetry
	db      *postgres.DB
	rdb     *redis.Client
	hub     *realtime.Hub
	pushLog *os.File
	media   *media.Store
	srv     *http.Server
	ln      net.Listener
	served  chan error
	stopBgr context.CancelFunc
	bg      sync.WaitGroup
	feed    pgnotify.Signal // the membership feed grew
	outbox  pgnotify.Signal // the outbox grew
	closing chan struct{}   // closed when the HTTP server shuts down
	// deregister takes the replica out of Consul (nil when not registered).
	deregister func(context.Context) error
}

// Start brings a cell up and serves until Shutdown.
func Start(ctx context.Context, cfg config.Config, logOut io.Writer) (_ *App, err error) {
	a := &App{cfg: cfg, served: make(chan error, 1), closing: make(chan struct{})}
	defer func() {
		if err != nil {
			a.close()
		}
	}()
	if a.tel, err = telemetry.Setup(ctx, telemetry.Config{
		Service: "cell", Cell: cfg.Cell, OTLPEndpoint: cfg.OTLPEndpoint, LogOutput: logOut, LogLevel: cfg.LogLevel,
	}); err != nil {
		return nil, err
	}
	if err = postgres.Migrate(ctx, cfg.DatabaseURL); err != nil {
		return nil, err
	}
	// Query spans only when spans are exported, as for Redis below.
	var dbTracer trace.TracerProvider
	if a.tel.Exporting {
		dbTracer = a.tel.Tracer
	}
	if a.db, err = postgres.Open(ctx, cfg.DatabaseURL, dbTracer, a.tel.Meter); err != nil {
		return nil, err
	}
	ropts, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		return nil, fmt.Errorf("cell: redis url: %w", err)
	}
	a.rdb = redis.NewClient(ropts)
	// Redis spans only when spans are exported: the hook costs a stack
	// walk per command even when nothing records it.
	if a.tel.Exporting {
		if err = redisotel.InstrumentTracing(a.rdb, redisotel.WithTracerProvider(a.tel.Tracer),
			// Commands carry message content (the realtime publish): never
			// put them in spans, which leave the cell's jurisdiction.
			redisotel.WithDBStatement(false)); err != nil {
			return nil, fmt.Errorf("cell: redis tracing: %w", err)
		}
	}
	verifier, err := firebaseauth.NewVerifier(ctx, cfg.Firebase.ProjectID, cfg.Firebase.EmulatorHost, a.tel.Logger)
	if err != nil {
		return nil, err
	}
	if a.media, err = media.OpenStore(ctx, cfg.BlobURL); err != nil {
		return nil, err
	}
	var pusher realtime.Pusher // the log, unless a push log file is named
	if cfg.PushLog != "" {
		if a.pushLog, err = os.OpenFile(cfg.PushLog, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644); err != nil {
			return nil, fmt.Errorf("cell: push log: %w", err)
		}
		pusher = &realtime.Recorder{W: a.pushLog}
	}
	checkMessage := partnership.MessageGuard(cfg.Cell, a.db.PartnerSending)
	if a.hub, err = realtime.NewHub(realtime.Config{
		DB: a.db, CheckMessage: checkMessage, Redis: a.rdb, Pusher: pusher, Logger: a.tel.Logger, Meter: a.tel.Meter,
		OriginPatterns: originHosts(cfg.AllowedOrigins),
		QueueLimit:     cfg.Realtime.QueueLimit, FrameRate: cfg.Realtime.FrameRate, FrameBurst: cfg.Realtime.FrameBurst,
		Heartbeat: cfg.Realtime.Heartbeat, Sweep: cfg.Realtime.Sweep,
		CoalesceFrom: cfg.Realtime.CoalesceFrom, CoalesceWindow: cfg.Realtime.CoalesceWindow,
	}); err != nil {
		return nil, err
	}
	var inbox *signedcall.Verifier
	if cfg.BrokerKeys != "" {
		keys, err := signedcall.ReadPublic(cfg.BrokerKeys)
		if err != nil {
			return nil, err
		}
		inbox = &signedcall.Verifier{Audience: cfg.Cell, Keys: keys, Seen: func(id string, ttl time.Duration) (bool, error) {
			return a.rdb.SetNX(context.Background(), "signedcall:"+id, 1, ttl).Result()
		}}
	}
	handler, err := httpapi.NewServer(httpapi.Deps{
		Cell:           cfg.Cell,
		Markets:        cfg.Markets,
		DB:             a.db,
		Verifier:       verifier,
		Media:          a.media,
		Realtime:       a.hub,
		Limiter:        ratelimit.New(a.rdb, "rl:"),
		RateIP:         ratelimit.Rate{Per: cfg.RateIP.PerSecond, Every: time.Second, Burst: cfg.RateIP.Burst},
		RateUser:       ratelimit.Rate{Per: cfg.RateUser.PerSecond, Every: time.Second, Burst: cfg.RateUser.Burst},
		AllowedOrigins: cfg.AllowedOrigins,
		ServiceToken:   cfg.ServiceToken,
		EdgeToken:      cfg.EdgeToken,
		Logger:         a.tel.Logger,
		Tracer:         a.tel.Tracer,
		Meter:          a.tel.Meter,
		Propagator:     a.tel.Propagator,
		Metrics:        a.tel.MetricsHandler,
		Ready:          a.ready,
		MembershipFeed: &a.feed,
		Outbox:         &a.outbox,
		CheckMessage:   checkMessage,
		Inbox:          inbox,
		Closing:        a.closing,
	})
	if err != nil {
		return nil, err
	}
	if a.ln, err = net.Listen("tcp", cfg.Listen); err != nil {
		return nil, fmt.Errorf("cell: listen: %w", err)
	}
	a.srv = &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    32 << 10,
	}
	a.srv.RegisterOnShutdown(func() { close(a.closing) })
	go func() { a.served <- a.srv.Serve(a.ln) }()
	bg, stop := context.WithCancel(context.WithoutCancel(ctx))
	a.stopBgr = stop
	a.bg.Add(3)
	go func() { defer a.bg.Done(); a.purgeIdempotency(bg) }()
	go func() {
		defer a.bg.Done()
		pgnotify.Listen(bg, cfg.DatabaseURL, postgres.MembershipChannel, a.feed.Fire)
	}()
	go func() {
		defer a.bg.Done()
		pgnotify.Listen(bg, cfg.DatabaseURL, postgres.OutboxChannel, a.outbox.Fire)
	}()
	if cfg.Consul != "" {
		if err = a.register(ctx); err != nil {
			return nil, err
		}
	}
	a.tel.Logger.Info("cell serving", "addr", a.ln.Addr().String(), "markets", cfg.Markets)
	return a, nil
}

// register puts this replica in Consul (service "cell", its /readyz as the
// check) once it is ready, with the metadata the control plane routes by.
func (a *App) register(ctx context.Context) error {
	if err := a.ready(ctx); err != nil {
		return fmt.Errorf("cell: not ready to register with Consul: %w", err)
	}
	url := a.cfg.Advertise
	if url == "" {
		url = "http://" + a.ln.Addr().String()
	}
	j := a.cfg.Jurisdiction
	if jj, ok := residency.CellJurisdiction(a.cfg.Cell); ok && j == "" {
		j = jj
	}
	role := a.cfg.Role
	if role == "" {
		role = "primary"
	}
	id := "cell-" + a.cfg.Cell + "-" + strings.NewReplacer("http://", "", "https://", "", ":", "-", "/", "").Replace(url)
	dereg, err := consulreg.Register(ctx, a.cfg.Consul, consulreg.Instance{
		Service: "cell", ID: id, URL: url, Check: "/readyz", Interval: time.Second,
		Tags: []string{a.cfg.Cell, "jurisdiction-" + j, role},
		Meta: map[string]string{"cell": a.cfg.Cell, "jurisdiction": j, "role": role, "version": consulreg.Version()},
	})
	if err != nil {
		return err
	}
	a.deregister = dereg
	a.tel.Logger.Info("registered with Consul", "id", id, "consul", a.cfg.Consul)
	return nil
}

// Addr is where the cell listens.
func (a *App) Addr() string { return a.ln.Addr().String() }

// Served delivers the server's error if it stops on its own (a listener
// failure); Shutdown does not send on it.
func (a *App) Served() <-chan error { return a.served }

func (a *App) ready(ctx context.Context) error {
	if err := a.db.Ready(ctx); err != nil {
		return err
	}
	return a.rdb.Ping(ctx).Err()
}

// purgeIdempotency drops expired idempotency records hourly until ctx ends.
func (a *App) purgeIdempotency(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := a.db.PurgeIdempotent(ctx); err != nil {
				a.tel.Logger.Warn("idempotency purge", "err", err)
			} else if n > 0 {
				a.tel.Logger.Info("idempotency purge", "deleted", n)
			}
		}
	}
}

// Shutdown stops accepting requests, lets in-flight ones finish within the
// configured grace, then closes every dependency.
func (a *App) Shutdown(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, a.cfg.ShutdownGrace)
	defer cancel()
	var errs []error
	if a.deregister != nil {
		// Out of the catalog first, so no new traffic is sent here.
		if err := a.deregister(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if a.hub != nil {
		// Live sessions first: net/http does not track hijacked connections.
		if err := a.hub.Drain(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if a.srv != nil {
		if err := a.srv.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("cell: http shutdown: %w", err))
		}
	}
	errs = append(errs, a.close())
	return errors.Join(errs...)
}

func (a *App) close() error {
	var errs []error
	if a.stopBgr != nil {
		a.stopBgr()
		a.bg.Wait()
	}
	if a.hub != nil {
		errs = append(errs, a.hub.Close())
	}
	if a.pushLog != nil {
		errs = append(errs, a.pushLog.Close())
	}
	if a.media != nil {
		errs = append(errs, a.media.Close())
	}
	if a.rdb != nil {
		errs = append(errs, a.rdb.Close())
	}
	if a.db != nil {
		a.db.Close()
	}
	if a.tel != nil {
		errs = append(errs, a.tel.Shutdown(context.Background()))
	}
	return errors.Join(errs...)
}

// originHosts turns the web app's origins into the host patterns the
// WebSocket handshake accepts in an Origin header.
func originHosts(origins []string) []string {
	var hosts []string
	for _, o := range origins {
		if u, err := url.Parse(o); err == nil && u.Host != "" {
			hosts = append(hosts, u.Host)
		}
	}
	return hosts
}
