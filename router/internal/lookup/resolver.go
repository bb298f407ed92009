package lookup

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/pushnchat/pushnchat/internal/cpclient"
)

// ErrNotFound: the directory has no such key.
var ErrNotFound = errors.New("lookup: not found")

// ErrUnavailable: the key is not cached and the control plane cannot be
// asked.
var ErrUnavailable = errors.New("lookup: directory unavailable")

// entryOf is what the router keeps of a directory record.
func entryOf(r cpclient.Record) Entry {
	return Entry{Cell: r.HomeCell, Cells: strings.Join(r.Cells, ","), Country: r.Country, Status: r.Status, Version: r.Version}
}

// Resolver answers from the cache and asks the control plane on a miss.
type Resolver struct {
	cache   *Cache
	cp      *cpclient.Client
	flight  singleflight.Group
	log     *slog.Logger
	NegTTL  time.Duration
	lastSeq int64
}

// NewResolver asks the control plane at base, presenting token.
func NewResolver(cache *Cache, base, token string, log *slog.Logger) *Resolver {
	return &Resolver{cache: cache, cp: cpclient.New(base, token, 3*time.Second), log: log, NegTTL: 5 * time.Second}
}

// Tenant resolves a tenant by slug or id.
func (r *Resolver) Tenant(ctx context.Context, key string) (Entry, error) {
	return r.resolve(ctx, "t:"+key, func(ctx context.Context) (cpclient.Record, error) { return r.cp.Tenant(ctx, key) })
}

// User resolves a user's home cell by Firebase uid.
func (r *Resolver) User(ctx context.Context, uid string) (Entry, error) {
	return r.resolve(ctx, "u:"+uid, func(ctx context.Context) (cpclient.Record, error) { return r.cp.User(ctx, uid) })
}

// Cached answers a key ("t:<tenant>" or "u:<uid>") from memory only.
func (r *Resolver) Cached(key string) (Entry, bool) {
	e, ok, _ := r.cache.Get(key)
	return e, ok
}

func (r *Resolver) resolve(ctx context.Context, key string, ask func(context.Context) (cpclient.Record, error)) (Entry, error) {
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
		body, err := ask(context.WithoutCancel(ctx))
		switch {
		case errors.Is(err, cpclient.ErrNotFound):
			r.cache.PutMissing(key, r.NegTTL)
			return Entry{}, ErrNotFound
		case err != nil:
			return Entry{}, fmt.Errorf("%w: %v", ErrUnavailable, err)
		}
		e := entryOf(body)
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

// LearnTenant records a tenant's directory entry under its id and slug —
// from a lookup, the feed, or a sign-up answer (so a new business is
// routable at once, even over a negative entry from a lookup just before).
func (r *Resolver) LearnTenant(rec cpclient.Record) {
	e := entryOf(rec)
	r.cache.Put("t:"+rec.TenantID, e)
	r.cache.Put("t:"+rec.Slug, e)
}

// Follow applies the control plane's change feed to the cache until ctx
// ends, long-polling so a change reaches the router within a second. It
// starts from the beginning of the feed, which also warms the cache.
func (r *Resolver) Follow(ctx context.Context) {
	for ctx.Err() == nil {
		body, err := r.cp.Changes(ctx, r.lastSeq, 25*time.Second)
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
				r.cache.Put("u:"+c.UID, entryOf(c.Record))
			}
		}
		r.lastSeq = body.LastSeq
	}
}
