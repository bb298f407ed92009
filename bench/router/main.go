// Command router compares, in one run on one machine, a request sent
// straight to a cell, through PushNchat's router, and through nginx set up
// to do the same path → upstream routing. It measures throughput at
// saturation (wrk, 64 keep-alive connections), added latency at a fixed
// open-loop rate of 5k req/s, and the router's cached lookup cost and
// memory. It writes bench/results/router.json.
//
//	make bench NAME=router
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pushnchat/pushnchat/bench/internal/benchenv"
	"github.com/pushnchat/pushnchat/bench/internal/openloop"
	"github.com/pushnchat/pushnchat/internal/devstack"
	"github.com/pushnchat/pushnchat/internal/probe"
	"github.com/pushnchat/pushnchat/internal/proc"
)

var (
	out      = flag.String("out", "bench/results/router.json", "result file")
	runs     = flag.Int("runs", 7, "rounds; each round runs every side once, in turn")
	duration = flag.Duration("duration", 6*time.Second, "wrk duration per side and round")
	rate     = flag.Int("rate", 5000, "open-loop request rate for the latency runs")
	rateFor  = flag.Duration("rate-duration", 5*time.Second, "length of each open-loop run")
	stub     = flag.String("serve-stub", "", "internal: serve the cell stand-in on this address and nothing else")
)

var body = []byte(`{"id":"0190c2a5-0000-7000-8000-000000000001","slug":"bench-shop","name":"Bench Shop","country":"NG","categories":["fabrics"],"version":1}` + "\n")

// serveStub is the cell stand-in, run as its own process so it does not
// share a scheduler with the load generator. It collects garbage only when
// its heap reaches 512 MiB: every side's requests reach it, so its pauses
// would land in every side's tail and hide what the hop itself adds.
func serveStub(addr string) error {
	debug.SetGCPercent(-1)
	debug.SetMemoryLimit(512 << 20)
	return http.ListenAndServe(addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
}

const token = benchenv.ServiceToken

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench router:", err)
		os.Exit(1)
	}
}

func freeAddr() (string, error) {
	p, err := devstack.FreePort()
	return fmt.Sprintf("127.0.0.1:%d", p), err
}

func run() error {
	flag.Parse()
	if *stub != "" {
		return serveStub(*stub)
	}
	ctx := context.Background()
	env, err := benchenv.New("router")
	if err != nil {
		return err
	}
	defer env.Close()

	// The upstream: a cell stand-in answering a small JSON body, so that
	// what is measured is the hop, not the cell's work.
	upstreamAddr, err := freeAddr()
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	up, err := proc.Start(proc.Spec{Name: "cell stand-in", Path: self, Args: []string{"-serve-stub", upstreamAddr}})
	if err != nil {
		return err
	}
	defer up.Stop()
	if err := up.WaitReady(ctx, 30*time.Second, probe.Ready("http://"+upstreamAddr+"/")); err != nil {
		return err
	}

	// Control plane with its directory, then the router.
	if err := env.Build(ctx, "./control-plane/cmd/control-plane", "./router/cmd/router"); err != nil {
		return err
	}
	pg, err := env.Postgres(ctx)
	if err != nil {
		return err
	}
	cpAddr, _ := freeAddr()
	cp, err := proc.Start(proc.Spec{Name: "control-plane", Path: env.Bin("control-plane"), StopSignal: syscall.SIGTERM, Args: []string{
		"-listen", cpAddr, "-database-url", pg.URL("postgres"), "-cells", "lagos-1=http://" + upstreamAddr,
		"-service-token", token, "-firebase-emulator", "127.0.0.1:9"}})
	if err != nil {
		return err
	}
	defer cp.Stop()
	if err := cp.WaitReady(ctx, time.Minute, probe.Ready("http://"+cpAddr+"/readyz")); err != nil {
		return err
	}
	conn, err := pgx.Connect(ctx, pg.URL("postgres"))
	if err != nil {
		return err
	}
	_, err = conn.Exec(ctx, `INSERT INTO tenant_directory (tenant_id, slug, country, home_cell, status, rules, owner_uid)
		VALUES ('0190c2a5-0000-7000-8000-000000000001', 'bench-shop', 'NG', 'lagos-1', 'active', '{placement.home-jurisdiction}', 'bench')`)
	conn.Close(ctx)
	if err != nil {
		return err
	}
	routerAddr, _ := freeAddr()
	rt, err := proc.Start(proc.Spec{Name: "router", Path: env.Bin("router"), StopSignal: syscall.SIGTERM, Args: []string{
		"-listen", routerAddr, "-control-plane", "http://" + cpAddr, "-service-token", token, "-edge-token", "bench-edge-token",
		"-debug-listen", os.Getenv("ROUTER_PPROF")}})
	if err != nil {
		return err
	}
	defer rt.Stop()
	if err := rt.WaitReady(ctx, time.Minute, probe.Ready("http://"+routerAddr+"/v1/t/bench-shop/profile")); err != nil {
		return err
	}

	// nginx, doing the same tenant → upstream routing from a static map.
	nginxAddr, _ := freeAddr()
	conf := filepath.Join(env.Dir, "nginx.conf")
	err = os.WriteFile(conf, []byte(fmt.Sprintf(`worker_processes auto;
daemon off;
pid %[1]s/nginx.pid;
error_log %[1]s/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path %[1]s/body; proxy_temp_path %[1]s/proxy; fastcgi_temp_path %[1]s/fcgi; uwsgi_temp_path %[1]s/uwsgi; scgi_temp_path %[1]s/scgi;
  upstream lagos_1 { server %[2]s; keepalive 256; }
  map $uri $cell { ~^/v1/t/bench-shop/ lagos_1; default ""; }
  server {
    listen %[3]s;
    location / {
      if ($cell = "") { return 404; }
      proxy_pass http://$cell;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Request-Id $request_id;
      add_header X-PushNchat-Cell $cell;
    }
  }
}
`, env.Dir, upstreamAddr, nginxAddr)), 0o644)
	if err != nil {
		return err
	}
	nginxBin, err := exec.LookPath("nginx")
	if err != nil {
		nginxBin = "/usr/sbin/nginx"
	}
	ngx, err := proc.Start(proc.Spec{Name: "nginx", Path: nginxBin, Args: []string{"-c", conf, "-p", env.Dir}, StopSignal: syscall.SIGQUIT})
	if err != nil {
		return err
	}
	defer ngx.Stop()
	if err := ngx.WaitReady(ctx, 30*time.Second, probe.Ready("http://"+nginxAddr+"/v1/t/bench-shop/profile")); err != nil {
		return err
	}

	sides := []struct {
		name, addr string
		pgid       int // whose CPU is the hop's cost
	}{
		{"direct", upstreamAddr, up.Pid()},
		{"router", routerAddr, rt.Pid()},
		{"nginx", nginxAddr, ngx.Pid()},
	}
	const path = "/v1/t/bench-shop/profile"
	rps := map[string][]float64{}
	cpuUs := map[string][]float64{}
	p50 := map[string][]float64{}
	p99 := map[string][]float64{}
	for round := range *runs {
		order := slices.Clone(sides)
		if round%2 == 1 { // alternate which proxy runs first, so order favours neither
			order[1], order[2] = order[2], order[1]
		}
		for _, s := range order {
			cpu0 := benchenv.CPUSeconds(s.pgid)
			r, err := wrk("http://" + s.addr + path)
			if err != nil {
				return err
			}
			cpu := benchenv.CPUSeconds(s.pgid) - cpu0
			rps[s.name] = append(rps[s.name], r)
			cpuUs[s.name] = append(cpuUs[s.name], cpu/(r*duration.Seconds())*1e6)
			a, b, err := openLoop(s.addr, path)
			if err != nil {
				return err
			}
			p50[s.name], p99[s.name] = append(p50[s.name], a), append(p99[s.name], b)
			fmt.Fprintf(os.Stderr, "round %d %-6s %8.0f req/s (%.1f µs CPU each); at %d/s p50 %.3f ms p99 %.3f ms\n",
				round+1, s.name, r, cpuUs[s.name][round], *rate, a, b)
		}
	}
	lookupNs, cacheMB, err := lookupBench(env.Root)
	if err != nil {
		return err
	}
	med := func(xs []float64) float64 { s := slices.Clone(xs); slices.Sort(s); return s[len(s)/2] }
	r3 := func(x float64) float64 { return float64(int64(x*1000+0.5)) / 1000 }
	m := map[string]any{
		"direct_rps_median":         r3(med(rps["direct"])),
		"router_rps_median":         r3(med(rps["router"])),
		"nginx_rps_median":          r3(med(rps["nginx"])),
		"router_vs_nginx_rps_ratio": r3(med(rps["router"]) / med(rps["nginx"])),
		"router_cpu_us_per_req":     r3(med(cpuUs["router"])),
		"nginx_cpu_us_per_req":      r3(med(cpuUs["nginx"])),
		"direct_p50_ms":             r3(med(p50["direct"])),
		"direct_p99_ms":             r3(med(p99["direct"])),
		"router_added_p50_ms":       r3(med(p50["router"]) - med(p50["direct"])),
		"router_added_p99_ms":       r3(med(p99["router"]) - med(p99["direct"])),
		"nginx_added_p50_ms":        r3(med(p50["nginx"]) - med(p50["direct"])),
		"nginx_added_p99_ms":        r3(med(p99["nginx"]) - med(p99["direct"])),
		"router_p99_ms_max":         r3(slices.Max(p99["router"])),
		"lookup_cached_ns":          lookupNs,
		"cache_1m_entries_mb":       cacheMB,
	}
	res := map[string]any{
		"name": "router", "command": "make bench NAME=router", "date": time.Now().UTC().Format(time.RFC3339),
		"machine": fmt.Sprintf("%d cores, Go %s", runtime.NumCPU(), strings.TrimPrefix(runtime.Version(), "go")), "runs": *runs, "metrics": m,
		"notes": fmt.Sprintf("GET of a %d-byte JSON answer from a cell stand-in (its own process; so the hop is measured, not the cell's work), on loopback. "+
			"Throughput: wrk -t2 -c64 -d%s per side, sides in turn each round (direct first; router and nginx alternate which goes next). Added latency: an open-loop "+
			"generator (bench/internal/openloop: prebuilt requests, no allocation per request) at %d req/s for %s per side over 64 keep-alive connections, "+
			"latency counted from each request's scheduled time, or from the generator's wake-up when its timer overslept; the stand-in collects garbage "+
			"only at 512 MiB of heap, so neither adds its own pauses to every side's tail; added = side minus direct (medians of the rounds' p50 and p99). nginx 1.22 (a worker per core, upstream keepalive) routes by a static path map, as the router "+
			"does by its cached directory on its event loops (one per core). The router and nginx each share the same 2 cores with the "+
			"load generator and the upstream. CPU µs per request: the proxy's own CPU time (all its processes) over the wrk run. Lookup: "+
			"go test -bench LookupCached (parallel, 100k keys); memory: heap of 1M cached tenants.",
			len(body), *duration, *rate, *rateFor),
	}
	return benchenv.WriteResult(*out, res)
}

var rpsRE = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)

func wrk(url string) (float64, error) {
	outb, err := exec.Command("wrk", "-t2", "-c64", "-d"+duration.String(), "--timeout", "5s", url).CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("wrk: %v\n%s", err, outb)
	}
	if strings.Contains(string(outb), "Non-2xx") {
		return 0, fmt.Errorf("wrk saw errors:\n%s", outb)
	}
	m := rpsRE.FindStringSubmatch(string(outb))
	if m == nil {
		return 0, fmt.Errorf("wrk output:\n%s", outb)
	}
	return strconv.ParseFloat(m[1], 64)
}

// openLoop returns p50 and p99 latency in ms of a fixed-rate run at url's path.
func openLoop(addr, path string) (float64, float64, error) {
	r, err := openloop.Run(openloop.Options{Addr: addr, Path: path, Rate: *rate, For: *rateFor, Conns: 64})
	if err != nil {
		return 0, 0, err
	}
	return r.Quantile(0.50), r.Quantile(0.99), nil
}

var benchRE = regexp.MustCompile(`(?m)^Benchmark(\w+)-\d+\s+\d+\s+([0-9.]+) ns/op(?:\s+([0-9.]+) MB/1M)?`)

// lookupBench runs the router cache's Go benchmarks and reads their results.
func lookupBench(root string) (ns, mb float64, err error) {
	cmd := exec.Command("go", "test", "-run", "XXX", "-bench", "LookupCached|CacheMemory1M", "-benchtime", "2s", "./router/internal/lookup")
	cmd.Dir = root
	outb, err := cmd.CombinedOutput()
	if err != nil {
		return 0, 0, fmt.Errorf("go test -bench: %v\n%s", err, outb)
	}
	for _, m := range benchRE.FindAllStringSubmatch(string(outb), -1) {
		switch m[1] {
		case "LookupCached":
			ns, _ = strconv.ParseFloat(m[2], 64)
		case "CacheMemory1M":
			mb, _ = strconv.ParseFloat(m[3], 64)
		}
	}
	if ns == 0 || mb == 0 {
		return 0, 0, fmt.Errorf("benchmark output not understood:\n%s", outb)
	}
	return ns, mb, nil
}
