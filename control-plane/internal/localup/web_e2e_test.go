package localup_test

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/pushnchat/pushnchat/control-plane/internal/localup"
	"github.com/pushnchat/pushnchat/internal/devstack"
)

var updateScreenshots = flag.Bool("update-screenshots", false, "write the web app's 360 px screenshots to docs/img")

// apiRecorder stands between the web app's server and the router and
// remembers every call the web server makes.
type apiRecorder struct {
	target atomic.Pointer[url.URL]
	mu     sync.Mutex
	calls  []*http.Request
}

func (a *apiRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	a.calls = append(a.calls, r.Clone(context.Background()))
	a.mu.Unlock()
	t := a.target.Load()
	if t == nil {
		http.Error(w, "the router is not up yet", http.StatusServiceUnavailable)
		return
	}
	(&httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(t) }}).ServeHTTP(w, r)
}

// The web app, served by the router on the API's origin, browsed in
// Debian's Chromium on a 360 px phone (web/e2e). The web server is global:
// every call it makes is for public market data (a market, or the partner
// search across markets), with no credential
// (docs/adr/0005-web-residency.md).
func TestWebAppInARealBrowser(t *testing.T) {
	root, err := devstack.RepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	webDir := filepath.Join(root, "web")
	if _, err := os.Stat(filepath.Join(webDir, ".next", "BUILD_ID")); err != nil {
		t.Fatalf("the web app is not built (%v): `make test` builds it first, or run `npm run build` in web/", err)
	}
	bins := t.TempDir()
	build := exec.Command("go", "build", "-o", bins+"/", "./cell/cmd/cell", "./control-plane/cmd/control-plane", "./router/cmd/router")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	rec := &apiRecorder{}
	recSrv := &http.Server{Handler: rec}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go recSrv.Serve(ln)
	t.Cleanup(func() { recSrv.Close() })

	dir, err := os.MkdirTemp("", "pnc-web-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	pl, err := localup.Start(context.Background(), localup.Config{Dir: filepath.Join(dir, "platform"), Tools: devstack.FindTools(os.Getenv, root),
		Binaries: bins, Web: webDir, WebAPI: "http://" + ln.Addr().String(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := pl.Stop(); err != nil {
			t.Errorf("stop platform: %v", err)
		}
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(dir, "platform", "logs", "web.log"))
			t.Logf("web log:\n%s", b)
		}
	})
	rec.target.Store(&url.URL{Scheme: "http", Host: pl.RouterAddr})

	shots := t.TempDir()
	if *updateScreenshots {
		shots = filepath.Join(root, "docs", "img")
	}
	e2e := exec.Command(filepath.Join(webDir, "node_modules", ".bin", "vitest"), "run", "--config", "vitest.e2e.config.ts")
	e2e.Dir = webDir
	e2e.Env = append(os.Environ(), "PUSHNCHAT_URL=http://"+pl.RouterAddr, "SCREENSHOTS="+shots, "NO_COLOR=1",
		"FIREBASE_AUTH_EMULATOR_HOST="+pl.Auth.Host(), "FIREBASE_PROJECT_ID="+pl.Auth.Project())
	out, err := e2e.CombinedOutput()
	if err != nil {
		t.Fatalf("browser tests failed: %v\n%s", err, out)
	}
	t.Logf("browser tests:\n%s", out)

	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.calls) == 0 {
		t.Fatal("the web server made no API call; the pages above must have read the market through it")
	}
	for _, r := range rec.calls {
		if r.Method != http.MethodGet || !strings.HasPrefix(r.URL.Path, "/v1/markets/") && r.URL.Path != "/v1/search" {
			t.Errorf("the web server called %s %s: only public market reads and partner search are allowed", r.Method, r.URL)
		}
		for _, h := range []string{"Authorization", "Cookie"} {
			if r.Header.Get(h) != "" {
				t.Errorf("the web server sent %s with %s %s", h, r.Method, r.URL)
			}
		}
	}
}
