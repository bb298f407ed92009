package localup

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/pushnchat/pushnchat/internal/devstack"
	"github.com/pushnchat/pushnchat/internal/proc"
)

// startCell runs the cell binary for c against its own PostgreSQL, Redis
// and photo directory, and waits until it is ready.
func startCell(ctx context.Context, cfg Config, dir string, c RunningCell, port int, auth *devstack.AuthEmulator, serviceToken string, log io.Writer) (*proc.Process, string, error) {
	if port == 0 {
		var err error
		if port, err = devstack.FreePort(); err != nil {
			return nil, "", err
		}
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	p, err := proc.Start(proc.Spec{
		Name: c.Name,
		Path: cfg.CellBinary,
		Args: []string{
			"-cell", c.Name,
			"-markets", strings.Join(c.Markets, ","),
			"-database-url", c.Postgres.URL(CellDatabase),
			"-redis-url", c.Redis.URL(0),
			"-blob-url", "file://" + filepath.Join(dir, c.Name, "media") + "?create_dir=true",
			"-listen", addr,
			"-firebase-project", auth.Project(),
			"-firebase-emulator", auth.Host(),
			"-allowed-origins", "http://localhost:3000",
			"-service-token", serviceToken,
		},
		Log:        log,
		StopSignal: syscall.SIGTERM,
	})
	if err != nil {
		return nil, "", err
	}
	err = p.WaitReady(ctx, time.Minute, func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/readyz", nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("readyz: %s", resp.Status)
		}
		return nil
	})
	if err != nil {
		_ = p.Stop()
		return nil, "", err
	}
	return p, addr, nil
}
