package httpapi

import (
	"fmt"
	"net/http"
	"regexp"

	"github.com/pushnchat/pushnchat/internal/errs"
	"github.com/pushnchat/pushnchat/internal/ids"
	"github.com/pushnchat/pushnchat/internal/inputtext"
	"github.com/pushnchat/pushnchat/internal/tenantkey"
)

// Input is checked at the edge, once, by the rules of packages inputtext,
// ids and tenantkey: text without NUL in paths, query parameters and JSON
// bodies (package jsonbody), ids in their one canonical spelling, business
// keys that are an id or a slug. Bad input is a 400 problem naming the
// field, before any handler or query runs.

// checkInput refuses paths and query parameters that are not clean text.
func (s *server) checkInput(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := inputtext.CheckRequest(r); err != nil {
			s.fail(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// pathRules says what each path parameter of routes.go must be. A route
// with a parameter missing here does not start (see checkPath).
var pathRules = map[string]func(name, value string) error{
	"tenant":       func(name, v string) error { _, err := tenantkey.Parse(name, v); return err },
	"id":           canonicalID,
	"user":         canonicalID,
	"listing":      canonicalID,
	"photo":        canonicalID,
	"conversation": canonicalID,
	"attachment":   canonicalID,
	"invitation":   canonicalID,
	"partnership":  canonicalID,
	"consent":      canonicalID,
	"txn":          canonicalID,
	"country":      anyText, // the market handler answers for unknown countries
	"variant":      anyText, // the media handlers know their variants
	"seq":          anyText, // the report handler parses it
}

func canonicalID(name, v string) error {
	if ids.Valid(v) {
		return nil
	}
	return errs.InvalidFields([]errs.FieldError{{Field: name, Detail: "must be an id: a lower-case UUID"}})
}

func anyText(string, string) error { return nil }

var wildcardRE = regexp.MustCompile(`\{([a-z]+)\}`)

// checkPath wraps a route's handler with the rules of its path
// parameters.
func (s *server) checkPath(pattern string, h http.Handler) (http.Handler, error) {
	var names []string
	for _, m := range wildcardRE.FindAllStringSubmatch(pattern, -1) {
		if pathRules[m[1]] == nil {
			return nil, fmt.Errorf("httpapi: route %s: no rule for path parameter {%s}", pattern, m[1])
		}
		names = append(names, m[1])
	}
	if len(names) == 0 {
		return h, nil
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, n := range names {
			if err := pathRules[n](n, r.PathValue(n)); err != nil {
				s.fail(w, r, err)
				return
			}
		}
		h.ServeHTTP(w, r)
	}), nil
}
