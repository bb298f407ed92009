package devstack

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/pushnchat/pushnchat/internal/proc"
)

// server is what every running server here has in common: its process.
type server struct {
	proc *proc.Process
}

// Pid is the server's process id.
func (s *server) Pid() int { return s.proc.Pid() }

// Done is closed when the server has exited.
func (s *server) Done() <-chan struct{} { return s.proc.Done() }

// Stop shuts the server down gracefully, kills what is left of its process
// group, and waits.
func (s *server) Stop() error { return s.proc.Stop() }

// getOK fetches url and returns its body when the answer is 200 OK.
func getOK(ctx context.Context, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return b, nil
}
