// Package probe asks a service whether it is ready: an HTTP GET that must
// answer 200, and whose body must contain every given marker (so that
// another server on a reused port is not mistaken for the one expected).
package probe

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// HTTP returns nil when GET url answers 200 with a body containing every
// marker. client may be nil for http.DefaultClient.
func HTTP(ctx context.Context, client *http.Client, url string, markers ...string) error {
	if client == nil {
		client = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	for _, m := range markers {
		if !strings.Contains(string(b), m) {
			return fmt.Errorf("GET %s answered %q; not the expected server", url, b)
		}
	}
	return nil
}

// Ready adapts HTTP to a readiness check (as proc.Process.WaitReady takes).
func Ready(url string, markers ...string) func(context.Context) error {
	return func(ctx context.Context) error { return HTTP(ctx, nil, url, markers...) }
}
