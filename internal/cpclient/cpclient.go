// Package cpclient is the control plane's API as the other services see
// it: the types of its answers, which the control plane writes, and one
// typed client — used by the router, pushnctl, the local platform and the
// benchmarks — so the two sides cannot drift.
package cpclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/pushnchat/pushnchat/internal/servicetoken"
)

// Cell is a cell as the control plane sees it (GET /v1/cells).
type Cell struct {
	Name         string    `json:"name"`
	Jurisdiction string    `json:"jurisdiction"`
	URL          string    `json:"url"`
	Healthy      bool      `json:"healthy"`
	CheckedAt    time.Time `json:"checked_at"`
	Tenants      int       `json:"tenants"`
}

// Cells is the answer of GET /v1/cells.
type Cells struct {
	Items []Cell `json:"items"`
}

// Record is a directory entry as the directory API, its change feed and
// sign-up answers spell it: a tenant (TenantID, Slug, Country, Rules) or
// a person (UID, Cells).
type Record struct {
	TenantID string   `json:"tenant_id,omitempty"`
	Slug     string   `json:"slug,omitempty"`
	UID      string   `json:"uid,omitempty"`
	Country  string   `json:"country,omitempty"`
	HomeCell string   `json:"home_cell"`
	Cells    []string `json:"cells,omitempty"` // people: every cell of theirs, home first
	Status   string   `json:"status"`
	Rules    []string `json:"rules,omitempty"` // tenants: the residency rules that placed it
	Version  int64    `json:"version"`
}

// Change is one entry of the directory's change feed.
type Change struct {
	Seq  int64  `json:"seq"`
	Kind string `json:"kind"` // "tenant" or "user"
	Record
}

// Changes is the answer of GET /v1/directory/changes.
type Changes struct {
	Changes []Change `json:"changes"`
	LastSeq int64    `json:"last_seq"`
}

// ErrNotFound: the directory has no such key (404), or the key is not one
// at all (400).
var ErrNotFound = errors.New("cpclient: not found")

// StatusError is an answer other than 200 OK.
type StatusError struct {
	Status int
	Detail string // the problem's, when there is one
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("control plane answered %d %s: %s", e.Status, http.StatusText(e.Status), e.Detail)
}

// Client calls a control plane's internal API with the service token.
type Client struct {
	base, token string
	timeout     time.Duration
	http        *http.Client // no timeout of its own: each call's context bounds it
}

// feedMargin is how long past its wait a long-poll of the change feed may
// take to answer (a loaded control plane, a slow network).
const feedMargin = 15 * time.Second

// New returns a client of the control plane at base (its URL), presenting
// token; each call is bounded by timeout, a feed's long-poll by its wait
// and feedMargin.
func New(base, token string, timeout time.Duration) *Client {
	return &Client{base: base, token: token, timeout: timeout, http: &http.Client{}}
}

// Cells lists the cells and their health.
func (c *Client) Cells(ctx context.Context) ([]Cell, error) {
	var out Cells
	err := c.get(ctx, "/v1/cells", c.timeout, &out)
	return out.Items, err
}

// Tenant looks a tenant up by id or slug.
func (c *Client) Tenant(ctx context.Context, key string) (Record, error) {
	return c.lookup(ctx, "/v1/directory/tenants/"+url.PathEscape(key))
}

// User looks a person's cells up by Firebase uid.
func (c *Client) User(ctx context.Context, uid string) (Record, error) {
	return c.lookup(ctx, "/v1/directory/users/"+url.PathEscape(uid))
}

func (c *Client) lookup(ctx context.Context, path string) (Record, error) {
	var out Record
	err := c.get(ctx, path, c.timeout, &out)
	if se := (*StatusError)(nil); errors.As(err, &se) && (se.Status == http.StatusNotFound || se.Status == http.StatusBadRequest) {
		return Record{}, ErrNotFound
	}
	return out, err
}

// Changes returns the directory's changes after seq after, waiting up to
// wait for the first one.
func (c *Client) Changes(ctx context.Context, after int64, wait time.Duration) (Changes, error) {
	var out Changes
	err := c.get(ctx, "/v1/directory/changes?after="+strconv.FormatInt(after, 10)+"&wait="+wait.String(), wait+feedMargin, &out)
	return out, err
}

func (c *Client) get(ctx context.Context, path string, wait time.Duration, out any) error {
	if wait > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.http.Timeout+wait)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return err
	}
	servicetoken.Set(req, c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("control plane unreachable: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		return json.NewDecoder(resp.Body).Decode(out)
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	var p struct{ Detail string }
	_ = json.Unmarshal(b, &p)
	return &StatusError{Status: resp.StatusCode, Detail: p.Detail}
}
