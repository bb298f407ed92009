// Package errs is the small error vocabulary every PushNchat service speaks.
// Domain code returns an *Error with a Kind; the HTTP edge (package problem)
// maps each Kind to one status and one RFC 9457 problem type. Errors without
// a Kind are internal: logged in full, never shown.
package errs

import (
	"errors"
	"fmt"
)

// Kind classifies an error for callers.
type Kind uint8

// The kinds. Keep the list short; each maps to one HTTP status.
const (
	Internal           Kind = iota // a bug or an unexpected failure
	Invalid                        // the input is malformed or breaks a rule
	Unauthenticated                // no or bad credentials
	Forbidden                      // authenticated, not allowed
	NotFound                       // no such thing (or not visible to the caller)
	Conflict                       // the state does not allow it (duplicate, wrong status)
	PreconditionFailed             // If-Match did not match
	PreconditionNeeded             // If-Match is required and missing
	TooLarge                       // the request body is over its limit
	Unsupported                    // the media type is not accepted
	Unprocessable                  // well-formed but cannot be processed (idempotency key reuse)
	RateLimited                    // too many requests
	Unavailable                    // a dependency is down; retry later
)

var kindNames = [...]string{
	Internal: "internal", Invalid: "invalid", Unauthenticated: "unauthenticated",
	Forbidden: "forbidden", NotFound: "not_found", Conflict: "conflict",
	PreconditionFailed: "precondition_failed", PreconditionNeeded: "precondition_required",
	TooLarge: "too_large", Unsupported: "unsupported_media_type", Unprocessable: "unprocessable",
	RateLimited: "rate_limited", Unavailable: "unavailable",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// FieldError says what is wrong with one input field. Field is a JSON
// pointer-like path ("price.currency", "attributes.size").
type FieldError struct {
	Field  string `json:"field"`
	Detail string `json:"detail"`
}

// Error is a classified error. Message is safe to show to the caller;
// Err (the cause) is not shown, only logged.
type Error struct {
	Kind    Kind
	Message string
	Fields  []FieldError
	// Code optionally refines the problem type within a kind, e.g.
	// "residency_refused"; it becomes part of the problem type URI.
	Code string
	// RetryAfter, in seconds, for RateLimited and Unavailable.
	RetryAfter int
	Err        error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Kind, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Kind, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// E returns an error of kind k with a message safe to show.
func E(k Kind, format string, args ...any) *Error {
	return &Error{Kind: k, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an error of kind k with a message safe to show and a cause
// that is only logged.
func Wrap(k Kind, err error, format string, args ...any) *Error {
	return &Error{Kind: k, Message: fmt.Sprintf(format, args...), Err: err}
}

// InvalidFields returns an Invalid error listing what is wrong with each
// field; nil when fields is empty.
func InvalidFields(fields []FieldError) error {
	if len(fields) == 0 {
		return nil
	}
	return &Error{Kind: Invalid, Message: "the request has invalid fields", Fields: fields}
}

// KindOf returns the kind of the first *Error in err's chain, Internal if
// there is none.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// Is reports whether err is classified as kind k.
func Is(err error, k Kind) bool { return err != nil && KindOf(err) == k }

// Fields collects field errors; its zero value is ready to use.
type Fields []FieldError

// Add records what is wrong with field.
func (f *Fields) Add(field, format string, args ...any) {
	*f = append(*f, FieldError{Field: field, Detail: fmt.Sprintf(format, args...)})
}

// Err returns the Invalid error for the collected fields, or nil.
func (f Fields) Err() error { return InvalidFields(f) }
