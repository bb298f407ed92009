package cpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/pushnchat/pushnchat/control-plane/internal/directory"
	"github.com/pushnchat/pushnchat/internal/servicetoken"
	"github.com/pushnchat/pushnchat/internal/testenv"
)

var directorySchema = testenv.Template{Name: "directory", Migrate: directory.Migrate}

// testPlane is a control plane on its own directory database, in front of
// the given cells.
type testPlane struct {
	*Server
	url  string
	auth testenv.AuthEnv
}

func startPlane(t testing.TB, cells map[string]*fakeCell, options ...func(*Config)) *testPlane {
	t.Helper()
	auth := testenv.Auth(t)
	cfg := Config{Listen: "127.0.0.1:0", DatabaseURL: testenv.Postgres(t, directorySchema), Cells: map[string]string{},
		ServiceToken: testToken, HealthInterval: 100 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	cfg.Firebase.ProjectID, cfg.Firebase.EmulatorHost = auth.Project, auth.Host
	for name, c := range cells {
		cfg.Cells[name] = c.URL
	}
	for _, o := range options {
		o(&cfg)
	}
	s, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return &testPlane{Server: s, url: "http://" + s.Addr(), auth: auth}
}

type answer struct {
	status int
	body   []byte
	header http.Header
}

// call sends a request; token "" sends none, "service" the service token,
// anything else as Bearer.
func (p *testPlane) call(t testing.TB, method, path, token string, body any) answer {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, p.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	switch token {
	case "":
	case "service":
		servicetoken.Set(req, testToken)
	default:
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, b, resp.Header}
}
