// Package problem writes RFC 9457 problem details (application/problem+json)
// for errors, mapping each errs.Kind to one status and one stable type URI.
// It is the only place an error becomes an HTTP response.
package problem

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/pushnchat/pushnchat/internal/errs"
)

// TypeBase prefixes every problem type URI; the suffix is the kind (or the
// error's Code). The URIs are stable: clients may switch on them.
const TypeBase = "https://pushnchat.dev/problems/"

// ContentType of a problem response.
const ContentType = "application/problem+json"

// Problem is an RFC 9457 problem details object with PushNchat's extensions.
type Problem struct {
	Type      string            `json:"type"`
	Title     string            `json:"title"`
	Status    int               `json:"status"`
	Detail    string            `json:"detail,omitempty"`
	Instance  string            `json:"instance,omitempty"`
	Errors    []errs.FieldError `json:"errors,omitempty"`
	RequestID string            `json:"request_id,omitempty"`
	Extra     map[string]any    `json:"-"`
}

type mapping struct {
	status int
	title  string
}

var byKind = map[errs.Kind]mapping{
	errs.Internal:           {http.StatusInternalServerError, "Internal error"},
	errs.Invalid:            {http.StatusBadRequest, "Invalid request"},
	errs.Unauthenticated:    {http.StatusUnauthorized, "Authentication required"},
	errs.Forbidden:          {http.StatusForbidden, "Forbidden"},
	errs.NotFound:           {http.StatusNotFound, "Not found"},
	errs.Conflict:           {http.StatusConflict, "Conflict"},
	errs.PreconditionFailed: {http.StatusPreconditionFailed, "Precondition failed"},
	errs.PreconditionNeeded: {http.StatusPreconditionRequired, "Precondition required"},
	errs.TooLarge:           {http.StatusRequestEntityTooLarge, "Request too large"},
	errs.Unsupported:        {http.StatusUnsupportedMediaType, "Unsupported media type"},
	errs.Unprocessable:      {http.StatusUnprocessableEntity, "Unprocessable request"},
	errs.RateLimited:        {http.StatusTooManyRequests, "Too many requests"},
	errs.Unavailable:        {http.StatusServiceUnavailable, "Service unavailable"},
}

// Codes are the refined problem types (errs.Error.Code), each with the
// one kind — so the one status — it has everywhere: a client may switch on
// a type and rely on its status. TestEveryCodeHasOneStatus holds every
// errs.Error written in the source to this table.
var Codes = map[string]errs.Kind{
	"csrf":                    errs.Forbidden,
	"residency_refused":       errs.Unprocessable,
	"idempotency_in_progress": errs.Conflict,
	"idempotency_key_reused":  errs.Unprocessable,
	"message_id_reused":       errs.Unprocessable,
	"cell_unavailable":        errs.Unavailable,
	"transfer_refused":        errs.Unprocessable,
	"entitlement_required":    errs.Forbidden,
}

// Status is the HTTP status of kind k.
func Status(k errs.Kind) int { return byKind[k].status }

// From builds the problem for err. Errors without a kind become a generic
// internal problem: their text is never shown.
func From(err error, instance, requestID string) (Problem, int) {
	e := &errs.Error{Kind: errs.Internal}
	var classified *errs.Error
	if errors.As(err, &classified) && classified.Kind != errs.Internal {
		e = classified
	}
	m := byKind[e.Kind]
	p := Problem{
		Type:      TypeBase + e.Kind.String(),
		Title:     m.title,
		Status:    m.status,
		Detail:    e.Message,
		Instance:  instance,
		Errors:    e.Fields,
		RequestID: requestID,
	}
	if e.Code != "" {
		p.Type = TypeBase + e.Code
	}
	if e.Kind == errs.Internal {
		p.Detail = "something went wrong on our side; quote the request id when reporting it"
	}
	return p, e.RetryAfter
}

// Write sends the problem for err. Internal errors are logged with their
// cause; others at debug level.
func Write(w http.ResponseWriter, r *http.Request, log *slog.Logger, requestID string, err error) {
	p, retryAfter := From(err, r.URL.Path, requestID)
	if p.Status >= 500 && errs.KindOf(err) == errs.Internal {
		log.ErrorContext(r.Context(), "request failed", "status", p.Status, "err", err, "method", r.Method, "route", r.Pattern)
	} else {
		log.DebugContext(r.Context(), "request refused", "status", p.Status, "err", err)
	}
	if retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
	}
	WriteProblem(w, p)
}

// WriteProblem sends p as is.
func WriteProblem(w http.ResponseWriter, p Problem) {
	w.Header().Set("Content-Type", ContentType)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}
