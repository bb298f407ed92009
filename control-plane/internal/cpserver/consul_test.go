package cpserver

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pushnchat/pushnchat/internal/consulreg"
	"github.com/pushnchat/pushnchat/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

// With Consul configured, the registry follows the health the cells'
// replicas register there (package consulreg, as a cell does): a cell
// that stops being ready turns unhealthy and back, and one whose last
// replica leaves the catalog is down.
func TestCellHealthFromConsul(t *testing.T) {
	consul := testenv.Consul(t)
	var ready atomic.Bool
	ready.Store(true)
	cell := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !ready.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte(`{"status":"ready"}`))
	}))
	defer cell.Close()
	reg, err := newRegistry(map[string]string{"lagos-1": cell.URL}, consul.HTTPAddr(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); reg.watch(ctx, 200*time.Millisecond) }()
	defer func() { cancel(); <-done }()

	waitHealth := func(want bool) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			c, _ := reg.get("lagos-1")
			if c.Healthy == want && !c.CheckedAt.IsZero() {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("lagos-1 healthy = %v after 20s; want %v", c.Healthy, want)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitHealth(false) // not registered yet
	deregister, err := consulreg.Register(ctx, consul.HTTPAddr(), consulreg.Instance{Service: "cell", ID: "cell-lagos-1-a", URL: cell.URL,
		Check: "/readyz", Interval: 200 * time.Millisecond, Meta: map[string]string{"cell": "lagos-1", "jurisdiction": "NG", "role": "primary"}})
	if err != nil {
		t.Fatal(err)
	}
	waitHealth(true)
	ready.Store(false)
	waitHealth(false)
	ready.Store(true)
	waitHealth(true)
	if err := deregister(ctx); err != nil {
		t.Fatal(err)
	}
	waitHealth(false)
}
