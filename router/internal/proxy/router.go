// Package proxy is the router's data plane: it finds each request's
// partition key, resolves the home cell, checks the answer against the
// residency policy, and forwards the request (WebSocket upgrades and
// streaming bodies included) — or answers with a problem: 404 for an
// unknown tenant, 503 with Retry-After for a tenant whose cell is down.
// Event loops (loop.go) take the plain requests; everything else is served
// by net/http through httputil.ReverseProxy (forward.go). failure.go is the
// one rule for what a failed forward means and whom it blames.
package proxy

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/pushnchat/pushnchat/internal/cpclient"
	"github.com/pushnchat/pushnchat/internal/problem"
	"github.com/pushnchat/pushnchat/internal/requestid"
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
	LearnTenant(rec cpclient.Record)
	// Cached answers from memory only: "t:<tenant>" or "u:<uid>".
	Cached(key string) (lookup.Entry, bool)
}

// Config is what the router needs.
type Config struct {
	Endpoints    Endpoints
	Resolver     Resolver
	ControlPlane *url.URL
	// Web is the web app's server, which answers every path outside /v1/;
	// nil answers them 404.
	Web    *url.URL
	Health *Health
	Log    *slog.Logger
	// EdgeToken vouches to the cells for the client address the router
	// forwards (package clientaddr); empty forwards none.
	EdgeToken string
}

// Router is the data plane.
type Router struct {
	endpoints    Endpoints
	resolver     Resolver
	controlPlane *url.URL
	web          *url.URL
	log          *slog.Logger
	edgeToken    string
	proxy        *httputil.ReverseProxy // every request the event loops hand over
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
	body *clientBody // the request's body on the net/http path, if any
}

// New returns the router.
func New(cfg Config) *Router {
	var prefix [6]byte
	_, _ = rand.Read(prefix[:])
	rt := &Router{endpoints: cfg.Endpoints, resolver: cfg.Resolver, controlPlane: cfg.ControlPlane, web: cfg.Web, health: cfg.Health,
		log: cfg.Log, edgeToken: cfg.EdgeToken, idPrefix: hex.EncodeToString(prefix[:])}
	rt.proxy = rt.reverseProxy()
	return rt
}

// newRequestID makes a request id: this process's random prefix and a
// counter.
func (rt *Router) newRequestID() string {
	return rt.idPrefix + strconv.FormatUint(rt.idSeq.Add(1), 36)
}

func (rt *Router) fail(w http.ResponseWriter, r *http.Request, err error) {
	problem.Write(w, r, rt.log, r.Header.Get(requestid.Header), err)
}

// ServeHTTP routes one request.
func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rt.counts.httpRequests.Add(1)
	if !requestid.Valid(r.Header.Get(requestid.Header)) {
		r.Header.Set(requestid.Header, rt.newRequestID())
	}
	w.Header().Set(requestid.Header, r.Header.Get(requestid.Header))
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
	if r.ContentLength != 0 {
		t.body = &clientBody{ReadCloser: r.Body}
		r.Body = t.body
	}
	rt.proxy.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), targetKey{}, t)))
}
