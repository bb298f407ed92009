// Package cpserver is the control plane's HTTP service: sign-up
// orchestration (placement, then the tenant in its cell, then the directory
// entry — journalled, so a crash between steps is resumed), the directory
// lookup API and change feed that routers follow, the cell registry, and
// the followers of the cells' membership feeds that keep every person's
// cells in the directory. routes.go shows the whole API; each flow has its
// file: signup.go (the saga), placement.go, cells.go (the registry and
// its health), directoryapi.go (lookups and the feed), memberfeed.go,
// auth.go.
package cpserver

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/pushnchat/pushnchat/control-plane/internal/broker"
	"github.com/pushnchat/pushnchat/control-plane/internal/directory"
	"github.com/pushnchat/pushnchat/control-plane/internal/xds"
	"github.com/pushnchat/pushnchat/internal/firebaseauth"
	"github.com/pushnchat/pushnchat/internal/inputtext"
	"github.com/pushnchat/pushnchat/internal/pgnotify"
	"github.com/pushnchat/pushnchat/internal/problem"
	"github.com/pushnchat/pushnchat/internal/requestid"
	"github.com/pushnchat/pushnchat/internal/signedcall"
)

// Config is the control plane's configuration.
type Config struct {
	Listen       string
	DatabaseURL  string
	Cells        map[string]string // cell name → base URL
	ServiceToken string
	// EdgeToken is the router's, by which it vouches for a client's
	// address (package clientaddr); a cross-market search vouches with it
	// to the cells it asks, so each searcher keeps their own rate limit.
	EdgeToken      string
	Firebase       struct{ ProjectID, EmulatorHost string }
	HealthInterval time.Duration
	// ConsulAddr is the Consul agent's HTTP address; empty probes cells
	// directly.
	ConsulAddr string
	// XDSListen, when set, serves the fleet's configuration over ADS
	// (gRPC) there; XDS describes the listener and the lookup service.
	XDSListen string
	XDS       xds.Config
	// BrokerCells is where the broker reaches each cell (name → base
	// URL); cells not in it are reached at their Cells URL.
	BrokerCells map[string]string
	// BrokerKeyFile holds the keys the cross-cell broker signs inbox calls
	// with (package signedcall); empty runs no broker.
	BrokerKeyFile string
	// CrashAt makes the process exit at a named step of sign-up
	// ("after-journal", "after-cell"): fault injection for the crash tests.
	CrashAt string
	Logger  *slog.Logger
}

// Server is a running control plane.
type Server struct {
	cfg      Config
	dir      *directory.Store
	cells    *registry
	verifier *firebaseauth.Verifier
	log      *slog.Logger
	http     *http.Server
	ln       net.Listener
	cancel   context.CancelFunc
	bg       sync.WaitGroup

	broker *broker.Broker // nil when none runs
	xds    *xds.Server    // nil when none runs

	feed pgnotify.Signal // the directory's change feed grew
	// closing ends long-polls when the server shuts down.
	closing chan struct{}
}

// Start migrates the directory, starts the background loops and serves.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.HealthInterval == 0 {
		cfg.HealthInterval = time.Second
	}
	if err := directory.Migrate(ctx, cfg.DatabaseURL); err != nil {
		return nil, err
	}
	dir, err := directory.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	reg, err := newRegistry(cfg.Cells, cfg.ConsulAddr, cfg.Logger)
	if err != nil {
		dir.Close()
		return nil, err
	}
	v, err := firebaseauth.NewVerifier(ctx, cfg.Firebase.ProjectID, cfg.Firebase.EmulatorHost, cfg.Logger)
	if err != nil {
		dir.Close()
		return nil, err
	}
	s := &Server{cfg: cfg, dir: dir, cells: reg, verifier: v, log: cfg.Logger, closing: make(chan struct{})}
	if s.ln, err = net.Listen("tcp", cfg.Listen); err != nil {
		dir.Close()
		return nil, err
	}
	bg, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancel = cancel
	if cfg.XDSListen != "" {
		if s.xds, err = xds.Serve(cfg.XDSListen, cfg.XDS, s.log); err != nil {
			cancel()
			s.ln.Close()
			dir.Close()
			return nil, err
		}
		s.cells.changed = func() { s.publishXDS(bg) }
	}
	s.cells.probeAll(ctx) // a first answer at once; Consul's checks take over
	s.goBackground(func() { s.cells.watch(bg, cfg.HealthInterval) })
	s.goBackground(func() { dir.Listen(bg, s.feed.Fire) })
	s.goBackground(func() { s.resumeLoop(bg) })
	for _, c := range reg.list() {
		s.goBackground(func() { s.followMemberships(bg, c.Name) })
	}
	if cfg.BrokerKeyFile != "" {
		signer, err := signedcall.ReadSigner(cfg.BrokerKeyFile)
		if err == nil {
			via := maps.Clone(cfg.Cells)
			maps.Copy(via, cfg.BrokerCells)
			s.broker, err = broker.Start(ctx, broker.Config{DatabaseURL: cfg.DatabaseURL, Cells: via,
				ServiceToken: cfg.ServiceToken, Signer: signer, Logger: cfg.Logger})
		}
		if err != nil {
			cancel()
			s.bg.Wait()
			if s.xds != nil {
				s.xds.Stop()
			}
			s.ln.Close()
			dir.Close()
			return nil, err
		}
	}
	s.http = &http.Server{Handler: s.routes(), ReadHeaderTimeout: 10 * time.Second}
	s.http.RegisterOnShutdown(func() { close(s.closing) })
	go s.http.Serve(s.ln)
	s.log.Info("control plane serving", "addr", s.ln.Addr().String(), "cells", len(cfg.Cells))
	return s, nil
}

// publishXDS makes the registry's cells and health the fleet's xDS
// configuration; a snapshot that cannot be built leaves the fleet on the
// last good one.
func (s *Server) publishXDS(ctx context.Context) {
	v, err := s.xds.Update(ctx, s.cells.xdsCells())
	if err != nil {
		s.log.Error("xds: configuration not published; the fleet keeps the last good one", "err", err)
		return
	}
	s.log.Debug("xds: configuration published", "version", v)
}

// XDSAddr is where the xDS server listens ("" when none runs).
func (s *Server) XDSAddr() string {
	if s.xds == nil {
		return ""
	}
	return s.xds.Addr()
}

func (s *Server) goBackground(f func()) {
	s.bg.Add(1)
	go func() { defer s.bg.Done(); f() }()
}

// Addr is where the control plane listens.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Shutdown stops serving and the background loops.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.http.Shutdown(ctx)
	if s.broker != nil {
		s.broker.Close()
	}
	if s.xds != nil {
		s.xds.Stop()
	}
	s.cancel()
	s.bg.Wait()
	s.dir.Close()
	return err
}

// handle runs f, which answers or returns an error to answer as a
// problem. Paths and query parameters that are not clean text never reach
// it (package inputtext).
func (s *Server) handle(f func(http.ResponseWriter, *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		err := inputtext.CheckRequest(r)
		if err == nil {
			err = f(w, r)
		}
		var cp *cellProblem
		switch {
		case err == nil:
		case errors.As(err, &cp):
			problem.WriteProblem(w, cp.p)
		default:
			id := r.Header.Get(requestid.Header)
			if !requestid.Valid(id) {
				id = ""
			}
			problem.Write(w, r, s.log, id, err)
		}
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
