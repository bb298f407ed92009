package httpapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/pushnchat/pushnchat/cell/internal/messaging"
	"github.com/pushnchat/pushnchat/cell/internal/postgres"
	"github.com/pushnchat/pushnchat/internal/clientaddr"
	"github.com/pushnchat/pushnchat/internal/crosscell"
	"github.com/pushnchat/pushnchat/internal/errs"
	"github.com/pushnchat/pushnchat/internal/firebaseauth"
	"github.com/pushnchat/pushnchat/internal/problem"
	"github.com/pushnchat/pushnchat/internal/ratelimit"
	"github.com/pushnchat/pushnchat/internal/requestid"
	"github.com/pushnchat/pushnchat/internal/servicetoken"
)

type ctxKey int

const (
	requestIDKey ctxKey = iota
	identityKey
)

// Body limits: JSON requests are small; photo uploads carry one image.
const (
	maxJSONBody  = 64 << 10
	maxPhotoBody = 11 << 20
)

// Cookie names of the web session.
const (
	sessionCookie = "__session"
	csrfCookie    = "pnc_csrf"
	csrfHeader    = "X-CSRF-Token"
)

func requestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// requestID takes the caller's X-Request-Id (the router sets one) when it is
// sane, or makes one, and echoes it on the response.
func (s *server) requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(requestid.Header)
		if !requestid.Valid(id) {
			var b [12]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		w.Header().Set(requestid.Header, id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey, id)))
	})
}

// fail writes err as a problem.
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	problem.Write(w, r, s.Logger, requestIDFrom(r.Context()), err)
}

// recoverPanics turns a panic into a 500 problem carrying the request id,
// and logs it with the stack (and, through the context, the trace id).
func (s *server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.Logger.ErrorContext(r.Context(), "panic", "panic", fmt.Sprint(v), "stack", string(debug.Stack()),
				"request_id", requestIDFrom(r.Context()), "route", r.Pattern)
			s.fail(w, r, errors.New("panic"))
		}()
		next.ServeHTTP(w, r)
	})
}

// statusWriter remembers the status written.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// methodLabel keeps metric labels to a bounded set: a client choosing
// method names must not create series (OpenTelemetry's _OTHER).
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "_OTHER"
}

// observe traces every request (continuing the caller's trace) and records
// its latency per route, method and status.
func (s *server) observe(mp metric.MeterProvider) (func(http.Handler) http.Handler, error) {
	hist, err := mp.Meter("pushnchat/cell/httpapi").Float64Histogram("http.server.request.duration",
		metric.WithUnit("s"), metric.WithDescription("Duration of HTTP requests by route."),
		metric.WithExplicitBucketBoundaries(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))
	if err != nil {
		return nil, err
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			ctx := s.Propagator.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
			ctx, span := s.tracer.Start(ctx, r.Method, trace.WithSpanKind(trace.SpanKindServer))
			defer span.End()
			sw := &statusWriter{ResponseWriter: w}
			r = r.WithContext(ctx)
			next.ServeHTTP(sw, r)
			route := r.Pattern // set by the mux on this request
			if route == "" {
				route = "unmatched"
			}
			span.SetName(route)
			span.SetAttributes(attribute.String("http.route", route), attribute.Int("http.response.status_code", sw.status),
				attribute.String("pushnchat.request_id", requestIDFrom(ctx)))
			if sw.status >= 500 {
				span.SetStatus(codes.Error, http.StatusText(sw.status))
			}
			hist.Record(ctx, time.Since(start).Seconds(), metric.WithAttributes(
				attribute.String("http.route", route), attribute.String("http.request.method", methodLabel(r.Method)),
				attribute.Int("http.response.status_code", sw.status)))
		})
	}, nil
}

func (s *server) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}

// clientIP is the address of the client: the one the router vouches for,
// else the connection's.
func (s *server) clientIP(r *http.Request) string { return clientaddr.Of(r, s.EdgeToken) }

// limitIP spends one request of the client IP's budget. When Redis cannot
// be reached the request passes: limits protect availability, they must
// not take it away.
func (s *server) limitIP(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" || r.URL.Path == "/metrics" {
			next.ServeHTTP(w, r)
			return
		}
		if s.spend(w, r, "ip:"+s.clientIP(r), s.RateIP) {
			next.ServeHTTP(w, r)
		}
	})
}

// spend takes one request from key's budget, or answers 429 with
// Retry-After and returns false.
func (s *server) spend(w http.ResponseWriter, r *http.Request, key string, rate ratelimit.Rate) bool {
	ok, wait, err := s.Limiter.Allow(r.Context(), key, rate)
	if err != nil {
		s.Logger.WarnContext(r.Context(), "rate limiter unavailable; request allowed", "err", err)
		return true
	}
	if !ok {
		s.fail(w, r, &errs.Error{Kind: errs.RateLimited, RetryAfter: retryAfterSeconds(wait),
			Message: "too many requests; slow down and retry after the time in Retry-After"})
	}
	return ok
}

func (s *server) limitUser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := r.Context().Value(identityKey).(firebaseauth.Identity)
		if !ok || s.spend(w, r, "user:"+id.UID, s.RateUser) {
			next.ServeHTTP(w, r)
		}
	})
}

// limitBody caps request bodies: photos get room for one image, everything
// else a JSON document.
func (s *server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := int64(maxJSONBody)
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/photos") {
			limit = maxPhotoBody
		}
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/attachments") {
			limit = messaging.MaxAttachmentBytes
		}
		if r.Method == http.MethodPut && strings.HasPrefix(r.URL.Path, crosscell.InboxPath) {
			limit = crosscell.MaxTransaction
		}
		if r.ContentLength > limit {
			s.fail(w, r, errs.E(errs.TooLarge, "the request body is over its limit of %d bytes", limit))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		next.ServeHTTP(w, r)
	})
}

// authenticate reads the caller's credentials, if any: a Bearer ID token
// (apps) or the session cookie (web). Bad credentials are refused here;
// missing ones leave the request anonymous and handlers decide. Writes
// authenticated by cookie must carry the CSRF token (double submit) and,
// when the browser says where it comes from, an allowed Origin.
func (s *server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		var id firebaseauth.Identity
		var err error
		if h := r.Header.Get("Authorization"); h != "" {
			token, ok := strings.CutPrefix(h, "Bearer ")
			if !ok || token == "" {
				s.fail(w, r, errs.E(errs.Unauthenticated, "use Authorization: Bearer <Firebase ID token>"))
				return
			}
			id, err = s.Verifier.VerifyIDToken(ctx, token)
		} else if c, cerr := r.Cookie(sessionCookie); cerr == nil && c.Value != "" {
			if unsafeMethod(r.Method) {
				if err := s.checkCSRF(r); err != nil {
					s.fail(w, r, err)
					return
				}
			}
			id, err = s.Verifier.VerifySessionCookie(ctx, c.Value)
		} else {
			next.ServeHTTP(w, r)
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(ctx, identityKey, id)))
	})
}

// checkServiceToken admits only the control plane. Without a configured
// token the internal API does not exist.
func (s *server) checkServiceToken(r *http.Request) error {
	if !servicetoken.Matches(r, s.ServiceToken) {
		return errs.E(errs.NotFound, "no such endpoint")
	}
	return nil
}

func unsafeMethod(m string) bool {
	return m != http.MethodGet && m != http.MethodHead && m != http.MethodOptions
}

func (s *server) checkCSRF(r *http.Request) error {
	if o := r.Header.Get("Origin"); o != "" && !slices.Contains(s.AllowedOrigins, o) {
		return errs.E(errs.Forbidden, "cross-site request refused: origin %s is not allowed", o)
	}
	c, err := r.Cookie(csrfCookie)
	h := r.Header.Get(csrfHeader)
	if err != nil || c.Value == "" || h == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(h)) != 1 {
		return &errs.Error{Kind: errs.Forbidden, Code: "csrf", Message: "cookie-authenticated writes need the " + csrfHeader + " header matching the " + csrfCookie + " cookie"}
	}
	return nil
}

// captureWriter buffers a response so it can be stored for replay.
type captureWriter struct {
	http.ResponseWriter
	status int
	buf    bytes.Buffer
}

func (w *captureWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *captureWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.buf.Write(b)
}

// replayedHeaders are kept with a stored response.
var replayedHeaders = []string{"Content-Type", "Location", "ETag", "Set-Cookie", "Cache-Control"}

// idempotent makes a mutating request with an Idempotency-Key safe to
// retry: the first response is stored and replayed to every retry with the
// same key and the same request; the same key with another request is a 422
// problem. Keys are scoped to the authenticated user (or the client IP).
func (s *server) idempotent(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("Idempotency-Key")
		if key == "" || !unsafeMethod(r.Method) {
			next.ServeHTTP(w, r)
			return
		}
		if len(key) > 255 || strings.ContainsFunc(key, func(c rune) bool { return c < 0x21 || c > 0x7e }) {
			s.fail(w, r, errs.InvalidFields([]errs.FieldError{{Field: "Idempotency-Key", Detail: "must be 1-255 visible ASCII characters"}}))
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			s.fail(w, r, bodyError(err))
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		scope := "ip:" + s.clientIP(r)
		if id, ok := r.Context().Value(identityKey).(firebaseauth.Identity); ok {
			scope = "user:" + id.UID
		}
		h := sha256.New()
		fmt.Fprintf(h, "%s\n%s\n%s\n", r.Method, r.URL.RequestURI(), r.Header.Get("Content-Type"))
		h.Write(body)
		stored, err := s.DB.BeginIdempotent(r.Context(), scope, key, h.Sum(nil))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if stored != nil {
			for k, vs := range stored.Header {
				w.Header()[k] = vs
			}
			w.Header().Set("Idempotent-Replayed", "true")
			w.WriteHeader(stored.Status)
			_, _ = w.Write(stored.Body)
			return
		}
		cw := &captureWriter{ResponseWriter: w}
		defer func() {
			// A panic or a server error frees the key: the client may retry.
			if v := recover(); v != nil {
				_ = s.DB.AbandonIdempotent(context.WithoutCancel(r.Context()), scope, key)
				panic(v)
			}
		}()
		next.ServeHTTP(cw, r)
		ctx := context.WithoutCancel(r.Context())
		if cw.status >= 500 || cw.status == 0 {
			_ = s.DB.AbandonIdempotent(ctx, scope, key)
		} else {
			saved := postgres.StoredResponse{Status: cw.status, Header: http.Header{}, Body: cw.buf.Bytes()}
			for _, k := range replayedHeaders {
				if v := w.Header().Values(k); len(v) > 0 {
					saved.Header[k] = v
				}
			}
			if err := s.DB.FinishIdempotent(ctx, scope, key, saved); err != nil {
				s.Logger.ErrorContext(ctx, "store idempotent response", "err", err)
			}
		}
		if cw.status == 0 {
			cw.status = http.StatusOK
		}
		w.WriteHeader(cw.status)
		_, _ = w.Write(cw.buf.Bytes())
	})
}

// muxProblems turns the mux's own plain-text answers — 404 for an unknown
// path, 405 for a known path with another method — into problems.
func (s *server) muxProblems(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(&problemWriter{ResponseWriter: w, s: s, r: r}, r)
	})
}

type problemWriter struct {
	http.ResponseWriter
	s        *server
	r        *http.Request
	replaced bool
}

// Unwrap lets http.ResponseController (and the WebSocket upgrade) reach
// the connection.
func (w *problemWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *problemWriter) WriteHeader(code int) {
	if !strings.HasPrefix(w.Header().Get("Content-Type"), "text/plain") {
		w.ResponseWriter.WriteHeader(code)
		return
	}
	p := problem.Problem{Status: code, Instance: w.r.URL.Path, RequestID: requestIDFrom(w.r.Context())}
	switch code {
	case http.StatusMethodNotAllowed:
		p.Type, p.Title = problem.TypeBase+"method_not_allowed", "Method not allowed"
		p.Detail = fmt.Sprintf("%s is not allowed here; see the Allow header", w.r.Method)
	case http.StatusNotFound:
		p.Type, p.Title, p.Detail = problem.TypeBase+"not_found", "Not found", "no such endpoint"
	default:
		w.ResponseWriter.WriteHeader(code)
		return
	}
	w.replaced = true
	problem.WriteProblem(w.ResponseWriter, p)
}

func (w *problemWriter) Write(b []byte) (int, error) {
	if w.replaced {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

// retryAfterSeconds rounds a wait up to whole seconds (at least one).
func retryAfterSeconds(d time.Duration) int { return max(1, int(math.Ceil(d.Seconds()))) }
