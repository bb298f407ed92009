package wan

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// A link adds its latency each way, carries nothing while cut, and
// carries again once restored.
func TestLink(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") }))
	defer up.Close()
	n := New()
	defer n.Close()
	l, err := n.Link("test", up.Listener.Addr().String(), Shape{OneWay: 40 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	get := func(timeout time.Duration) error {
		c := &http.Client{Timeout: timeout, Transport: &http.Transport{DisableKeepAlives: true}}
		resp, err := c.Get("http://" + l.Addr)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	start := time.Now()
	if err := get(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 80*time.Millisecond {
		t.Errorf("a request across a 40 ms link took %s; want at least one round trip, 80 ms", took)
	}
	if err := l.Cut(); err != nil {
		t.Fatal(err)
	}
	if err := get(3 * time.Second); err == nil {
		t.Error("a request across a cut link succeeded")
	}
	if err := l.Restore(); err != nil {
		t.Fatal(err)
	}
	if err := get(10 * time.Second); err != nil {
		t.Errorf("after the link was restored: %v", err)
	}
}
