// Package proxy is the router's data plane: it finds each request's
// partition key, resolves the home cell, checks the answer against the
// residency policy, and forwards the request (WebSocket upgrades and
// streaming bodies included) — or answers with a problem: 404 for an
// unknown tenant, 503 with Retry-After for a tenant whose cell is down.
package proxy

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pushnchat/pushnchat/internal/errs"
	"github.com/pushnchat/pushnchat/internal/probe"
	"github.com/pushnchat/pushnchat/internal/problem"
	"github.com/pushnchat/pushnchat/residency"
	"github.com/pushnchat/pushnchat/router/internal/lookup"
)

// Endpoints says where each cell can be reached. The router reads it per
// request; a later source (xDS) replaces the static one behind this.
type Endpoints interface {
	URL(cell string) (*url.URL, bool)
}

// Static is a fixed set of cell endpoints.
type Static map[string]*url.URL

// URL implements Endpoints.
func (s Static) URL(cell string) (*url.URL, bool) { u, ok := s[cell]; return u, ok }

// Resolver finds home cells.
type Resolver interface {
	Tenant(ctx context.Context, key string) (lookup.Entry, error)
	User(ctx context.Context, uid string) (lookup.Entry, error)
	LearnTenant(rec lookup.Record)
	// Cached answers from memory only: "t:<tenant>" or "u:<uid>".
	Cached(key string) (lookup.Entry, bool)
}

// Router is the data plane.
type Router struct {
	endpoints    Endpoints
	resolver     Resolver
	controlPlane *url.URL
	log          *slog.Logger
	proxy        *httputil.ReverseProxy // upgrades, streamed uploads, the control plane
	fast         *upstreams             // plain requests to cells
	health       *Health
	homes        sync.Map // [2]string{cell, country} → residency.Decision
	markets      sync.Map // country → cell ("" when none)
	idPrefix     string   // request ids: per-process random prefix + counter
	idSeq        atomic.Uint64
	counts       counters
}

type targetKey struct{}

type target struct {
	cell string
	url  *url.URL
}

// New returns the router.
func New(endpoints Endpoints, resolver Resolver, controlPlane *url.URL, health *Health, log *slog.Logger) *Router {
	var prefix [6]byte
	_, _ = rand.Read(prefix[:])
	rt := &Router{endpoints: endpoints, resolver: resolver, controlPlane: controlPlane, health: health, log: log, fast: newUpstreams(),
		idPrefix: hex.EncodeToString(prefix[:])}
	transport := &http.Transport{
		Proxy:                 nil,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
		ForceAttemptHTTP2:     false,
	}
	rt.proxy = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			t := pr.In.Context().Value(targetKey{}).(target)
			pr.SetURL(t.url)
			pr.SetXForwarded()
			pr.Out.Header.Set("X-Request-Id", pr.In.Header.Get("X-Request-Id"))
		},
		Transport: transport,
		// Zero flushes once per response; ReverseProxy still streams bodies of
		// unknown length and event streams immediately.
		FlushInterval: 0,
		ModifyResponse: func(resp *http.Response) error {
			t := resp.Request.Context().Value(targetKey{}).(target)
			resp.Header.Set("X-PushNchat-Cell", t.cell)
			if t.cell == "control-plane" && resp.Request.URL.Path == "/v1/signup" && resp.StatusCode == http.StatusCreated {
				return rt.learnSignup(resp)
			}
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			t := r.Context().Value(targetKey{}).(target)
			if errors.Is(err, context.Canceled) {
				return
			}
			rt.health.Fail(t.cell)
			rt.log.Warn("cell unreachable", "cell", t.cell, "err", err)
			rt.fail(w, r, &errs.Error{Kind: errs.Unavailable, RetryAfter: 5, Code: "cell_unavailable",
				Message: "this business's home cell is unavailable; retry shortly"})
		},
	}
	return rt
}

// learnSignup reads a successful sign-up's directory entry so that the
// new business is routable on the very next request.
func (rt *Router) learnSignup(resp *http.Response) error {
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if err != nil {
		return err
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	var rec lookup.Record
	if json.Unmarshal(b, &rec) == nil && rec.TenantID != "" {
		rt.resolver.LearnTenant(rec)
	}
	return nil
}

func (rt *Router) fail(w http.ResponseWriter, r *http.Request, err error) {
	problem.Write(w, r, rt.log, r.Header.Get("X-Request-Id"), err)
}

// ServeHTTP routes one request.
func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rt.counts.httpRequests.Add(1)
	id := r.Header.Get("X-Request-Id")
	if len(id) < 8 || len(id) > 64 {
		id = rt.idPrefix + strconv.FormatUint(rt.idSeq.Add(1), 36)
		r.Header.Set("X-Request-Id", id)
	}
	w.Header().Set("X-Request-Id", id)
	if r.URL.Path == "/healthz" {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"status":"ok"}`+"\n")
		return
	}
	t, err := rt.route(r)
	if err != nil {
		rt.fail(w, r, err)
		return
	}
	if t.cell != "control-plane" && fastEligible(r) {
		if err := rt.forward(w, r, t); err != nil {
			if errors.Is(r.Context().Err(), context.Canceled) {
				return
			}
			rt.health.Fail(t.cell)
			rt.log.Warn("cell unreachable", "cell", t.cell, "err", err)
			rt.fail(w, r, &errs.Error{Kind: errs.Unavailable, RetryAfter: 5, Code: "cell_unavailable",
				Message: "this business's home cell is unavailable; retry shortly"})
		}
		return
	}
	rt.proxy.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), targetKey{}, t)))
}

// route picks the target of a request (DESIGN §3).
func (rt *Router) route(r *http.Request) (target, error) {
	return rt.routeBy(r.URL.Path, func() (string, error) { return userOf(r) }, func(key string) (lookup.Entry, error) {
		if uid, ok := strings.CutPrefix(key, "u:"); ok {
			return rt.resolver.User(r.Context(), uid)
		}
		return rt.resolver.Tenant(r.Context(), strings.TrimPrefix(key, "t:"))
	})
}

// routeBy is route over a path, the caller's uid (asked only for the
// user's own routes) and a directory lookup by "t:<tenant>" or "u:<uid>".
func (rt *Router) routeBy(path string, user func() (string, error), find func(key string) (lookup.Entry, error)) (target, error) {
	switch {
	case path == "/v1/signup":
		return target{cell: "control-plane", url: rt.controlPlane}, nil
	case strings.HasPrefix(path, "/v1/t/"):
		key, _, _ := strings.Cut(strings.TrimPrefix(path, "/v1/t/"), "/")
		if key == "" {
			return target{}, errs.E(errs.NotFound, "no such business")
		}
		e, err := find("t:" + key)
		if err != nil {
			return target{}, lookupError(err, "no such business")
		}
		if d, ok := rt.mayHome(e.Cell, e.Country); !ok {
			// Defence in depth: a directory entry the policy forbids is
			// never followed.
			rt.log.Error("directory entry violates residency; not forwarded", "tenant", key, "cell", e.Cell, "rules", d.Rules)
			return target{}, &errs.Error{Kind: errs.Unavailable, Code: "residency_refused", RetryAfter: 60,
				Message: "this business cannot be served right now"}
		}
		if e.Status != "active" {
			return target{}, &errs.Error{Kind: errs.Unavailable, RetryAfter: 30, Message: "this business is being moved; retry shortly"}
		}
		return rt.cell(e.Cell)
	case strings.HasPrefix(path, "/v1/markets/"):
		country, _, _ := strings.Cut(strings.TrimPrefix(path, "/v1/markets/"), "/")
		home, ok := rt.marketCell(country)
		if !ok {
			return target{}, errs.E(errs.NotFound, "no market for %q", country)
		}
		return rt.cell(home)
	case path == "/v1/me" || strings.HasPrefix(path, "/v1/me/") || path == "/v1/session" || path == "/v1/realtime":
		uid, err := user()
		if err != nil {
			return target{}, err
		}
		e, err := find("u:" + uid)
		if err != nil {
			return target{}, lookupError(err, "no business account yet: sign up first")
		}
		return rt.cell(e.Cell)
	}
	return target{}, errs.E(errs.NotFound, "no such endpoint")
}

// mayHome asks the residency policy, once per (cell, country): the policy
// is compiled into the binary, and the answer's explanation is costly to
// build on every request.
func (rt *Router) mayHome(cell, country string) (residency.Decision, bool) {
	k := [2]string{cell, country}
	if d, ok := rt.homes.Load(k); ok {
		return d.(residency.Decision), d.(residency.Decision).Allowed
	}
	d := residency.MayHome(cell, country)
	rt.homes.Store(k, d)
	return d, d.Allowed
}

// marketCell is the cell serving a country's market, per the policy.
func (rt *Router) marketCell(country string) (string, bool) {
	if c, ok := rt.markets.Load(country); ok {
		return c.(string), c.(string) != ""
	}
	home := ""
	if len(country) == 2 { // only ISO codes are remembered, so the map stays small
		if d := residency.Place(residency.PlaceRequest{Country: country, Authorised: true}); d.Allowed {
			home = d.Cells[0]
		}
		rt.markets.Store(country, home)
	}
	return home, home != ""
}

func (rt *Router) cell(name string) (target, error) {
	u, ok := rt.endpoints.URL(name)
	if !ok {
		return target{}, &errs.Error{Kind: errs.Unavailable, RetryAfter: 5, Code: "cell_unavailable", Message: "this business's home cell has no endpoint"}
	}
	if !rt.health.Up(name) {
		return target{}, &errs.Error{Kind: errs.Unavailable, RetryAfter: 5, Code: "cell_unavailable",
			Message: "this business's home cell is unavailable; retry shortly"}
	}
	return target{cell: name, url: u}, nil
}

func lookupError(err error, notFound string) error {
	if errors.Is(err, lookup.ErrNotFound) {
		return errs.E(errs.NotFound, "%s", notFound)
	}
	return &errs.Error{Kind: errs.Unavailable, RetryAfter: 2, Message: "the directory cannot be reached; retry shortly", Err: err}
}

// userOf reads the uid of the caller's token — Bearer, the session cookie,
// or the id_token of a session request — without verifying it: the router
// never authorises, and a forged token at worst reaches a cell that
// rejects it.
func userOf(r *http.Request) (string, error) {
	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if token == "" {
		if c, err := r.Cookie("__session"); err == nil {
			token = c.Value
		}
	}
	if token == "" && r.Method == http.MethodPost && r.URL.Path == "/v1/session" {
		b, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
		if err != nil {
			return "", errs.E(errs.Invalid, "could not read the request")
		}
		r.Body = io.NopCloser(bytes.NewReader(b))
		var in struct {
			IDToken string `json:"id_token"`
		}
		_ = json.Unmarshal(b, &in)
		token = in.IDToken
	}
	return uidOf(token)
}

// uidOf reads the uid claim of a Firebase ID token, unverified.
func uidOf(token string) (string, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", errs.E(errs.Unauthenticated, "sign in: send a Firebase ID token as Authorization: Bearer")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", errs.E(errs.Unauthenticated, "the token is malformed")
	}
	var claims struct {
		UserID string `json:"user_id"`
		Sub    string `json:"sub"`
	}
	if json.Unmarshal(payload, &claims) != nil || (claims.UserID == "" && claims.Sub == "") {
		return "", errs.E(errs.Unauthenticated, "the token names no user")
	}
	if claims.UserID != "" {
		return claims.UserID, nil
	}
	return claims.Sub, nil
}

// Health tracks which cells answer, from probes of each cell's /readyz and
// from failed forwards (a failed forward marks the cell down until the
// next successful probe).
type Health struct {
	mu     sync.RWMutex
	down   map[string]bool
	client *http.Client
}

// NewHealth starts with every cell assumed up.
func NewHealth() *Health {
	return &Health{down: map[string]bool{}, client: &http.Client{Timeout: time.Second}}
}

// Up reports whether cell is believed reachable.
func (h *Health) Up(cell string) bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return !h.down[cell]
}

// Fail marks cell down.
func (h *Health) Fail(cell string) {
	h.mu.Lock()
	h.down[cell] = true
	h.mu.Unlock()
}

// Watch probes cells every interval until ctx ends.
func (h *Health) Watch(ctx context.Context, cells func() map[string]*url.URL, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		var wg sync.WaitGroup
		for name, u := range cells() {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok := h.probe(ctx, u)
				h.mu.Lock()
				h.down[name] = !ok
				h.mu.Unlock()
			}()
		}
		wg.Wait()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (h *Health) probe(ctx context.Context, u *url.URL) bool {
	return probe.HTTP(ctx, h.client, u.JoinPath("/readyz").String()) == nil
}
