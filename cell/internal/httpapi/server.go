// Package httpapi is a cell's HTTP API: routes, handlers and middleware.
// routes.go shows the whole API; every error leaves through package problem.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"slices"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/pushnchat/pushnchat/cell/internal/media"
	"github.com/pushnchat/pushnchat/cell/internal/messaging"
	"github.com/pushnchat/pushnchat/cell/internal/postgres"
	"github.com/pushnchat/pushnchat/cell/internal/realtime"
	"github.com/pushnchat/pushnchat/internal/firebaseauth"
	"github.com/pushnchat/pushnchat/internal/pgnotify"
	"github.com/pushnchat/pushnchat/internal/ratelimit"
	"github.com/pushnchat/pushnchat/internal/signedcall"
)

// Deps are what the API needs.
type Deps struct {
	Cell           string
	Markets        []string // empty: any country
	DB             *postgres.DB
	Verifier       *firebaseauth.Verifier
	Media          *media.Store
	Realtime       *realtime.Hub
	Limiter        *ratelimit.Limiter
	RateIP         ratelimit.Rate
	RateUser       ratelimit.Rate
	AllowedOrigins []string
	// ServiceToken admits the control plane to the internal API.
	ServiceToken string
	// EdgeToken makes the client address the router sends believable
	// (package clientaddr); empty trusts only the connection's address.
	EdgeToken  string
	Logger     *slog.Logger
	Tracer     trace.TracerProvider
	Meter      metric.MeterProvider
	Propagator propagation.TextMapPropagator
	Metrics    http.Handler // nil when metrics are pushed
	// Ready reports whether the cell's dependencies are usable.
	Ready func(context.Context) error
	// MembershipFeed fires when the membership feed grows (a LISTEN on
	// postgres.MembershipChannel); Closing is closed when the server
	// shuts down, ending long-polls.
	MembershipFeed *pgnotify.Signal
	// Outbox fires when the outbox grows (postgres.OutboxChannel); Inbox
	// checks the broker's signed calls (nil refuses them all).
	Outbox *pgnotify.Signal
	// CheckMessage may refuse a message before it is stored
	// (messaging.Sender.Check); nil refuses none.
	CheckMessage func(context.Context, messaging.Message) error
	Inbox        *signedcall.Verifier
	Closing      <-chan struct{}
}

type server struct {
	Deps
	tracer   trace.Tracer
	mux      *http.ServeMux
	messages messaging.Sender
}

// NewServer returns the cell's HTTP handler.
func NewServer(d Deps) (http.Handler, error) {
	s := &server{Deps: d, mux: http.NewServeMux(), tracer: d.Tracer.Tracer("pushnchat/cell/httpapi"),
		messages: messaging.Sender{Store: d.DB, Publisher: d.Realtime, Check: d.CheckMessage}}
	for _, rt := range s.routes() {
		h, err := s.checkPath(rt.Pattern, rt.Handler)
		if err != nil {
			return nil, err
		}
		s.mux.Handle(rt.Method+" "+rt.Pattern, h)
	}
	obs, err := s.observe(d.Meter)
	if err != nil {
		return nil, err
	}
	// Outermost first.
	var h http.Handler = s.mux
	for _, mw := range slices.Backward([]func(http.Handler) http.Handler{
		s.requestID,
		s.recoverPanics,
		obs,
		s.securityHeaders,
		s.limitIP, // before anything else is read: floods of bad input count too
		s.checkInput,
		s.limitBody,
		s.authenticate,
		s.limitUser,
		s.idempotent,
		s.muxProblems,
	}) {
		h = mw(h)
	}
	return h, nil
}

func (s *server) servesMarket(country string) bool {
	return len(s.Markets) == 0 || slices.Contains(s.Markets, country)
}
