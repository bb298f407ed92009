package proxy

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/pushnchat/pushnchat/internal/errs"
	"github.com/pushnchat/pushnchat/internal/tenantkey"
	"github.com/pushnchat/pushnchat/residency"
	"github.com/pushnchat/pushnchat/router/internal/lookup"
)

// route picks the target of a request (DESIGN §3).
func (rt *Router) route(r *http.Request) (target, error) {
	return rt.routeBy(r.URL.Path, func() string { return r.URL.RawQuery }, func() (string, error) { return userOf(r) }, func(key string) (lookup.Entry, error) {
		if uid, ok := strings.CutPrefix(key, "u:"); ok {
			return rt.resolver.User(r.Context(), uid)
		}
		return rt.resolver.Tenant(r.Context(), strings.TrimPrefix(key, "t:"))
	})
}

// routeBy is route over a path, its raw query and the caller's uid (both
// asked only for a person's own routes) and a directory lookup by
// "t:<tenant>" or "u:<uid>".
func (rt *Router) routeBy(path string, query func() string, user func() (string, error), find func(key string) (lookup.Entry, error)) (target, error) {
	switch {
	case path == "/v1/signup" || path == "/v1/me/cells" || path == "/v1/placement" || path == "/v1/search":
		return target{cell: controlPlane, url: rt.controlPlane}, nil
	case strings.HasPrefix(path, "/v1/t/"):
		key, _, _ := strings.Cut(strings.TrimPrefix(path, "/v1/t/"), "/")
		if _, err := tenantkey.Parse("tenant", key); err != nil {
			return target{}, err
		}
		e, err := find("t:" + key)
		if err != nil {
			return target{}, lookupError(err, "no such business")
		}
		if d, ok := rt.mayHome(e.Cell, e.Country); !ok {
			// Defence in depth: a directory entry the policy forbids is
			// never followed.
			rt.log.Error("directory entry violates residency; not forwarded", "tenant", key, "cell", e.Cell, "rules", d.Rules)
			return target{}, &errs.Error{Kind: errs.Unavailable, RetryAfter: 60,
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
			return target{}, lookupError(err, noAccount)
		}
		return rt.userCell(e, query())
	}
	if rt.web != nil && path != "/v1" && !strings.HasPrefix(path, "/v1/") {
		return target{cell: webApp, url: rt.web}, nil
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

// controlPlane is the target name of requests the control plane answers.
const controlPlane = "control-plane"

// webApp is the target name of pages: every path outside /v1/, when the
// router fronts the web app (one origin for pages, API and WebSocket).
const webApp = "web"

const noAccount = "no business account yet: sign up, or accept an invitation"

// userCell is where a person's request goes: the cell it names (?cell=),
// which must be one of theirs, else their first. A person's request never
// reaches a cell where they belong to no business (DESIGN §3); one with
// businesses in several cells reaches each by naming it (GET /v1/me/cells
// lists them).
func (rt *Router) userCell(e lookup.Entry, query string) (target, error) {
	cell := e.Cell
	if want, ok := queryValue(query, "cell"); ok {
		if !e.HasCell(want) {
			return target{}, errs.E(errs.NotFound, "you belong to no business in cell %q; GET /v1/me/cells lists yours", want)
		}
		cell = want
	}
	if cell == "" {
		return target{}, errs.E(errs.NotFound, noAccount)
	}
	return rt.cell(cell)
}

// queryValue finds one parameter in a raw query without parsing the rest.
func queryValue(query, name string) (string, bool) {
	for query != "" {
		var kv string
		kv, query, _ = strings.Cut(query, "&")
		if k, v, _ := strings.Cut(kv, "="); k == name {
			v, err := url.QueryUnescape(v)
			return v, err == nil
		}
	}
	return "", false
}

func (rt *Router) cell(name string) (target, error) {
	u, ok := rt.endpoints.URL(name)
	if !ok {
		return target{}, cellUnavailable("this business's home cell has no endpoint")
	}
	if !rt.health.Up(name) {
		return target{}, cellUnavailable("this business's home cell is unavailable; retry shortly")
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
