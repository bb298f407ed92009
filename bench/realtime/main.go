// Command realtime compares the cell's realtime messaging with Socket.io
// 4.8 and its Redis adapter on one scenario: conversations of 10 members,
// connections split over two server processes sharing one Redis (and, for
// the cell, one PostgreSQL), each conversation sending one message a
// second, so deliveries are ten times the sends. For 1k, 5k and 10k
// connections it records delivery latency (scheduled send → every
// receiver) and memory per idle connection; then a saturation run raises
// the send rate until p99 passes 100 ms. Both sides run in the same
// process, one after the other, on the same machine, against the same
// load generator.
//
//	go run ./bench/realtime            (make bench NAME=realtime)
package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	_ "net/http/pprof" // served on BENCH_PPROF, to profile the load generator
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/coder/websocket"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"golang.org/x/sync/errgroup"

	"github.com/pushnchat/pushnchat/bench/internal/benchenv"
	"github.com/pushnchat/pushnchat/internal/authemu"
	"github.com/pushnchat/pushnchat/internal/cellapi"
	"github.com/pushnchat/pushnchat/internal/devstack"
	"github.com/pushnchat/pushnchat/internal/probe"
	"github.com/pushnchat/pushnchat/internal/proc"
	"github.com/pushnchat/pushnchat/internal/servicetoken"
)

var (
	out       = flag.String("out", "bench/results/realtime.json", "result file")
	sizesF    = flag.String("sizes", "1000,5000,10000", "connection counts")
	duration  = flag.Duration("duration", 15*time.Second, "measured send phase per size and side")
	warmup    = flag.Duration("warmup", 3*time.Second, "send phase before measuring")
	satConns  = flag.Int("sat-conns", 1000, "connections of the saturation run")
	satStep   = flag.Duration("sat-step", 8*time.Second, "length of each saturation step")
	satMax    = flag.Int("sat-max", 12000, "highest send rate tried (messages/s)")
	satFrom   = flag.Int("sat-from", 1500, "first send rate of the saturation run (messages/s)")
	satRounds = flag.Int("sat-rounds", 3, "saturation runs per side (sides alternated; the median kept)")
	cellProcs = flag.Int("cell-procs", 0, "GOMAXPROCS of each cell replica (0: Go's default, one per core)")
	settle    = flag.Duration("settle", 20*time.Second, "how long connections stay idle before memory is read")
	roundsF   = flag.Int("rounds", 5, "rounds at the largest size (sides alternated; medians kept)")
	sidesF    = flag.String("sides", "pushnchat,socketio", "sides to run (for a quick look at one)")
)

const members = 10

func main() {
	flag.Parse()
	if addr := os.Getenv("BENCH_PPROF"); addr != "" {
		go func() { _ = http.ListenAndServe(addr, nil) }()
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench realtime:", err)
		os.Exit(1)
	}
}

// server is one side under test: two processes.
type server interface {
	name() string
	start() error
	stop()
	urls() []string
	pids() []int
	dial(ctx context.Context, url string, u user, conv int) (client, error)
}

// client is one connection of the load generator.
type client interface {
	send(ctx context.Context, scheduled int64) error
	close()
}

type user struct {
	uid, token string
}

// recorder collects delivery latencies within a window.
type recorder struct {
	from, to  atomic.Int64 // unix nanos of the scheduled sends counted
	mu        sync.Mutex
	lat       []float64 // ms
	delivered atomic.Int64
}

func (r *recorder) deliver(scheduled int64) {
	if scheduled < r.from.Load() || scheduled >= r.to.Load() {
		return
	}
	ms := float64(time.Now().UnixNano()-scheduled) / 1e6
	r.delivered.Add(1)
	r.mu.Lock()
	r.lat = append(r.lat, ms)
	r.mu.Unlock()
}

func (r *recorder) reset(from, to time.Time) {
	r.mu.Lock()
	r.lat = r.lat[:0]
	r.mu.Unlock()
	r.delivered.Store(0)
	r.from.Store(from.UnixNano())
	r.to.Store(to.UnixNano())
}

func (r *recorder) percentiles() (p50, p99, p999 float64, n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := slices.Clone(r.lat)
	slices.Sort(s)
	if len(s) == 0 {
		return math.NaN(), math.NaN(), math.NaN(), 0
	}
	at := func(q float64) float64 { return s[min(len(s)-1, int(q*float64(len(s))))] }
	return at(0.50), at(0.99), at(0.999), len(s)
}

func run() error {
	var sizes []int
	for _, f := range strings.Split(*sizesF, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n%members != 0 {
			return fmt.Errorf("-sizes: %q is not a multiple of %d", f, members)
		}
		sizes = append(sizes, n)
	}
	maxConns := slices.Max(append(slices.Clone(sizes), *satConns))
	// Generator, servers and their children share the file limit.
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) == nil {
		lim.Cur = lim.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
		if lim.Cur < uint64(maxConns)+1000 {
			return fmt.Errorf("the open-file limit %d is too low for %d connections", lim.Cur, maxConns)
		}
	}
	ctx := context.Background()
	env, err := benchenv.New("realtime")
	if err != nil {
		return err
	}
	defer env.Close()
	logf("building the cell; installing the Socket.io side (npm ci)")
	if err := env.Build(ctx, "./cell/cmd/cell"); err != nil {
		return err
	}
	sioDir := filepath.Join(env.Root, "bench", "realtime", "socketio")
	if err := proc.Run(ctx, proc.Spec{Name: "npm ci", Path: "npm", Dir: sioDir, Args: []string{"ci", "--no-audit", "--no-fund", "--loglevel=error"}}, 5*time.Minute); err != nil {
		return err
	}
	pg, err := env.Postgres(ctx)
	if err != nil {
		return err
	}
	rdb, err := env.Redis(ctx)
	if err != nil {
		return err
	}
	auth, err := env.Auth(ctx)
	if err != nil {
		return err
	}

	cell := &cellSide{env: env, cell: benchenv.Cell{DatabaseURL: pg.URL("postgres"), RedisURL: rdb.URL(0), Auth: auth}, pair: pair{path: "/v1/realtime"}}
	if *cellProcs > 0 {
		cell.cell.Env = []string{fmt.Sprintf("GOMAXPROCS=%d", *cellProcs)}
	}
	sio := &sioSide{dir: sioDir, redis: rdb.URL(1), pair: pair{path: "/socket.io/?EIO=4&transport=websocket"}}
	if err := cell.start(); err != nil {
		return err
	}
	logf("signing up %d users in the Auth emulator", maxConns)
	users, err := signUp(ctx, auth, maxConns)
	if err != nil {
		return err
	}
	convIDs, err := cell.seed(ctx, users)
	if err != nil {
		return err
	}
	cell.stop()
	cell.convs = convIDs
	// The emulator's runtime cleans up after the sign-ups some 30 s later,
	// using most of a core for a moment; that must not land in a measured
	// step.
	waitQuiet("auth emulator", auth.Pid(), 40*time.Second, 3*time.Minute)

	metrics := map[string]any{}
	r3 := func(x float64) float64 { return math.Round(x*1000) / 1000 }
	var sides []server
	for _, s := range []server{cell, sio} {
		if slices.Contains(strings.Split(*sidesF, ","), s.name()) {
			sides = append(sides, s)
		}
	}
	// Every size runs each side in turn; the largest, which the goals are
	// judged on, runs -rounds times (A B A B …) and keeps the medians.
	for _, n := range sizes {
		rounds := 1
		if n == slices.Max(sizes) {
			rounds = *roundsF
		}
		got := map[string][]result{}
		for range rounds {
			for _, s := range sides {
				res, err := scenario(s, users[:n], *duration)
				if err != nil {
					return fmt.Errorf("%s at %d connections: %w", s.name(), n, err)
				}
				got[s.name()] = append(got[s.name()], res)
			}
		}
		for _, s := range sides {
			rs := got[s.name()]
			med := func(f func(result) float64) float64 {
				v := make([]float64, len(rs))
				for i, r := range rs {
					v[i] = f(r)
				}
				slices.Sort(v)
				return v[len(v)/2]
			}
			p := prefix(s)
			metrics[fmt.Sprintf("%sdeliver_p50_ms_%d", p, n)] = r3(med(func(r result) float64 { return r.p50 }))
			metrics[fmt.Sprintf("%sdeliver_p99_ms_%d", p, n)] = r3(med(func(r result) float64 { return r.p99 }))
			metrics[fmt.Sprintf("%sdeliver_p999_ms_%d", p, n)] = r3(med(func(r result) float64 { return r.p999 }))
			metrics[fmt.Sprintf("%sdelivered_mps_%d", p, n)] = r3(med(func(r result) float64 { return r.mps }))
			metrics[fmt.Sprintf("%smissing_deliveries_count_%d", p, n)] = int64(med(func(r result) float64 { return float64(r.missing) }))
			metrics[fmt.Sprintf("%sidle_conn_kb_%d", p, n)] = r3(med(func(r result) float64 { return r.idleKB }))
			if rounds > 1 {
				p99s := make([]float64, len(rs))
				for i, r := range rs {
					p99s[i] = r.p99
				}
				metrics[fmt.Sprintf("%sdeliver_p99_ms_%d_min", p, n)] = r3(slices.Min(p99s))
				metrics[fmt.Sprintf("%sdeliver_p99_ms_%d_max", p, n)] = r3(slices.Max(p99s))
			}
			if n == slices.Max(sizes) {
				metrics[p+"idle_conn_kb"] = metrics[fmt.Sprintf("%sidle_conn_kb_%d", p, n)]
			}
		}
	}
	// Saturation runs -sat-rounds times per side, the order of the sides
	// alternating between rounds; each side keeps its median run.
	type satRun struct {
		mps   float64
		cores string
	}
	sat := map[string][]satRun{}
	for round := range *satRounds {
		order := slices.Clone(sides)
		if round%2 == 1 {
			slices.Reverse(order)
		}
		for _, s := range order {
			mps, cores, err := saturation(s, users[:*satConns])
			if err != nil {
				return fmt.Errorf("%s saturation: %w", s.name(), err)
			}
			sat[s.name()] = append(sat[s.name()], satRun{mps, cores})
		}
	}
	var coresAt []string
	for _, s := range sides {
		runs := sat[s.name()]
		slices.SortFunc(runs, func(a, b satRun) int { return cmp.Compare(a.mps, b.mps) })
		med := runs[len(runs)/2]
		p := prefix(s)
		metrics[p+"saturation_mps"] = r3(med.mps)
		metrics[p+"saturation_mps_min"] = r3(runs[0].mps)
		metrics[p+"saturation_mps_max"] = r3(runs[len(runs)-1].mps)
		coresAt = append(coresAt, fmt.Sprintf("%s: %s", s.name(), med.cores))
	}
	big := slices.Max(sizes)
	if v, ok := metrics[fmt.Sprintf("socketio_deliver_p99_ms_%d", big)].(float64); ok && v > 0 {
		metrics["p99_vs_socketio_ratio"] = r3(metrics[fmt.Sprintf("deliver_p99_ms_%d", big)].(float64) / v)
	}
	if v, ok := metrics["socketio_saturation_mps"].(float64); ok && v > 0 {
		metrics["mps_vs_socketio_ratio"] = r3(metrics["saturation_mps"].(float64) / v)
	}
	res := map[string]any{
		"name": "realtime", "command": "make bench NAME=realtime", "date": time.Now().UTC().Format(time.RFC3339),
		"machine": fmt.Sprintf("%d cores, Go %s, Node %s", runtime.NumCPU(), strings.TrimPrefix(runtime.Version(), "go"), nodeVersion()),
		"runs":    1, "metrics": metrics,
		"notes": fmt.Sprintf("Scenario: conversations of %d members; connections split evenly over 2 server processes on one Redis "+
			"(the cell's also on one PostgreSQL); each conversation sends 1 message/s from a rotating member (open loop: latency counts from the "+
			"scheduled send time), every member receives it (deliveries = %d x sends); %s warm-up, %s measured per size and side, sides in turn; "+
			"the largest size runs %d rounds alternated and the file keeps medians (with the min and max p99); "+
			"missing_deliveries = expected minus received within the window. Saturation: %d connections, the total send rate rises "+
			"from %d/s by x1.2 (%s per step) until p99 passes 100 ms or deliveries go missing, then two steps of x1.06 above the last "+
			"rate that passed; a run's result is the highest deliveries/s below that; each side runs %d times, sides alternated, and "+
			"saturation_mps is the median run (with the min and max); the cores below are where the machine's cores went at the best "+
			"step of that median run (CPU time per process name over the step). "+
			"idle_conn_kb: RSS growth of both server processes with every connection open and idle, divided by the connections. "+
			"The cell authenticates every connection (Firebase ID token, emulator), commits every message to PostgreSQL before "+
			"publishing it, assigns per-conversation seqs and acks after the commit; the Socket.io side (socket.io 4.8.3, "+
			"@socket.io/redis-adapter 8.3.0, websocket transport only, no auth) stores nothing and acks after emitting. One load "+
			"generator process (Go) speaks both protocols. Each cell replica runs with GOMAXPROCS=%d (0: Go's default, one per core), "+
			"each Node process on its one event loop. Everything shares the same %d cores.",
			members, members, *warmup, *duration, *roundsF, *satConns, *satFrom, *satStep, *satRounds, *cellProcs, runtime.NumCPU()) +
			" Cores at the best saturation step of the median run — " + strings.Join(coresAt, "; ") + ".",
	}
	return benchenv.WriteResult(*out, res)
}

func prefix(s server) string {
	if s.name() == "socketio" {
		return "socketio_"
	}
	return ""
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, time.Now().Format("15:04:05 ")+format+"\n", args...)
}

func nodeVersion() string {
	b, err := exec.Command("node", "--version").Output()
	if err != nil {
		return "?"
	}
	return strings.TrimPrefix(strings.TrimSpace(string(b)), "v")
}

// signUp creates n users in the emulator, 16 at a time.
func signUp(ctx context.Context, auth *devstack.AuthEmulator, n int) ([]user, error) {
	cl := authemu.New(auth.Host(), auth.Project())
	users := make([]user, n)
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(16)
	for i := range n {
		g.Go(func() error {
			s, err := cl.SignUp(ctx, fmt.Sprintf("bench-%d@example.test", i), "a long password 123")
			users[i] = user{uid: s.UID, token: s.IDToken}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return users, nil
}

type result struct {
	p50, p99, p999, mps, idleKB float64
	missing                     int64
}

// scenario connects users (in conversations of ten, in order), measures
// idle memory, then sends one message per conversation per second.
func scenario(s server, users []user, measure time.Duration) (result, error) {
	if err := s.start(); err != nil {
		return result{}, err
	}
	defer s.stop()
	time.Sleep(time.Second)
	base := rss(s.pids())
	memstats("before")
	rec := &recorder{}
	clients, err := connectAll(s, users, rec)
	defer closeAll(clients)
	if err != nil {
		return result{}, err
	}
	time.Sleep(*settle) // idle for a while: the runtimes return what the handshakes left behind
	memstats("idle")
	idle := float64(rss(s.pids())-base) / 1024 / float64(len(users))
	logf("%-9s RSS %.1f MB → %.1f MB", s.name(), float64(base)/1e6, float64(rss(s.pids()))/1e6)
	convs := len(users) / members
	p50, p99, p999, n, err := drive(clients, convs, float64(convs), measure, rec)
	if err != nil {
		return result{}, err
	}
	expected := int64(float64(convs)*measure.Seconds()) * members
	res := result{p50: p50, p99: p99, p999: p999, mps: float64(n) / measure.Seconds(), idleKB: idle, missing: max(0, expected-int64(n))}
	logf("%-9s %5d conns: p50 %.2f ms p99 %.2f ms p999 %.2f ms, %.0f deliveries/s, %d missing, %.1f KB/idle conn",
		s.name(), len(users), p50, p99, p999, res.mps, res.missing, idle)
	return res, nil
}

// saturation raises the total send rate by x1.2 until p99 passes 100 ms
// (or deliveries go missing), then tries two steps of x1.06 above the last
// rate that passed, and returns the highest deliveries/s below the limit.
func saturation(s server, users []user) (float64, string, error) {
	if err := s.start(); err != nil {
		return 0, "", err
	}
	defer s.stop()
	rec := &recorder{}
	clients, err := connectAll(s, users, rec)
	defer closeAll(clients)
	if err != nil {
		return 0, "", err
	}
	convs := len(users) / members
	best, bestCores := 0.0, ""
	step := func(rate float64) (bool, error) {
		cpu0, t0 := benchenv.SampleCPU(), time.Now()
		p50, p99, _, n, err := drive(clients, convs, rate, *satStep, rec)
		if err != nil {
			return false, err
		}
		cores := benchenv.CPUShares(cpu0, benchenv.SampleCPU(), time.Since(t0).Seconds())
		expected := rate * satStep.Seconds() * members
		mps := float64(n) / satStep.Seconds()
		logf("%-9s saturation: %6.0f sends/s → %8.0f deliveries/s, p50 %.2f ms, p99 %.2f ms; cores: %s", s.name(), rate, mps, p50, p99, cores)
		if p99 > 100 || float64(n) < 0.99*expected {
			time.Sleep(10 * time.Second) // let the backlog of a failed step drain
			return false, nil
		}
		best, bestCores = mps, cores
		return true, nil
	}
	passed := 0.0
	for rate := float64(*satFrom); rate <= float64(*satMax); rate *= 1.2 {
		ok, err := step(rate)
		if err != nil {
			return 0, "", err
		}
		if !ok {
			break
		}
		passed = rate
	}
	for _, f := range []float64{1.06, 1.12} {
		if passed == 0 {
			break
		}
		ok, err := step(passed * f)
		if err != nil {
			return 0, "", err
		}
		if !ok {
			break
		}
	}
	return best, bestCores, nil
}

// closeAll closes the clients connectAll opened (after a failed connect,
// some entries are nil).
func closeAll(clients []client) {
	for _, c := range clients {
		if c != nil {
			c.close()
		}
	}
}

// connectAll opens a connection per user, 64 at a time.
func connectAll(s server, users []user, rec *recorder) ([]client, error) {
	clients := make([]client, len(users))
	urls := s.urls()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(64)
	for i := range users {
		g.Go(func() error {
			var err error
			for attempt := 0; attempt < 5; attempt++ {
				dctx, dcancel := context.WithTimeout(ctx, 30*time.Second)
				var c client
				c, err = s.dial(dctx, urls[i%len(urls)], users[i], i/members)
				dcancel()
				if err == nil {
					clients[i] = c
					return nil
				}
				time.Sleep(100 * time.Millisecond) // a retry's pause, not a synchronisation
			}
			return fmt.Errorf("connection %d: %w", i, err)
		})
	}
	firstErr := g.Wait()
	for _, c := range clients {
		if c != nil {
			if cc, ok := c.(interface{ attach(*recorder) }); ok {
				cc.attach(rec)
			}
		}
	}
	if firstErr != nil {
		return clients, firstErr
	}
	logf("%-9s %d connections open", s.name(), len(users))
	return clients, nil
}

// drive sends rate messages/s in total, spread evenly over the
// conversations (each from the next member in turn), for warmup + d, and
// returns the latencies of the sends scheduled in the measured part.
func drive(clients []client, convs int, rate float64, d time.Duration, rec *recorder) (p50, p99, p999 float64, n int, err error) {
	start := time.Now().Add(100 * time.Millisecond)
	measureFrom := start.Add(*warmup)
	rec.reset(measureFrom, measureFrom.Add(d))
	total := int((d + *warmup).Seconds() * rate)
	interval := time.Duration(float64(time.Second) / rate)
	var errs atomic.Int64
	ctx, cancel := context.WithTimeout(context.Background(), d+*warmup+30*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for k := range total {
		at := start.Add(time.Duration(k) * interval)
		if w := time.Until(at); w > 0 {
			time.Sleep(w)
		}
		conv := k % convs
		member := (k / convs) % members
		c := clients[conv*members+member]
		wg.Add(1)
		go func() {
			defer wg.Done()
			if c.send(ctx, at.UnixNano()) != nil {
				errs.Add(1)
			}
		}()
	}
	wg.Wait()
	time.Sleep(2 * time.Second) // the last deliveries
	if e := errs.Load(); e > 0 {
		return 0, 0, 0, 0, fmt.Errorf("%d sends failed", e)
	}
	p50, p99, p999, n = rec.percentiles()
	return p50, p99, p999, n, nil
}

// waitQuiet returns once the process group pgid has used under 2 % of a
// core for a whole window, or after limit.
func waitQuiet(name string, pgid int, window, limit time.Duration) {
	const sample = 2 * time.Second
	deadline := time.Now().Add(limit)
	quiet := time.Duration(0)
	for quiet < window {
		if time.Now().After(deadline) {
			logf("%s still busy after %s; going on", name, limit)
			return
		}
		c0 := benchenv.CPUSeconds(pgid)
		time.Sleep(sample)
		if benchenv.CPUSeconds(pgid)-c0 < 0.02*sample.Seconds() {
			quiet += sample
		} else {
			quiet = 0
		}
	}
	logf("%s quiet for %s", name, window)
}

// rss sums the resident memory of pids, in bytes.
func rss(pids []int) int64 {
	var total int64
	for _, pid := range pids {
		f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
				total += kb * 1024
			}
		}
		f.Close()
	}
	return total
}

// wsClient is the shared part of both sides' connections.
type wsClient struct {
	conn   *websocket.Conn
	closed chan struct{}
	rec    atomic.Pointer[recorder]
	mu     sync.Mutex // serialises writes
}

func (w *wsClient) attach(r *recorder) { w.rec.Store(r) }

func (w *wsClient) write(ctx context.Context, b []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.conn.Write(ctx, websocket.MessageText, b)
}

func (w *wsClient) close() {
	w.conn.CloseNow()
	if w.closed != nil {
		close(w.closed)
	}
}

// --- the cell ---

// pair is one side's two server processes.
type pair struct {
	procs []*proc.Process
	addrs []string
	path  string // of the WebSocket endpoint, with its query
}

func (p *pair) add(pr *proc.Process, addr string) {
	p.procs, p.addrs = append(p.procs, pr), append(p.addrs, addr)
}

func (p *pair) stop() {
	for _, pr := range p.procs {
		pr.Stop()
	}
	p.procs, p.addrs = nil, nil
}

func (p *pair) urls() []string {
	var u []string
	for _, a := range p.addrs {
		u = append(u, "ws://"+a+p.path)
	}
	return u
}

func (p *pair) pids() []int {
	var ids []int
	for _, pr := range p.procs {
		ids = append(ids, pr.Pid())
	}
	return ids
}

type cellSide struct {
	pair
	env   *benchenv.Env
	cell  benchenv.Cell
	convs []string
}

func (c *cellSide) name() string { return "pushnchat" }

func (c *cellSide) start() error {
	for i := range 2 {
		p, addr, err := c.env.StartCell(context.Background(), fmt.Sprintf("cell replica %d", i+1), c.cell,
			"-log-level", "warn", "-shutdown-grace", "5s", "-debug-listen", debugAddr(i))
		if err != nil {
			c.stop()
			return err
		}
		c.add(p, addr)
	}
	return nil
}

// seed creates the business (through the internal API, as the control
// plane does), the users' cell accounts and memberships, and the
// conversations of ten.
func (c *cellSide) seed(ctx context.Context, users []user) ([]string, error) {
	tenantID := uuid.Must(uuid.NewV7()).String()
	body, _ := json.Marshal(cellapi.PutTenant{Owner: cellapi.Owner{FirebaseUID: users[0].uid, Email: "bench-0@example.test"},
		Slug: "bench-chat", Name: "Bench Chat", Country: "NG", Categories: []string{"fabrics"},
		Contact: cellapi.Contact{Name: "Ada Obi", Email: "ada@example.test", Phone: "+2348012345678"}})
	req, _ := http.NewRequest(http.MethodPut, "http://"+c.addrs[0]+"/internal/v1/tenants/"+tenantID, strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	servicetoken.Set(req, benchenv.ServiceToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return nil, fmt.Errorf("create tenant: %d %s", resp.StatusCode, b)
	}
	conn, err := pgx.Connect(ctx, c.cell.DatabaseURL)
	if err != nil {
		return nil, err
	}
	defer conn.Close(ctx)
	var owner string
	if err := conn.QueryRow(ctx, `SELECT id FROM app_user WHERE firebase_uid = $1`, users[0].uid).Scan(&owner); err != nil {
		return nil, err
	}
	ids := make([]string, len(users))
	rows := make([][]any, 0, len(users))
	for i, u := range users {
		ids[i] = uuid.Must(uuid.NewV7()).String()
		if i == 0 {
			ids[i] = owner
			continue
		}
		rows = append(rows, []any{ids[i], u.uid, fmt.Sprintf("bench-%d@example.test", i)})
	}
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"app_user"}, []string{"id", "firebase_uid", "email"}, pgx.CopyFromRows(rows)); err != nil {
		return nil, err
	}
	// Everyone is a member of the business: conversations hold only its
	// members, and only members may send.
	ms := make([][]any, 0, len(rows))
	for _, r := range rows {
		ms = append(ms, []any{tenantID, r[0], "member"})
	}
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"membership"}, []string{"tenant_id", "user_id", "role"}, pgx.CopyFromRows(ms)); err != nil {
		return nil, err
	}
	convs := make([]string, len(users)/members)
	var cr, mr [][]any
	for k := range convs {
		convs[k] = uuid.Must(uuid.NewV7()).String()
		cr = append(cr, []any{convs[k], tenantID, "group", fmt.Sprintf("Bench %d", k), ids[k*members]})
		for m := range members {
			mr = append(mr, []any{convs[k], ids[k*members+m]})
		}
	}
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"conversation"}, []string{"id", "tenant_id", "kind", "title", "created_by"}, pgx.CopyFromRows(cr)); err != nil {
		return nil, err
	}
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"conversation_member"}, []string{"conversation_id", "user_id"}, pgx.CopyFromRows(mr)); err != nil {
		return nil, err
	}
	return convs, nil
}

type cellClient struct {
	wsClient
	conv string
}

func (c *cellSide) dial(ctx context.Context, url string, u user, conv int) (client, error) {
	conn, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + u.token}}})
	if err != nil {
		return nil, err
	}
	conn.SetReadLimit(1 << 20)
	if _, _, err := conn.Read(ctx); err != nil { // hello
		conn.CloseNow()
		return nil, err
	}
	cl := &cellClient{wsClient: wsClient{conn: conn, closed: make(chan struct{})}, conv: c.convs[conv]}
	if err := cl.write(ctx, []byte(`{"type":"resume","conversations":[]}`)); err != nil {
		conn.CloseNow()
		return nil, err
	}
	// Heartbeats as the apps send them: a ping every 25 s, the first at a
	// random moment so they spread (Socket.io's server pings the same way).
	go func() {
		t := time.NewTimer(time.Duration(rand.Int64N(int64(25 * time.Second))))
		defer t.Stop()
		for {
			select {
			case <-cl.closed:
				return
			case <-t.C:
				_ = cl.write(context.Background(), []byte(`{"type":"ping"}`))
				t.Reset(25 * time.Second)
			}
		}
	}()
	go func() {
		var b []byte
		for {
			var err error
			if b, err = readInto(conn, b); err != nil {
				return
			}
			if !bytes.HasPrefix(b, []byte(`{"type":"message"`)) {
				continue
			}
			if t, ok := intAfter(b, `"body":"`); ok {
				if r := cl.rec.Load(); r != nil {
					r.deliver(t)
				}
			}
		}
	}()
	return cl, nil
}

func (c *cellClient) send(ctx context.Context, scheduled int64) error {
	id := uuid.Must(uuid.NewV7()).String()
	b := fmt.Appendf(nil, `{"type":"send","conversation":%q,"id":%q,"body":"%d"}`, c.conv, id, scheduled)
	return c.write(ctx, b)
}

// --- Socket.io ---

type sioSide struct {
	pair
	dir, redis string
}

func (s *sioSide) name() string { return "socketio" }

func (s *sioSide) start() error {
	for i := range 2 {
		port, err := devstack.FreePort()
		if err != nil {
			return err
		}
		p, err := proc.Start(proc.Spec{Name: fmt.Sprintf("socket.io %d", i+1), Path: "node", Dir: s.dir, StopSignal: syscall.SIGTERM,
			Args: []string{"server.js", strconv.Itoa(port), s.redis}})
		if err != nil {
			s.stop()
			return err
		}
		addr := "127.0.0.1:" + strconv.Itoa(port)
		s.add(p, addr)
		if err := p.WaitReady(context.Background(), time.Minute, probe.Ready("http://"+addr+"/healthz")); err != nil {
			s.stop()
			return err
		}
	}
	return nil
}

type sioClient struct {
	wsClient
	ack atomic.Int64
}

// dial speaks Engine.IO 4 over WebSocket: the open packet, a namespace
// connect carrying the conversation, then events; the server's pings ("2")
// get pongs ("3").
func (s *sioSide) dial(ctx context.Context, url string, u user, conv int) (client, error) {
	conn, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		return nil, err
	}
	conn.SetReadLimit(1 << 20)
	fail := func(err error) (client, error) { conn.CloseNow(); return nil, err }
	if _, b, err := conn.Read(ctx); err != nil || len(b) == 0 || b[0] != '0' {
		return fail(fmt.Errorf("engine.io open: %q, %v", b, err))
	}
	cl := &sioClient{wsClient: wsClient{conn: conn}}
	if err := cl.write(ctx, fmt.Appendf(nil, `40{"conv":"c%d"}`, conv)); err != nil {
		return fail(err)
	}
	if _, b, err := conn.Read(ctx); err != nil || !strings.HasPrefix(string(b), "40") {
		return fail(fmt.Errorf("socket.io connect: %q, %v", b, err))
	}
	go func() {
		var b []byte
		for {
			var err error
			if b, err = readInto(conn, b); err != nil {
				return
			}
			switch {
			case len(b) == 1 && b[0] == '2':
				_ = cl.write(context.Background(), []byte("3"))
			case bytes.HasPrefix(b, []byte(`42["message",`)):
				if t, ok := intAfter(b, `"t":`); ok {
					if r := cl.rec.Load(); r != nil {
						r.deliver(t)
					}
				}
			}
		}
	}()
	return cl, nil
}

func (c *sioClient) send(ctx context.Context, scheduled int64) error {
	n := c.ack.Add(1)
	return c.write(ctx, fmt.Appendf(nil, `42%d["send",{"id":%q,"t":%d}]`, n, uuid.Must(uuid.NewV7()).String(), scheduled))
}

// readInto reads the next message into buf's memory (grown as needed), so
// the generator's readers allocate nothing per frame.
func readInto(conn *websocket.Conn, buf []byte) ([]byte, error) {
	_, r, err := conn.Reader(context.Background())
	if err != nil {
		return nil, err
	}
	w := bytes.NewBuffer(buf[:0])
	_, err = w.ReadFrom(r)
	return w.Bytes(), err
}

// intAfter reads the decimal integer right after the first key in b. Both
// sides' clients find their send timestamp this way rather than decoding
// every frame: the generator measures, the tests check the frames.
func intAfter(b []byte, key string) (int64, bool) {
	i := bytes.Index(b, []byte(key))
	if i < 0 {
		return 0, false
	}
	b = b[i+len(key):]
	n := 0
	for n < len(b) && b[n] >= '0' && b[n] <= '9' {
		n++
	}
	v, err := strconv.ParseInt(string(b[:n]), 10, 64)
	return v, err == nil
}

// debugAddr is where replica i serves pprof: CELL_PPROF (host:port) for
// the first replica, when set, to profile a run.
func debugAddr(i int) string {
	if i == 0 {
		return os.Getenv("CELL_PPROF")
	}
	return ""
}

// memstats prints the first replica's Go memory statistics when it serves
// pprof (CELL_PPROF).
func memstats(when string) {
	addr := os.Getenv("CELL_PPROF")
	if addr == "" {
		return
	}
	resp, err := http.Get("http://" + addr + "/debug/pprof/heap?debug=1")
	if err != nil {
		return
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	var parts []string
	for sc.Scan() {
		for _, k := range []string{"# HeapAlloc", "# HeapInuse", "# HeapIdle", "# HeapReleased", "# Stack", "# Sys", "# NumGC"} {
			if strings.HasPrefix(sc.Text(), k+" ") {
				parts = append(parts, strings.TrimPrefix(sc.Text(), "# "))
			}
		}
	}
	logf("replica 1 memory %s: %s", when, strings.Join(parts, ", "))
}
