// Package cpserver is the control plane's HTTP service: sign-up
// orchestration (placement, then the tenant in its cell, then the directory
// entry — journalled, so a crash between steps is resumed), the directory
// lookup API and change feed that routers follow, and the cell registry.
package cpserver

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/pushnchat/pushnchat/control-plane/internal/directory"
	"github.com/pushnchat/pushnchat/internal/errs"
	"github.com/pushnchat/pushnchat/internal/firebaseauth"
	"github.com/pushnchat/pushnchat/internal/jsonbody"
	"github.com/pushnchat/pushnchat/internal/problem"
	"github.com/pushnchat/pushnchat/residency"
)

// ServiceTokenHeader carries the shared token of internal calls (control
// plane ↔ cells, routers → control plane).
const ServiceTokenHeader = "X-PushNchat-Service-Token"

// Config is the control plane's configuration.
type Config struct {
	Listen         string
	DatabaseURL    string
	Cells          map[string]string // cell name → base URL
	ServiceToken   string
	Firebase       struct{ ProjectID, EmulatorHost string }
	HealthInterval time.Duration
	// ConsulAddr is the Consul agent's HTTP address; empty probes cells
	// directly.
	ConsulAddr string
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

	feedMu sync.Mutex
	feed   chan struct{} // closed and replaced on every change
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
	s := &Server{cfg: cfg, dir: dir, cells: reg, verifier: v, log: cfg.Logger, feed: make(chan struct{}), closing: make(chan struct{})}
	if s.ln, err = net.Listen("tcp", cfg.Listen); err != nil {
		dir.Close()
		return nil, err
	}
	bg, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancel = cancel
	s.cells.probeAll(ctx) // a first answer at once; Consul's checks take over
	s.goBackground(func() { s.cells.watch(bg, cfg.HealthInterval) })
	s.goBackground(func() { dir.Listen(bg, s.wake) })
	s.goBackground(func() { s.resumeLoop(bg) })
	s.http = &http.Server{Handler: s.routes(), ReadHeaderTimeout: 10 * time.Second}
	s.http.RegisterOnShutdown(func() { close(s.closing) })
	go s.http.Serve(s.ln)
	s.log.Info("control plane serving", "addr", s.ln.Addr().String(), "cells", len(cfg.Cells))
	return s, nil
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
	s.cancel()
	s.bg.Wait()
	s.dir.Close()
	return err
}

// wake releases every long-poll waiting on the change feed.
func (s *Server) wake() {
	s.feedMu.Lock()
	close(s.feed)
	s.feed = make(chan struct{})
	s.feedMu.Unlock()
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, map[string]string{"status": "ok"}) })
	mux.HandleFunc("GET /readyz", s.handle(func(w http.ResponseWriter, r *http.Request) error {
		if err := s.dir.Ready(r.Context()); err != nil {
			s.log.Warn("not ready", "err", err)
			return &errs.Error{Kind: errs.Unavailable, RetryAfter: 1, Message: "the control plane is not ready"}
		}
		writeJSON(w, 200, map[string]string{"status": "ready"})
		return nil
	}))
	mux.HandleFunc("POST /v1/signup", s.handle(s.signup))
	mux.HandleFunc("GET /v1/directory/tenants/{key}", s.internal(func(w http.ResponseWriter, r *http.Request) error {
		t, err := s.dir.LookupTenant(r.Context(), r.PathValue("key"))
		if err == nil {
			writeJSON(w, 200, t)
		}
		return err
	}))
	mux.HandleFunc("GET /v1/directory/users/{uid}", s.internal(func(w http.ResponseWriter, r *http.Request) error {
		u, err := s.dir.LookupUser(r.Context(), r.PathValue("uid"))
		if err == nil {
			writeJSON(w, 200, u)
		}
		return err
	}))
	mux.HandleFunc("GET /v1/directory/changes", s.internal(s.changes))
	mux.HandleFunc("GET /v1/cells", s.internal(func(w http.ResponseWriter, r *http.Request) error {
		counts, err := s.dir.TenantCounts(r.Context())
		if err != nil {
			return err
		}
		cells := s.cells.list()
		for i := range cells {
			cells[i].Tenants = counts[cells[i].Name]
		}
		writeJSON(w, 200, map[string]any{"items": cells})
		return nil
	}))
	mux.HandleFunc("/", s.handle(func(http.ResponseWriter, *http.Request) error {
		return errs.E(errs.NotFound, "no such endpoint")
	}))
	return mux
}

func (s *Server) handle(f func(http.ResponseWriter, *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		err := f(w, r)
		var cp *cellProblem
		switch {
		case err == nil:
		case errors.As(err, &cp):
			problem.WriteProblem(w, cp.p)
		default:
			problem.Write(w, r, s.log, r.Header.Get("X-Request-Id"), err)
		}
	}
}

// internal admits only holders of the service token (routers, pushnctl).
func (s *Server) internal(f func(http.ResponseWriter, *http.Request) error) http.HandlerFunc {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get(ServiceTokenHeader)), []byte(s.cfg.ServiceToken)) != 1 {
			return errs.E(errs.Unauthenticated, "this API needs the service token")
		}
		return f(w, r)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// changes serves the change feed: changes after ?after=, waiting up to
// ?wait= (at most 30 s) for the first one.
func (s *Server) changes(w http.ResponseWriter, r *http.Request) error {
	after, err := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	if r.URL.Query().Get("after") == "" {
		after, err = 0, nil
	}
	if err != nil || after < 0 {
		return errs.InvalidFields([]errs.FieldError{{Field: "after", Detail: "must be a sequence number"}})
	}
	wait, _ := time.ParseDuration(r.URL.Query().Get("wait"))
	wait = min(max(wait, 0), 30*time.Second)
	deadline := time.After(wait)
	for {
		s.feedMu.Lock()
		woken := s.feed
		s.feedMu.Unlock()
		ch, err := s.dir.Changes(r.Context(), after, 1000)
		if err != nil {
			return err
		}
		if len(ch) > 0 || wait == 0 {
			last := after
			if len(ch) > 0 {
				last = ch[len(ch)-1].Seq
			}
			if ch == nil {
				ch = []directory.Change{}
			}
			writeJSON(w, 200, map[string]any{"changes": ch, "last_seq": last})
			return nil
		}
		select {
		case <-woken:
		case <-deadline:
			wait = 0
		case <-s.closing:
			wait = 0
		case <-r.Context().Done():
			return nil
		}
	}
}

var slugRE = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{1,38}[a-z0-9])$`)

type signupRequest struct {
	Slug       string          `json:"slug"`
	Name       string          `json:"name"`
	Country    string          `json:"country"`
	Categories []string        `json:"categories"`
	Contact    json.RawMessage `json:"contact"`
}

// signup places a new business and creates it in its home cell.
func (s *Server) signup(w http.ResponseWriter, r *http.Request) error {
	token, ok := bearer(r)
	if !ok {
		return errs.E(errs.Unauthenticated, "sign in first: send your Firebase ID token as Authorization: Bearer")
	}
	id, err := s.verifier.VerifyIDToken(r.Context(), token)
	if err != nil {
		return err
	}
	var in signupRequest
	if err := jsonbody.Decode(r, &in); err != nil {
		return err
	}
	var f errs.Fields
	if !slugRE.MatchString(in.Slug) {
		f.Add("slug", "must be 3-40 characters of a-z, 0-9 and inner hyphens")
	}
	if len(in.Contact) == 0 {
		f.Add("contact", "is required")
	}
	if err := f.Err(); err != nil {
		return err
	}
	d := residency.Place(residency.PlaceRequest{Country: in.Country})
	if !d.Allowed {
		return &errs.Error{Kind: errs.Unprocessable, Code: "residency_refused",
			Message: fmt.Sprintf("%s (rules: %v, policy %s)", d.Explanation, d.Rules, d.PolicyVersion)}
	}
	cell, err := s.choose(r.Context(), d.Cells)
	if err != nil {
		return err
	}
	profile, _ := json.Marshal(map[string]any{"name": in.Name, "categories": in.Categories, "contact": in.Contact})
	req := directory.SignupRequest{TenantID: uuid.Must(uuid.NewV7()).String(), Slug: in.Slug, Country: in.Country,
		Cell: cell, Rules: d.Rules, OwnerUID: id.UID, OwnerEmail: id.Email, Profile: profile}
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		key = in.Slug
	}
	hash := sha256.Sum256(append([]byte(in.Slug+"\n"+in.Country+"\n"), profile...))
	su, err := s.dir.BeginSignup(r.Context(), "user:"+id.UID+":"+key, hash[:], req)
	if err != nil {
		return err
	}
	s.crashAt("after-journal")
	return s.finish(r.Context(), w, su)
}

// finish drives a journalled sign-up to its end and writes the answer.
func (s *Server) finish(ctx context.Context, w http.ResponseWriter, su directory.Signup) error {
	switch su.State {
	case "failed":
		var p problem.Problem
		if err := json.Unmarshal(su.Problem, &p); err == nil && p.Status > 0 {
			problem.WriteProblem(w, p)
			return nil
		}
		return errs.E(errs.Unprocessable, "this sign-up was refused")
	case "done":
		t, err := s.dir.Tenant(ctx, su.Request.TenantID)
		if err == nil {
			writeJSON(w, http.StatusCreated, t)
		}
		return err
	}
	t, _, err := s.advance(ctx, su)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, t)
	return nil
}

// advance creates the tenant in its cell (idempotent by id) and completes
// the directory entry. A refusal by the cell fails the sign-up for good and
// returns that problem; a cell that cannot be reached leaves the sign-up
// open for the resume loop.
func (s *Server) advance(ctx context.Context, su directory.Signup) (directory.Tenant, bool, error) {
	cell, ok := s.cells.get(su.Request.Cell)
	if !ok {
		return directory.Tenant{}, false, fmt.Errorf("sign-up %s: unknown cell %s", su.Key, su.Request.Cell)
	}
	var profile map[string]any
	if err := json.Unmarshal(su.Request.Profile, &profile); err != nil {
		return directory.Tenant{}, false, err
	}
	profile["slug"], profile["country"] = su.Request.Slug, su.Request.Country
	profile["owner"] = map[string]string{"firebase_uid": su.Request.OwnerUID, "email": su.Request.OwnerEmail}
	ans, err := s.cells.putTenant(ctx, cell, s.cfg.ServiceToken, su.Request.TenantID, profile)
	switch {
	case err != nil || ans.Status >= 500:
		s.log.Warn("sign-up waits for its cell", "cell", cell.Name, "status", ans.Status, "err", err)
		return directory.Tenant{}, false, &errs.Error{Kind: errs.Unavailable, RetryAfter: 5,
			Message: "the business's home cell cannot be reached; the sign-up will complete when it can (retry with the same Idempotency-Key)"}
	case ans.Status >= 400:
		// The cell refused (invalid profile): release the slug, remember why.
		if err := s.dir.FailSignup(ctx, su, ans.Body); err != nil {
			return directory.Tenant{}, false, err
		}
		var p problem.Problem
		if json.Unmarshal(ans.Body, &p) == nil && p.Status > 0 {
			return directory.Tenant{}, false, &cellProblem{p}
		}
		return directory.Tenant{}, false, errs.E(errs.Unprocessable, "the home cell refused this business")
	}
	s.crashAt("after-cell")
	t, err := s.dir.CompleteSignup(ctx, su)
	return t, err == nil, err
}

// cellProblem passes a cell's refusal through unchanged.
type cellProblem struct{ p problem.Problem }

func (e *cellProblem) Error() string { return e.p.Detail }

// choose picks the least-utilised healthy cell among the allowed ones.
func (s *Server) choose(ctx context.Context, allowed []string) (string, error) {
	counts, err := s.dir.TenantCounts(ctx)
	if err != nil {
		return "", err
	}
	best, bestN := "", -1
	for _, name := range allowed {
		c, ok := s.cells.get(name)
		if !ok || !c.Healthy {
			continue
		}
		if n := counts[name]; bestN < 0 || n < bestN {
			best, bestN = name, n
		}
	}
	if best == "" {
		return "", &errs.Error{Kind: errs.Unavailable, RetryAfter: 10,
			Message: fmt.Sprintf("no cell that may home this business is available (%v); retry shortly", allowed)}
	}
	return best, nil
}

// resumeLoop finishes sign-ups a crash or an unreachable cell left open.
func (s *Server) resumeLoop(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		open, err := s.dir.OpenSignups(ctx, 2*time.Second)
		if err != nil && ctx.Err() == nil {
			s.log.Warn("resume sign-ups", "err", err)
		}
		for _, su := range open {
			_ = s.dir.TouchSignup(ctx, su.Key)
			if _, done, err := s.advance(ctx, su); err != nil && !errs.Is(err, errs.Unavailable) {
				s.log.Info("resumed sign-up refused", "key", su.Key, "err", err)
			} else if done {
				s.log.Info("resumed sign-up", "tenant", su.Request.TenantID, "cell", su.Request.Cell)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Server) crashAt(step string) {
	if s.cfg.CrashAt == step {
		s.log.Error("crashing on purpose", "step", step)
		os.Exit(3)
	}
}

func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	const p = "Bearer "
	if len(h) <= len(p) || h[:len(p)] != p {
		return "", false
	}
	return h[len(p):], true
}
