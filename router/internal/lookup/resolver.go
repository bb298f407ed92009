package lookup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/pushnchat/pushnchat/internal/servicetoken"
)

// ErrNotFound: the directory has no such key.
var ErrNotFound = errors.New("lookup: not found")

// ErrUnavailable: the key is not cached and the control plane cannot be
// asked.
var ErrUnavailable = errors.New("lookup: directory unavailable")

// Record is a directory entry as the control plane's API, its change feed
// and its sign-up answers spell it.
type Record struct {
	TenantID string   `json:"tenant_id"`
	Slug     string   `json:"slug"`
	UID      string   `json:"uid"`
	Country  string   `json:"country"`
	HomeCell string   `json:"home_cell"`
	Cells    []string `json:"cells"` // people: every cell of theirs, home first
	Status   string   `json:"status"`
	Version  int64    `json:"version"`
}

// Entry is what the router keeps of a record.
func (r Record) Entry() Entry {
	return Entry{Cell: r.HomeCell, Cells: strings.Join(r.Cells, ","), Country: r.Country, Status: r.Status, Version: r.Version}
}

// Resolver answers from the cache and asks the control plane on a miss.
type Resolver struct {
	cache   *Cache
	base    string // control plane URL
	token   string
	client  *http.Client
	flight  singleflight.Group
	log     *slog.Logger
	NegTTL  time.Duration
	lastSeq int64
}

// NewResolver asks the control plane at base, presenting token.
func NewResolver(cache *Cache, base, token string, log *slog.Logger) *Resolver {
	return &Resolver{cache: cache, base: base, token: token, log: log, NegTTL: 5 * time.Second,
		client: &http.Client{Timeout: 3 * time.Second}}
}

// Tenant resolves a tenant by slug or id.
func (r *Resolver) Tenant(ctx context.Context, key string) (Entry, error) {
	return r.resolve(ctx, "t:"+key, "/v1/directory/tenants/"+url.PathEscape(key))
}

// User resolves a user's home cell by Firebase uid.
func (r *Resolver) User(ctx context.Context, uid string) (Entry, error) {
	return r.resolve(ctx, "u:"+uid, "/v1/directory/users/"+url.PathEscape(uid))
}

// Cached answers a key ("t:<tenant>" or "u:<uid>") from memory only.
func (r *Resolver) Cached(key string) (Entry, bool) {
	e, ok, _ := r.cache.Get(key)
	return e, ok
}

func (r *Resolver) resolve(ctx context.Context, key, path string) (Entry, error) {
	if e, ok, neg := r.cache.Get(key); ok {
		return e, nil
	} else if neg {
		return Entry{}, ErrNotFound
	}
	v, err, _ := r.flight.Do(key, func() (any, error) {
		// A caller that missed the cache just as the previous lookup of
		// this key finished finds its answer here: one upstream lookup per
		// key, however the callers interleave.
		if e, ok, _ := r.cache.Get(key); ok {
			return e, nil
		}
		var body Record
		status, err := r.get(context.WithoutCancel(ctx), path, &body)
		switch {
		case err != nil:
			return Entry{}, fmt.Errorf("%w: %v", ErrUnavailable, err)
		case status == http.StatusNotFound, status == http.StatusBadRequest: // no such key, or no key at all
			r.cache.PutMissing(key, r.NegTTL)
			return Entry{}, ErrNotFound
		case status != http.StatusOK:
			return Entry{}, fmt.Errorf("%w: control plane answered %d", ErrUnavailable, status)
		}
		e := body.Entry()
		r.cache.Put(key, e)
		if body.TenantID != "" { // reachable by id and slug alike
			r.LearnTenant(body)
		}
		return e, nil
	})
	if err != nil {
		return Entry{}, err
	}
	return v.(Entry), nil
}

func (r *Resolver) get(ctx context.Context, path string, out any) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.base+path, nil)
	if err != nil {
		return 0, err
	}
	servicetoken.Set(req, r.token)
	resp, err := r.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			return 0, err
		}
	}
	return resp.StatusCode, nil
}

// LearnTenant records a tenant's directory entry under its id and slug —
// from a lookup, the feed, or a sign-up answer (so a new business is
// routable at once, even over a negative entry from a lookup just before).
func (r *Resolver) LearnTenant(rec Record) {
	e := rec.Entry()
	r.cache.Put("t:"+rec.TenantID, e)
	r.cache.Put("t:"+rec.Slug, e)
}

// Follow applies the control plane's change feed to the cache until ctx
// ends, long-polling so a change reaches the router within a second. It
// starts from the beginning of the feed, which also warms the cache.
func (r *Resolver) Follow(ctx context.Context) {
	feed := &http.Client{Timeout: 40 * time.Second}
	for ctx.Err() == nil {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.base+"/v1/directory/changes?wait=25s&after="+strconv.FormatInt(r.lastSeq, 10), nil)
		if err != nil {
			return
		}
		servicetoken.Set(req, r.token)
		var body struct {
			Changes []struct {
				Record
				Kind string `json:"kind"`
			} `json:"changes"`
			LastSeq int64 `json:"last_seq"`
		}
		resp, err := feed.Do(req)
		if err == nil {
			if resp.StatusCode == http.StatusOK {
				err = json.NewDecoder(resp.Body).Decode(&body)
			} else {
				err = fmt.Errorf("change feed: %s", resp.Status)
			}
			resp.Body.Close()
		}
		if err != nil {
			if ctx.Err() == nil {
				r.log.Warn("change feed unavailable; routing from cache", "err", err)
				select {
				case <-ctx.Done():
				case <-time.After(time.Second):
				}
			}
			continue
		}
		for _, c := range body.Changes {
			switch c.Kind {
			case "tenant":
				r.LearnTenant(c.Record)
			case "user":
				r.cache.Put("u:"+c.UID, c.Entry())
			}
		}
		r.lastSeq = body.LastSeq
	}
}
