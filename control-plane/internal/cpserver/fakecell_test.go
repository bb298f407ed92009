package cpserver

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/pushnchat/pushnchat/internal/membershipfeed"
	"github.com/pushnchat/pushnchat/internal/servicetoken"
)

// fakeCell plays a cell's internal API for the control plane: ready,
// creating tenants, and serving a membership feed the test writes to; and
// its public market search when the test sets one.
type fakeCell struct {
	*httptest.Server
	mu      sync.Mutex
	changes []membershipfeed.Change
	grew    chan struct{}    // closed and replaced when changes grow
	market  http.HandlerFunc // GET /v1/markets/{country}/listings, when set
}

const testToken = "cpserver-test-token"

func newFakeCell(t testing.TB) *fakeCell {
	t.Helper()
	c := &fakeCell{grew: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"status":"ready"}`)) })
	mux.HandleFunc("PUT /internal/v1/tenants/{id}", func(w http.ResponseWriter, r *http.Request) {
		if !servicetoken.Matches(r, testToken) {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(map[string]string{"id": r.PathValue("id")})
	})
	mux.HandleFunc("GET "+membershipfeed.Path, func(w http.ResponseWriter, r *http.Request) {
		if !servicetoken.Matches(r, testToken) {
			http.NotFound(w, r)
			return
		}
		after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
		deadline := time.After(2 * time.Second) // short long-polls keep the test's shutdown quick
		for {
			c.mu.Lock()
			page, grew := membershipfeed.Page{Changes: []membershipfeed.Change{}, LastSeq: after}, c.grew
			for _, ch := range c.changes {
				if ch.Seq > after {
					page.Changes = append(page.Changes, ch)
					page.LastSeq = ch.Seq
				}
			}
			c.mu.Unlock()
			if len(page.Changes) > 0 {
				json.NewEncoder(w).Encode(page)
				return
			}
			select {
			case <-grew:
			case <-deadline:
				json.NewEncoder(w).Encode(page)
				return
			case <-r.Context().Done():
				return
			}
		}
	})
	mux.HandleFunc("GET /v1/markets/{country}/listings", func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		h := c.market
		c.mu.Unlock()
		if h == nil {
			http.NotFound(w, r)
			return
		}
		h(w, r)
	})
	c.Server = httptest.NewServer(mux)
	t.Cleanup(c.Close)
	return c
}

// record adds a feed entry: uid joined or left tenant, holding memberships
// in the cell afterwards.
func (c *fakeCell) record(uid, tenant string, joined bool, memberships int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.changes = append(c.changes, membershipfeed.Change{Seq: int64(len(c.changes) + 1), UID: uid, TenantID: tenant, Joined: joined, Memberships: memberships})
	close(c.grew)
	c.grew = make(chan struct{})
}
