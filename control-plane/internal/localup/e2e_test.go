package localup_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/jackc/pgx/v5"

	"github.com/pushnchat/pushnchat/control-plane/internal/localup"
	"github.com/pushnchat/pushnchat/internal/authemu"
	"github.com/pushnchat/pushnchat/internal/devstack"
	"github.com/pushnchat/pushnchat/internal/problem"
)

type reply struct {
	status int
	header http.Header
	body   []byte
}

func call(t *testing.T, method, url, token string, body any, hdr ...string) reply {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return reply{status: 0, body: []byte(err.Error())}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, b}
}

// eventually retries check until it returns "" or the wait runs out.
func eventually(t *testing.T, wait time.Duration, what string, check func() string) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		msg := check()
		if msg == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not within %s: %s", what, wait, msg)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// tenantRows counts a slug's tenant rows in every cell's own database.
func tenantRows(t *testing.T, pl *localup.Platform, slug string) map[string]int {
	t.Helper()
	ctx := context.Background()
	out := map[string]int{}
	for _, c := range pl.Cells {
		conn, err := pgx.Connect(ctx, c.Postgres.URL(localup.CellDatabase))
		if err != nil {
			t.Fatal(err)
		}
		var n int
		err = conn.QueryRow(ctx, "SELECT count(*) FROM tenant WHERE slug = $1", slug).Scan(&n)
		conn.Close(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			out[c.Name] = n
		}
	}
	return out
}

// The spine with real processes: five cells each on its own PostgreSQL
// and Redis, the control plane, the router. Businesses land where the law
// says and nowhere else; requests reach only their home cell; a dead cell
// hurts only its own tenants; a dead control plane stops nobody known; a
// crash in the middle of a sign-up is finished, not half-done.
func TestSpineEndToEnd(t *testing.T) {
	bins := t.TempDir()
	root, err := devstack.RepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	build := exec.Command("go", "build", "-o", bins+"/", "./cell/cmd/cell", "./control-plane/cmd/control-plane", "./router/cmd/router")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dir, err := os.MkdirTemp("", "pnc-e2e-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	ctx := context.Background()
	pl, err := localup.Start(ctx, localup.Config{Dir: filepath.Join(dir, "platform"), BasePort: 0, Tools: devstack.FindTools(os.Getenv, root),
		Binaries: bins, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := pl.Stop(); err != nil {
			t.Errorf("stop platform: %v", err)
		}
		if t.Failed() { // the programs' own words, for the diagnosis
			for _, name := range []string{"control-plane", "router"} {
				b, _ := os.ReadFile(filepath.Join(dir, "platform", "logs", name+".log"))
				if len(b) > 6000 {
					b = b[len(b)-6000:]
				}
				t.Logf("%s log (tail):\n%s", name, b)
			}
		}
	})
	router := "http://" + pl.RouterAddr
	auth := authemu.New(pl.Auth.Host(), pl.Auth.Project())
	signUp := func(t *testing.T, name string) authemu.Session {
		s, err := auth.SignUp(ctx, name+"@e2e.example.test", "a long password 1")
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	business := func(slug, country string) map[string]any {
		return map[string]any{"slug": slug, "name": "Business " + slug, "country": country,
			"contact": map[string]string{"name": "Owner Person", "email": slug + "@e2e.example.test"}}
	}

	homes := map[string]string{"NG": "lagos-1", "ZA": "johannesburg-1", "KE": "nairobi-1", "US": "us-1",
		"DE": "eu-1", "FR": "eu-1", "GH": "lagos-1", "UG": "nairobi-1"}
	owners := map[string]authemu.Session{}
	for country, home := range homes {
		slug := "e2e-" + strings.ToLower(country)
		owners[country] = signUp(t, slug)
		r := call(t, "POST", router+"/v1/signup", owners[country].IDToken, business(slug, country))
		if r.status != http.StatusCreated {
			t.Fatalf("sign-up from %s = %d %s", country, r.status, r.body)
		}
		var d struct {
			HomeCell string `json:"home_cell"`
		}
		json.Unmarshal(r.body, &d)
		if d.HomeCell != home {
			t.Errorf("business from %s homed in %s; want %s", country, d.HomeCell, home)
		}
		if rows := tenantRows(t, pl, slug); len(rows) != 1 || rows[home] != 1 {
			t.Errorf("business from %s is stored in %v; want only %s", country, rows, home)
		}
	}
	for country, rule := range map[string]string{"RW": "rw.storage-abroad.certificate", "EG": "eg.storage-abroad.licence"} {
		slug := "e2e-" + strings.ToLower(country)
		r := call(t, "POST", router+"/v1/signup", signUp(t, slug).IDToken, business(slug, country))
		var p problem.Problem
		json.Unmarshal(r.body, &p)
		if r.status != http.StatusUnprocessableEntity || p.Type != problem.TypeBase+"residency_refused" || !strings.Contains(p.Detail, rule) {
			t.Errorf("sign-up from %s = %d %s; want 422 residency_refused naming %s", country, r.status, r.body, rule)
		}
		if rows := tenantRows(t, pl, slug); len(rows) != 0 {
			t.Errorf("refused business from %s is stored in %v", country, rows)
		}
	}

	// Through the router, each business reaches its home cell only.
	get := func(country string) reply {
		return call(t, "GET", router+"/v1/t/e2e-"+strings.ToLower(country), owners[country].IDToken, nil)
	}
	for country, home := range homes {
		r := get(country)
		if r.status != 200 || r.header.Get("X-PushNchat-Cell") != home {
			t.Errorf("GET business from %s = %d via %q; want 200 via %s", country, r.status, r.header.Get("X-PushNchat-Cell"), home)
		}
	}
	if r := call(t, "GET", router+"/v1/t/no-such-business", owners["NG"].IDToken, nil); r.status != 404 {
		t.Errorf("unknown tenant = %d; want 404", r.status)
	}

	// The realtime WebSocket goes through the router to the user's home
	// cell, which greets the user by its own account id.
	for _, country := range []string{"KE", "US"} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		ws, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(router, "http")+"/v1/realtime",
			&websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + owners[country].IDToken}}})
		if err != nil {
			cancel()
			t.Fatalf("realtime through the router for %s: %v", country, err)
		}
		if cell := resp.Header.Get("X-PushNchat-Cell"); cell != homes[country] {
			t.Errorf("realtime for %s answered by %q; want %s", country, cell, homes[country])
		}
		_, b, err := ws.Read(ctx)
		if err != nil || !strings.Contains(string(b), `"type":"hello"`) {
			t.Errorf("realtime for %s: first frame %s, %v; want hello", country, b, err)
		}
		ws.CloseNow()
		cancel()
	}

	// The router's metrics count what went through it, and every cell is up.
	if r := call(t, "GET", "http://"+pl.RouterMetricsAddr+"/metrics", "", nil); r.status != 200 ||
		!strings.Contains(string(r.body), `router_requests_total{`) || !strings.Contains(string(r.body), `router_cell_up{cell="eu-1"`) {
		t.Errorf("router metrics = %d:\n%.2000s", r.status, r.body)
	}

	t.Run("a dead cell hurts only its own tenants", func(t *testing.T) {
		if err := pl.StopProgram("lagos-1"); err != nil {
			t.Fatal(err)
		}
		eventually(t, 10*time.Second, "503 for lagos-1's tenants", func() string {
			r := get("NG")
			if r.status != 503 || r.header.Get("Retry-After") == "" {
				return "NG got " + http.StatusText(r.status)
			}
			return ""
		})
		for country, home := range homes {
			if home == "lagos-1" {
				continue
			}
			if r := get(country); r.status != 200 {
				t.Errorf("with lagos-1 down, %s got %d; want 200", country, r.status)
			}
		}
		if err := pl.StartProgram(ctx, "lagos-1"); err != nil {
			t.Fatal(err)
		}
		eventually(t, 10*time.Second, "lagos-1 recovering", func() string {
			if r := get("GH"); r.status != 200 {
				return "GH got " + http.StatusText(r.status)
			}
			return ""
		})
	})

	t.Run("known tenants keep routing without the control plane", func(t *testing.T) {
		if err := pl.StopProgram("control-plane"); err != nil {
			t.Fatal(err)
		}
		defer func() {
			if err := pl.StartProgram(ctx, "control-plane"); err != nil {
				t.Fatal(err)
			}
		}()
		for country := range homes {
			if r := get(country); r.status != 200 {
				t.Errorf("control plane down: %s got %d; want 200", country, r.status)
			}
		}
		if r := call(t, "GET", router+"/v1/t/never-seen", owners["NG"].IDToken, nil); r.status != 503 {
			t.Errorf("control plane down: unknown tenant = %d; want 503", r.status)
		}
	})

	for _, step := range []string{"after-journal", "after-cell"} {
		t.Run("sign-up survives a crash "+step, func(t *testing.T) {
			slug := "e2e-crash-" + step
			owner := signUp(t, slug)
			if err := pl.StopProgram("control-plane"); err != nil {
				t.Fatal(err)
			}
			if err := pl.StartProgram(ctx, "control-plane", "-crash-at", step); err != nil {
				t.Fatal(err)
			}
			r := call(t, "POST", router+"/v1/signup", owner.IDToken, business(slug, "KE"), "Idempotency-Key", "crash-1")
			if r.status == http.StatusCreated {
				t.Fatalf("sign-up succeeded though the control plane crashed %s", step)
			}
			if err := pl.WaitExited("control-plane", 10*time.Second); err != nil {
				t.Fatalf("the control plane did not crash %s: %v", step, err)
			}
			if err := pl.StartProgram(ctx, "control-plane"); err != nil {
				t.Fatal(err)
			}
			// The resume loop finishes it: routable, stored once, in nairobi-1.
			eventually(t, 20*time.Second, "the interrupted sign-up to complete", func() string {
				if r := call(t, "GET", router+"/v1/t/"+slug, owner.IDToken, nil); r.status != 200 {
					return "GET " + slug + ": " + http.StatusText(r.status) + " " + string(r.body)
				}
				return ""
			})
			if rows := tenantRows(t, pl, slug); len(rows) != 1 || rows["nairobi-1"] != 1 {
				t.Errorf("after the crash the business is stored in %v; want once in nairobi-1", rows)
			}
			// The client's retry gets the same business, not a second one.
			r = call(t, "POST", router+"/v1/signup", owner.IDToken, business(slug, "KE"), "Idempotency-Key", "crash-1")
			if r.status != http.StatusCreated {
				t.Errorf("retry = %d %s; want 201", r.status, r.body)
			}
			if rows := tenantRows(t, pl, slug); rows["nairobi-1"] != 1 {
				t.Errorf("after the retry: %v", rows)
			}
		})
	}
}
