package localup_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
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
	return callWith(t, &http.Client{Timeout: 30 * time.Second}, method, url, token, body, hdr...)
}

func callWith(t *testing.T, client *http.Client, method, url, token string, body any, hdr ...string) reply {
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
	resp, err := client.Do(req)
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

// countPerCell runs a count query with arg in every cell's own database,
// returning the cells where it is above zero.
func countPerCell(t *testing.T, pl *localup.Platform, query, arg string) map[string]int {
	t.Helper()
	ctx := context.Background()
	out := map[string]int{}
	for _, c := range pl.Cells {
		conn, err := pgx.Connect(ctx, c.Postgres.URL(localup.CellDatabase))
		if err != nil {
			t.Fatal(err)
		}
		var n int
		err = conn.QueryRow(ctx, query, arg).Scan(&n)
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

// tenantRows counts a slug's tenant rows in every cell's own database.
func tenantRows(t *testing.T, pl *localup.Platform, slug string) map[string]int {
	return countPerCell(t, pl, "SELECT count(*) FROM tenant WHERE slug = $1", slug)
}

// userRows counts the cells storing a user with this email.
func userRows(t *testing.T, pl *localup.Platform, email string) int {
	return len(countPerCell(t, pl, "SELECT count(*) FROM app_user WHERE email = $1", email))
}

// clientFrom is an HTTP client whose connections come from ip (any
// 127.0.0.0/8 address is this machine's), so the router sees another
// client.
func clientFrom(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DialContext: d.DialContext}}
}

// rawStatus sends req as written on a connection of its own and returns
// the answer's status.
func rawStatus(t *testing.T, addr, req string) int {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	go io.WriteString(c, req)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer to %.60q…: %v", req, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// inviteAndAccept makes who a member of slug's business through the
// router, and returns their user id in its cell.
func inviteAndAccept(t *testing.T, router, slug string, owner, who authemu.Session) string {
	t.Helper()
	r := call(t, "POST", router+"/v1/t/"+slug+"/invitations", owner.IDToken, map[string]string{"email": who.Email, "role": "member"})
	if r.status != http.StatusCreated {
		t.Fatalf("invite %s: %d %s", who.Email, r.status, r.body)
	}
	var inv struct{ ID, Token string }
	json.Unmarshal(r.body, &inv)
	r = call(t, "POST", router+"/v1/t/"+slug+"/invitations/"+inv.ID+"/accept", who.IDToken, map[string]string{"token": inv.Token})
	if r.status != 200 {
		t.Fatalf("accept as %s: %d %s", who.Email, r.status, r.body)
	}
	var m struct {
		UserID string `json:"user_id"`
	}
	json.Unmarshal(r.body, &m)
	return m.UserID
}

// helloThrough opens the realtime WebSocket through the router (query
// added to its URL), checks which cell answered, and returns the hello.
func helloThrough(t *testing.T, router, token, query, cell string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(router, "http")+"/v1/realtime"+query,
		&websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + token}}})
	if err != nil {
		t.Fatalf("realtime%s through the router: %v", query, err)
	}
	defer ws.CloseNow()
	if got := resp.Header.Get("X-PushNchat-Cell"); got != cell {
		t.Errorf("realtime%s answered by %q; want %s", query, got, cell)
	}
	_, b, err := ws.Read(ctx)
	if err != nil || !strings.Contains(string(b), `"type":"hello"`) {
		t.Fatalf("realtime%s: first frame %s, %v; want hello", query, b, err)
	}
	return string(b)
}

// startPlatform builds the binaries and starts the local platform for t,
// stopping it when t ends; link, when set, puts an emulated WAN link
// between the broker and each cell (localup.Config.Link).
func startPlatform(t *testing.T, link func(cell, addr string) (string, error)) *localup.Platform {
	t.Helper()
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
	pl, err := localup.Start(context.Background(), localup.Config{Dir: filepath.Join(dir, "platform"), BasePort: 0, Tools: devstack.FindTools(os.Getenv, root),
		Binaries: bins, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Link: link})
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
	return pl
}

// The spine with real processes: five cells each on its own PostgreSQL
// and Redis, the control plane, the router. Businesses land where the law
// says and nowhere else; requests reach only their home cell; a dead cell
// hurts only its own tenants; a dead control plane stops nobody known; a
// crash in the middle of a sign-up is finished, not half-done.
func TestSpineEndToEnd(t *testing.T) {
	pl := startPlatform(t, nil)
	ctx := context.Background()
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
	ids := map[string]string{} // country → its business's tenant id
	for country, home := range homes {
		slug := "e2e-" + strings.ToLower(country)
		owners[country] = signUp(t, slug)
		r := call(t, "POST", router+"/v1/signup", owners[country].IDToken, business(slug, country))
		if r.status != http.StatusCreated {
			t.Fatalf("sign-up from %s = %d %s", country, r.status, r.body)
		}
		var d struct {
			HomeCell string `json:"home_cell"`
			TenantID string `json:"tenant_id"`
		}
		json.Unmarshal(r.body, &d)
		ids[country] = d.TenantID
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

	t.Run("a business from a country without a cell of its own is in its market", func(t *testing.T) {
		// Ghana has no cell: the policy homes it in lagos-1, which must then
		// serve the GH market too.
		r := call(t, "POST", router+"/v1/t/e2e-gh/listings", owners["GH"].IDToken, map[string]any{"title": "Kente cloth, 6 yards",
			"category": "fabrics", "price": map[string]any{"amount_minor": 90000, "currency": "GHS"}})
		if r.status != http.StatusCreated {
			t.Fatalf("create a listing: %d %s", r.status, r.body)
		}
		var l struct{ ID string }
		json.Unmarshal(r.body, &l)
		if r := call(t, "POST", router+"/v1/t/e2e-gh/listings/"+l.ID+"/publish", owners["GH"].IDToken, nil); r.status != http.StatusOK {
			t.Fatalf("publish: %d %s", r.status, r.body)
		}
		r = call(t, "GET", router+"/v1/markets/GH/listings", "", nil)
		if r.status != 200 || !strings.Contains(string(r.body), l.ID) || r.header.Get("X-PushNchat-Cell") != "lagos-1" {
			t.Errorf("GH market = %d via %q: %s; want the listing, from lagos-1", r.status, r.header.Get("X-PushNchat-Cell"), r.body)
		}
		// Partners searching several markets at once find it, ranked.
		r = call(t, "GET", router+"/v1/search?q=kente&markets=DE,GH,US", "", nil)
		if r.status != 200 || !strings.Contains(string(r.body), l.ID) || !strings.Contains(string(r.body), `"rank":`) ||
			!strings.Contains(string(r.body), `"missing":[]`) {
			t.Errorf("search of DE, GH and US = %d %s; want the listing with its rank, no market missing", r.status, r.body)
		}
	})

	t.Run("a slug that is another business's id is refused", func(t *testing.T) {
		attacker := signUp(t, "attacker")
		for _, slug := range []string{ids["DE"], strings.ReplaceAll(ids["DE"], "-", "")} {
			if r := call(t, "POST", router+"/v1/signup", attacker.IDToken, business(slug, "NG")); r.status != http.StatusBadRequest {
				t.Errorf("sign-up with slug %s = %d %s; want 400", slug, r.status, r.body)
			}
		}
		if r := call(t, "GET", router+"/v1/t/"+ids["DE"], owners["DE"].IDToken, nil); r.status != 200 || r.header.Get("X-PushNchat-Cell") != "eu-1" {
			t.Errorf("the victim by id = %d via %q; want 200 via eu-1", r.status, r.header.Get("X-PushNchat-Cell"))
		}
		if n := userRows(t, pl, "attacker@e2e.example.test"); n != 0 {
			t.Errorf("the refused attacker's email is stored in %d cells", n)
		}
	})

	t.Run("a client's bad request keeps its cell up for everyone", func(t *testing.T) {
		for _, req := range []string{
			"POST /v1/markets/DE/listings HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
			"POST /v1/t/e2e-de/listings HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + owners["DE"].IDToken +
				"\r\nContent-Type: application/json\r\nContent-Length: 2097152\r\n\r\n" + strings.Repeat(" ", 2<<20),
		} {
			status := rawStatus(t, pl.RouterAddr, req)
			if status != 400 && status != 413 {
				t.Errorf("%.60q… = %d; want 400 or 413", req, status)
			}
			for range 3 {
				if r := get("DE"); r.status != 200 {
					t.Fatalf("right after a bad request, eu-1's business got %d %s", r.status, r.body)
				}
			}
		}
	})

	t.Run("one client's flood and idempotency keys are its own", func(t *testing.T) {
		a, b := clientFrom("127.0.0.2"), clientFrom("127.0.0.3")
		limited := false
		for range 400 {
			if r := callWith(t, a, "GET", router+"/v1/markets/KE/listings", "", nil); r.status == http.StatusTooManyRequests {
				limited = true
				break
			}
		}
		if !limited {
			t.Fatal("400 anonymous requests from one client were all served; the per-client limit is 50/s, bursts of 100")
		}
		for i := range 20 {
			if r := callWith(t, b, "GET", router+"/v1/t/e2e-ke", owners["KE"].IDToken, nil); r.status != 200 {
				t.Fatalf("another client's request %d got %d while the first was limited", i, r.status)
			}
		}
		ra := callWith(t, clientFrom("127.0.0.4"), "POST", router+"/v1/markets/KE/listings", "", map[string]string{"a": "1"}, "Idempotency-Key", "shared-key")
		rb := callWith(t, clientFrom("127.0.0.5"), "POST", router+"/v1/markets/KE/listings", "", map[string]string{"b": "2"}, "Idempotency-Key", "shared-key")
		if ra.status == http.StatusUnprocessableEntity || rb.status == http.StatusUnprocessableEntity {
			t.Errorf("two clients' requests with one Idempotency-Key: %d and %d; want neither 422", ra.status, rb.status)
		}
	})

	t.Run("invited staff and people with businesses in two cells reach every membership", func(t *testing.T) {
		staff := signUp(t, "staff-ke")
		inviteAndAccept(t, router, "e2e-ke", owners["KE"], staff)
		ngOwner := owners["NG"] // owns e2e-ng in lagos-1
		inKE := inviteAndAccept(t, router, "e2e-ke", owners["KE"], ngOwner)
		if r := call(t, "POST", router+"/v1/t/e2e-ke/conversations", owners["KE"].IDToken, map[string]any{"kind": "direct", "members": []string{inKE}}); r.status != 201 {
			t.Fatalf("a conversation with the Lagos partner in the Nairobi business: %d %s", r.status, r.body)
		}
		eventually(t, 10*time.Second, "the invited staff reaching nairobi-1 through the router", func() string {
			r := call(t, "GET", router+"/v1/me", staff.IDToken, nil)
			if r.status != 200 || r.header.Get("X-PushNchat-Cell") != "nairobi-1" || !strings.Contains(string(r.body), `"tenant_slug":"e2e-ke"`) {
				return fmt.Sprintf("%d via %q: %s", r.status, r.header.Get("X-PushNchat-Cell"), r.body)
			}
			return ""
		})
		eventually(t, 10*time.Second, "the NG owner's cells to list nairobi-1", func() string {
			r := call(t, "GET", router+"/v1/me/cells", ngOwner.IDToken, nil)
			var mine struct {
				HomeCell string `json:"home_cell"`
				Cells    []string
			}
			json.Unmarshal(r.body, &mine)
			if r.status != 200 || mine.HomeCell != "lagos-1" || strings.Join(mine.Cells, ",") != "lagos-1,nairobi-1" {
				return fmt.Sprintf("%d %s", r.status, r.body)
			}
			return ""
		})
		// Chat in both: one WebSocket per cell.
		for cell, conversations := range map[string]int{"lagos-1": 0, "nairobi-1": 1} {
			hello := helloThrough(t, router, ngOwner.IDToken, "?cell="+cell, cell)
			if n := strings.Count(hello, `"tenant_id"`); n != conversations {
				t.Errorf("hello from %s lists %d conversations; want %d: %s", cell, n, conversations, hello)
			}
		}
		helloThrough(t, router, ngOwner.IDToken, "", "lagos-1") // their first cell, unless they name another
		helloThrough(t, router, staff.IDToken, "", "nairobi-1")
		if r := call(t, "GET", router+"/v1/me?cell=us-1", ngOwner.IDToken, nil); r.status != 404 {
			t.Errorf("a person's request to a cell where they have no business = %d; want 404", r.status)
		}
	})

	t.Run("BizConnect across cells", func(t *testing.T) { bizconnect(t, pl, router, owners, ids) })

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
		// A search of its markets and another's answers, naming what is missing.
		if r := call(t, "GET", router+"/v1/search?markets=NG,DE", "", nil); r.status != 200 ||
			!strings.Contains(string(r.body), `"missing":["NG"]`) || !strings.Contains(string(r.body), `"country":"DE"`) {
			t.Errorf("with lagos-1 down, search of NG and DE = %d %s; want DE's listings and NG missing", r.status, r.body)
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
