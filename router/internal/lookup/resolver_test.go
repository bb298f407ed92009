package lookup

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pushnchat/pushnchat/internal/cpclient"
)

// A burst of requests for one uncached tenant makes one upstream lookup;
// an unknown tenant is remembered as missing; with the control plane gone,
// cached tenants still resolve and unknown ones say "unavailable".
func TestResolverLooksUpOncePerKeyAndSurvivesTheControlPlane(t *testing.T) {
	var calls atomic.Int64
	release, asked := make(chan struct{}), make(chan struct{}, 1)
	cp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		select {
		case asked <- struct{}{}:
		default:
		}
		if r.Header.Get("X-PushNchat-Service-Token") != "tok" {
			w.WriteHeader(401)
			return
		}
		switch r.URL.Path {
		case "/v1/directory/tenants/ada":
			<-release // hold the first lookup while others pile up
			json.NewEncoder(w).Encode(cpclient.Record{TenantID: "0190c2a5-0000-7000-8000-000000000001", Slug: "ada", Country: "NG", HomeCell: "lagos-1", Status: "active", Version: 2})
		default:
			w.WriteHeader(404)
		}
	}))
	r := NewResolver(NewCache(1000), cp.URL, "tok", slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx := context.Background()

	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e, err := r.Tenant(ctx, "ada")
			if err == nil && e.Cell != "lagos-1" {
				err = errors.New("wrong cell " + e.Cell)
			}
			errs <- err
		}()
	}
	select { // one lookup is under way; the rest join it or find its answer
	case <-asked:
	case <-time.After(10 * time.Second):
		t.Fatal("no lookup reached the control plane within 10s")
	}
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("50 concurrent requests made %d lookups; want 1", n)
	}
	// By id too, without asking again.
	if e, err := r.Tenant(ctx, "0190c2a5-0000-7000-8000-000000000001"); err != nil || e.Cell != "lagos-1" {
		t.Errorf("by id: %+v, %v", e, err)
	}

	before := calls.Load()
	for range 5 {
		if _, err := r.Tenant(ctx, "ghost"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("unknown tenant: %v; want ErrNotFound", err)
		}
	}
	if n := calls.Load() - before; n != 1 {
		t.Errorf("5 requests for an unknown tenant made %d lookups; want 1 (negative cache)", n)
	}

	cp.Close()
	if e, err := r.Tenant(ctx, "ada"); err != nil || e.Cell != "lagos-1" {
		t.Errorf("control plane down, cached tenant: %+v, %v", e, err)
	}
	if _, err := r.Tenant(ctx, "never-seen"); !errors.Is(err, ErrUnavailable) {
		t.Errorf("control plane down, unknown tenant: %v; want ErrUnavailable", err)
	}
}
