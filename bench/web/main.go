// Command web measures the web app's pages the way a phone on a slow
// network sees them: Lighthouse 12.2.3 in Debian's Chromium, mobile
// emulation, simulated 3G and 4G, against the platform `make up` starts
// (pushnctl up, its own directory and ports). Several runs per page and
// profile; medians in bench/results/web.json.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/pushnchat/pushnchat/bench/internal/benchenv"
	"github.com/pushnchat/pushnchat/internal/authemu"
	"github.com/pushnchat/pushnchat/internal/devstack"
	"github.com/pushnchat/pushnchat/internal/probe"
	"github.com/pushnchat/pushnchat/internal/proc"
)

var (
	out      = flag.String("out", "bench/results/web.json", "where the results go")
	runs     = flag.Int("runs", 3, "Lighthouse runs per page and profile")
	basePort = flag.Int("base-port", 27000, "first port of the platform's port plan (pushnctl up -base-port)")
)

// sample is what one Lighthouse run reports (bench/web/lh.mjs).
type sample struct {
	LCP           float64 `json:"lcp_ms"`
	TBT           float64 `json:"tbt_ms"`
	CLS           float64 `json:"cls"`
	TTI           float64 `json:"tti_ms"`
	FCP           float64 `json:"fcp_ms"`
	TransferKB    float64 `json:"transfer_kb"`
	Accessibility float64 `json:"accessibility"`
	Performance   float64 `json:"performance"`
}

func main() {
	flag.Parse()
	if err := run(); err != nil {
		log.Fatalf("web bench: %v", err)
	}
}

func run() error {
	ctx := context.Background()
	env, err := benchenv.New("web")
	if err != nil {
		return err
	}
	defer env.Close()
	log.Print("building the platform and the web app")
	if err := env.Build(ctx, "./cell/cmd/cell", "./control-plane/cmd/control-plane", "./router/cmd/router", "./control-plane/cmd/pushnctl"); err != nil {
		return err
	}
	npm := func(dir string, args ...string) error {
		return proc.Run(ctx, proc.Spec{Name: "npm " + args[0], Path: "npm", Dir: filepath.Join(env.Root, dir), Args: args,
			Env: []string{"NEXT_TELEMETRY_DISABLED=1"}}, 10*time.Minute)
	}
	if err := npm("web", "run", "build"); err != nil {
		return err
	}
	if err := npm("bench/web", "ci", "--no-audit", "--no-fund", "--loglevel=error"); err != nil {
		return err
	}

	up, err := proc.Start(proc.Spec{Name: "pushnctl up", Path: env.Bin("pushnctl"), Dir: env.Root, StopSignal: syscall.SIGINT, StopTimeout: time.Minute,
		Args: []string{"up", "-dir", filepath.Join(env.Dir, "platform"), "-base-port", fmt.Sprint(*basePort)}})
	if err != nil {
		return err
	}
	defer up.Stop()
	origin := fmt.Sprintf("http://127.0.0.1:%d", *basePort+30)
	// Ready once the demo data is in: the platform seeds it last.
	if err := up.WaitReady(ctx, 5*time.Minute, probe.Ready(origin+"/v1/markets/NG/listings", `"items":[{`)); err != nil {
		return err
	}
	listing, err := firstID(origin+"/v1/markets/NG/listings", "")
	if err != nil {
		return err
	}
	// The pages behind sign-in are measured as the demo owner of lagos-1,
	// with the session cookie the web app gets at sign-in.
	cookie, err := signIn(ctx, origin, fmt.Sprintf("127.0.0.1:%d", *basePort+10))
	if err != nil {
		return err
	}
	conversation, err := firstID(origin+"/v1/t/"+demoBusiness+"/conversations", cookie)
	if err != nil {
		return err
	}
	pages := []struct{ name, path, cookie string }{
		{"home", "/", ""},
		{"market", "/m/NG", ""},
		{"listing", "/m/NG/l/" + listing, ""},
		{"signup", "/signup", ""},
		{"create_listing", "/app/b/" + demoBusiness + "/new", cookie},
		{"chat", "/app/b/" + demoBusiness + "/chat/" + conversation, cookie},
	}
	samples := map[string][]sample{} // page/profile → runs
	for i := range *runs {
		for _, pg := range pages {
			for _, profile := range []string{"3g", "4g"} {
				s, err := lighthouse(env.Root, origin+pg.path, profile, pg.cookie)
				if err != nil {
					return fmt.Errorf("%s %s: %w", pg.name, profile, err)
				}
				log.Printf("run %d %-8s %s: LCP %4.0f ms, TBT %3.0f ms, CLS %.3f, TTI %4.0f ms, %5.1f KB, accessibility %3.0f",
					i+1, pg.name, profile, s.LCP, s.TBT, s.CLS, s.TTI, s.TransferKB, s.Accessibility)
				samples[pg.name+"/"+profile] = append(samples[pg.name+"/"+profile], s)
			}
		}
	}

	m := map[string]float64{}
	for _, pg := range pages {
		g3, g4 := samples[pg.name+"/3g"], samples[pg.name+"/4g"]
		both := append(slices.Clone(g3), g4...)
		m["lcp_ms_3g_"+pg.name] = med(g3, func(s sample) float64 { return s.LCP })
		m["lcp_ms_4g_"+pg.name] = med(g4, func(s sample) float64 { return s.LCP })
		m["tti_ms_3g_"+pg.name] = med(g3, func(s sample) float64 { return s.TTI })
		m["tti_ms_4g_"+pg.name] = med(g4, func(s sample) float64 { return s.TTI })
		m["tbt_ms_"+pg.name] = med(both, func(s sample) float64 { return s.TBT })
		m["cls_"+pg.name] = med(both, func(s sample) float64 { return s.CLS })
		m["initial_kb_"+pg.name] = med(both, func(s sample) float64 { return s.TransferKB })
		m["accessibility_score_"+pg.name] = med(both, func(s sample) float64 { return s.Accessibility })
		m["lcp_ms_3g_max_"+pg.name] = slices.Max(values(g3, func(s sample) float64 { return s.LCP }))
	}
	res := map[string]any{
		"name": "web", "command": "make bench NAME=web", "date": time.Now().UTC().Format(time.RFC3339),
		"machine": fmt.Sprintf("%d cores, Go %s, %s", runtime.NumCPU(), strings.TrimPrefix(runtime.Version(), "go"), chromiumVersion()),
		"runs":    *runs, "metrics": m,
		"notes": "Lighthouse 12.2.3 (node API, bench/web/lh.mjs) in Debian's Chromium, headless, mobile emulation 360x640 at DPR 2.625, " +
			"simulated throttling: 3g = RTT 300 ms, 700 Kbps, 4x CPU; 4g = Lighthouse's default mobile (RTT 150 ms, 1.6 Mbps, 4x CPU). " +
			"Pages served by the router in front of the web app (web/server/index.mjs) and the cells, as make up runs them, on loopback; " +
			"pages and profiles in turn each run. initial_kb = total bytes transferred by the page load (Lighthouse total-byte-weight). " +
			"tbt, cls, initial_kb and accessibility are medians over both profiles. create_listing and chat are measured signed in as the demo owner " +
			"of lagos-1 (the session cookie sent with every request); the chat page's LCP is its messages, read from the home cell by the browser.",
	}
	return benchenv.WriteResult(*out, res)
}

// firstID is the id of the first item a GET of url lists (with cookie,
// if any): a demo listing, the demo conversation.
func firstID(url, cookie string) (string, error) {
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		return "", err
	}
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var page struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil || len(page.Items) == 0 {
		return "", fmt.Errorf("nothing listed at %s (%d, %v)", url, resp.StatusCode, err)
	}
	return page.Items[0].ID, nil
}

const demoBusiness = "ada-fabrics"

// signIn signs the demo owner of lagos-1 in through the Auth emulator and
// opens a web session with the home cell: the cookies the browser keeps.
func signIn(ctx context.Context, origin, authHost string) (string, error) {
	s, err := authemu.New(authHost, devstack.DemoProject).SignIn(ctx, "owner@lagos-1.demo.pushnchat.test", "pushnchat-demo")
	if err != nil {
		return "", err
	}
	body, _ := json.Marshal(map[string]string{"id_token": s.IDToken})
	resp, err := http.Post(origin+"/v1/session", "application/json", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	var cookies []string
	for _, c := range resp.Cookies() {
		cookies = append(cookies, c.Name+"="+c.Value)
	}
	if resp.StatusCode/100 != 2 || len(cookies) == 0 {
		return "", fmt.Errorf("web session: %d, cookies %q", resp.StatusCode, cookies)
	}
	return strings.Join(cookies, "; "), nil
}

// lighthouse runs bench/web/lh.mjs once, bounded in time; cookie, if any,
// is sent with every request of the page load.
func lighthouse(root, url, profile, cookie string) (sample, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "lh.mjs", url, profile)
	cmd.Env = append(os.Environ(), "LH_COOKIE="+cookie)
	cmd.Dir = filepath.Join(root, "bench", "web")
	cmd.Stderr = os.Stderr
	b, err := cmd.Output()
	if err != nil {
		return sample{}, err
	}
	var s sample
	return s, json.Unmarshal(b, &s)
}

func values(xs []sample, f func(sample) float64) []float64 {
	v := make([]float64, len(xs))
	for i, x := range xs {
		v[i] = f(x)
	}
	return v
}

func med(xs []sample, f func(sample) float64) float64 {
	v := values(xs, f)
	slices.Sort(v)
	if len(v) == 0 {
		return 0
	}
	r := v[len(v)/2]
	if len(v)%2 == 0 {
		r = (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return float64(int64(r*1000+0.5)) / 1000
}

func chromiumVersion() string {
	b, err := exec.Command("/usr/bin/chromium", "--version").Output()
	if err != nil {
		return "Chromium (version unknown)"
	}
	return strings.TrimSpace(string(b))
}
