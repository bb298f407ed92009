package realtime_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/jackc/pgx/v5"

	"github.com/pushnchat/pushnchat/cell/config"
	"github.com/pushnchat/pushnchat/cell/internal/celltest"
	"github.com/pushnchat/pushnchat/cell/internal/realtime"
	"github.com/pushnchat/pushnchat/internal/devstack"
	"github.com/pushnchat/pushnchat/internal/probe"
	"github.com/pushnchat/pushnchat/internal/proc"
	"github.com/pushnchat/pushnchat/internal/testenv"
)

// replicas are cell processes sharing one PostgreSQL database and one Redis
// server, which the test may kill and restart.
type replicas struct {
	t      *testing.T
	bin    string
	signal syscall.Signal // how end stops a replica: SIGKILL unless set
	cfg    config.Config  // every replica's, less its address
	mu     sync.Mutex
	procs  map[string]*proc.Process // URL → process
}

func (rs *replicas) start(name string) string {
	rs.t.Helper()
	port, err := devstack.FreePort()
	if err != nil {
		rs.t.Fatal(err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	stop := rs.signal
	if stop == 0 {
		stop = syscall.SIGKILL
	}
	p, err := proc.Start(proc.Spec{Name: name, Path: rs.bin, StopSignal: stop, StopTimeout: 20 * time.Second, Args: rs.args(addr)})
	if err != nil {
		rs.t.Fatal(err)
	}
	rs.t.Cleanup(func() { p.Stop() })
	if err := p.WaitReady(context.Background(), time.Minute, probe.Ready("http://"+addr+"/readyz")); err != nil {
		rs.t.Fatal(err)
	}
	url := "http://" + addr
	rs.mu.Lock()
	rs.procs[url] = p
	rs.mu.Unlock()
	return url
}

// end stops the replica at url with the replicas' signal (SIGKILL: it
// dies mid-stream).
func (rs *replicas) end(url string) {
	rs.mu.Lock()
	p := rs.procs[url]
	delete(rs.procs, url)
	rs.mu.Unlock()
	p.Stop()
}

// pick returns a live replica at random.
func (rs *replicas) pick() string {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	urls := make([]string, 0, len(rs.procs))
	for u := range rs.procs {
		urls = append(urls, u)
	}
	if len(urls) == 0 {
		return ""
	}
	return urls[rand.IntN(len(urls))]
}

// device is one client app: it sends its share of messages (retrying
// unacknowledged ones with the same ids after every reconnect) and checks
// the conversation's stream it receives — each seq once, in order, no gap —
// across random disconnects, replica deaths and a Redis restart.
type device struct {
	name, token, conv string
	slug              string
	toSend            []string      // message ids, in order
	chaos             time.Duration // drops its connection at random within this (0: never)

	mu       sync.Mutex
	next     int              // index of the first id of toSend not yet acknowledged
	acked    map[string]int64 // id → seq
	last     int64            // highest seq received, in order
	ids      map[int64]string // seq → id received
	problems []string
	conns    int
	refetch  int
}

func (d *device) problem(format string, args ...any) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.problems) < 20 {
		d.problems = append(d.problems, fmt.Sprintf(format, args...))
	}
}

func (d *device) state() (acked int, last int64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.acked), d.last
}

// run connects and reconnects until done reports true or ctx ends.
func (d *device) run(ctx context.Context, pick func() string, done func() bool) {
	for ctx.Err() == nil && !done() {
		url := pick()
		if url == "" {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		d.session(ctx, url, done)
	}
}

func (d *device) session(ctx context.Context, url string, done func() bool) {
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	conn, _, err := websocket.Dial(dctx, "ws"+strings.TrimPrefix(url, "http")+"/v1/realtime",
		&websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + d.token}}})
	cancel()
	if err != nil {
		time.Sleep(50 * time.Millisecond)
		return
	}
	defer conn.CloseNow()
	conn.SetReadLimit(1 << 20)
	d.mu.Lock()
	d.conns++
	last := d.last
	d.mu.Unlock()
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	write := func(v any) error {
		b, _ := json.Marshal(v)
		wctx, cancel := context.WithTimeout(sctx, 5*time.Second)
		defer cancel()
		return conn.Write(wctx, websocket.MessageText, b)
	}
	if _, _, err := conn.Read(sctx); err != nil { // hello
		return
	}
	if write(map[string]any{"type": "resume", "conversations": []any{map[string]any{"id": d.conv, "last_seq": last}}}) != nil {
		return
	}
	// The sender: a window of 8 unacknowledged messages, starting again
	// from the first unacknowledged one on every connection.
	window := make(chan struct{}, 8)
	go func() {
		d.mu.Lock()
		i := d.next
		d.mu.Unlock()
		for ; i < len(d.toSend); i++ {
			select {
			case window <- struct{}{}:
			case <-sctx.Done():
				return
			}
			id := d.toSend[i]
			if write(map[string]any{"type": "send", "ref": id, "conversation": d.conv, "id": id, "body": d.name + " " + id}) != nil {
				return
			}
		}
	}()
	// A watchdog ends the session when everything is done, or — for the
	// chaotic device — at a random moment, abruptly (no close frame).
	go func() {
		var drop <-chan time.Time
		if d.chaos > 0 {
			drop = time.After(time.Duration(rand.Int64N(int64(d.chaos))))
		}
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-sctx.Done():
				return
			case <-drop:
				conn.CloseNow()
				return
			case <-tick.C:
				if done() {
					conn.Close(websocket.StatusNormalClosure, "")
					return
				}
			}
		}
	}()
	for {
		_, b, err := conn.Read(sctx)
		if err != nil {
			return
		}
		var f celltest.Frame
		if err := json.Unmarshal(b, &f); err != nil {
			d.problem("bad frame %s", b)
			return
		}
		switch f.Type {
		case "ack":
			d.mu.Lock()
			d.acked[f.ID] = f.Seq
			for d.next < len(d.toSend) && d.acked[d.toSend[d.next]] != 0 {
				d.next++
			}
			d.mu.Unlock()
			select {
			case <-window:
			default:
			}
		case "error":
			if f.Code == "unavailable" {
				return // reconnect and send again
			}
			d.problem("error frame %+v", f)
		case "message":
			d.mu.Lock()
			switch {
			case f.Message.Seq <= d.last:
				d.problems = append(d.problems, fmt.Sprintf("duplicate seq %d (have %d) on connection %d", f.Message.Seq, d.last, d.conns))
			case f.Message.Seq > d.last+1:
				d.problems = append(d.problems, fmt.Sprintf("gap: seq %d after %d on connection %d", f.Message.Seq, d.last, d.conns))
			default:
				d.last = f.Message.Seq
				d.ids[f.Message.Seq] = f.Message.ID
			}
			d.mu.Unlock()
		case "refetch":
			// A long gap: page through the history API, as an app does.
			if !d.history(url, f.HeadSeq) {
				return
			}
		}
	}
}

func (d *device) history(url string, head int64) bool {
	d.mu.Lock()
	d.refetch++
	d.mu.Unlock()
	for {
		d.mu.Lock()
		last := d.last
		d.mu.Unlock()
		if last >= head {
			return true
		}
		req, _ := http.NewRequest("GET", fmt.Sprintf("%s/v1/t/%s/conversations/%s/messages?after_seq=%d&limit=100", url, d.slug, d.conv, last), nil)
		req.Header.Set("Authorization", "Bearer "+d.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false
		}
		var page struct{ Items []celltest.Msg }
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 || len(page.Items) == 0 {
			d.problem("history after %d: status %d, %v, %d items", last, resp.StatusCode, err, len(page.Items))
			return false
		}
		d.mu.Lock()
		for _, m := range page.Items {
			if m.Seq > head {
				break // later seqs come live on the socket
			}
			if m.Seq != d.last+1 {
				d.problems = append(d.problems, fmt.Sprintf("history: seq %d after %d", m.Seq, d.last))
				break
			}
			d.last = m.Seq
			d.ids[m.Seq] = m.ID
		}
		d.mu.Unlock()
	}
}

// Thousands of messages between two senders on two replicas, a third
// device dropping its connection at random, one replica SIGKILLed mid-stream
// and Redis restarted: nothing acknowledged is lost, nothing arrives twice
// or out of order, on any device.
func TestNoLossAcrossDisconnectsReplicaDeathAndRedisRestart(t *testing.T) {
	t.Parallel()
	rs, rdb, dbURL, auth := startReplicas(t, func(c *config.Config) {
		c.Realtime.Sweep = 300 * time.Millisecond
		// Every frame goes through the coalescing path (deferred pumps,
		// corked writes), under the same faults.
		c.Realtime.CoalesceFrom = 1
	})
	redisDir, redisPort := rdb.dir, rdb.Port()
	r1 := rs.start("replica 1")
	r2 := rs.start("replica 2")
	cell := &celltest.Cell{URL: r1, DBURL: dbURL, Auth: auth}
	tm := newTeam(t, cell)

	const perSender = 1500
	ids := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = newID()
		}
		return out
	}
	owner := &device{name: "owner", slug: tm.slug, token: tm.owner.Token, conv: tm.conv, toSend: ids(perSender), chaos: 2 * time.Second, acked: map[string]int64{}, ids: map[int64]string{}}
	member := &device{name: "member", slug: tm.slug, token: tm.member.Token, conv: tm.conv, toSend: ids(perSender), acked: map[string]int64{}, ids: map[int64]string{}}
	watcher := &device{name: "watcher", slug: tm.slug, token: tm.member.Token, conv: tm.conv, chaos: 200 * time.Millisecond, acked: map[string]int64{}, ids: map[int64]string{}}
	devices := []*device{owner, member, watcher}
	const total = 2 * perSender
	var allDone atomic.Bool
	done := func() bool {
		if allDone.Load() {
			return true
		}
		for _, d := range devices {
			if a, last := d.state(); a < len(d.toSend) || last < total {
				return false
			}
		}
		allDone.Store(true)
		return true
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	defer func() {
		if ctx.Err() != nil {
			var b strings.Builder
			pprof.Lookup("goroutine").WriteTo(&b, 1)
			t.Logf("timed out; goroutines:\n%s", b.String())
		}
	}()
	var wg sync.WaitGroup
	for _, d := range devices {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.run(ctx, rs.pick, done)
		}()
	}
	sent := func() int {
		a1, _ := owner.state()
		a2, _ := member.state()
		return a1 + a2
	}
	waitSent := func(n int) {
		for sent() < n && ctx.Err() == nil && !done() {
			time.Sleep(10 * time.Millisecond)
		}
	}

	waitSent(total * 3 / 10)
	rs.end(r1) // mid-stream: its clients reconnect to replica 2
	t.Logf("killed replica 1 at %d acknowledged", sent())
	waitSent(total * 45 / 100)
	rs.start("replica 3")
	waitSent(total * 6 / 10)
	rdb.Stop() // Redis restarts; what it carried meanwhile comes from PostgreSQL
	t.Logf("stopped Redis at %d acknowledged", sent())
	time.Sleep(300 * time.Millisecond)
	again, err := devstack.StartRedis(context.Background(), devstack.RedisConfig{Dir: redisDir, Port: redisPort, Log: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { again.Stop() })
	t.Logf("Redis back at %d acknowledged", sent())
	wg.Wait()

	for _, d := range devices {
		a, last := d.state()
		t.Logf("%s: %d acknowledged, received up to %d, %d connections, %d refetches", d.name, a, last, d.conns, d.refetch)
		for _, p := range d.problems {
			t.Errorf("%s: %s", d.name, p)
		}
		if a != len(d.toSend) || last != total {
			t.Errorf("%s: %d of %d acknowledged, received %d of %d", d.name, a, len(d.toSend), last, total)
		}
	}
	// Every acknowledged message is stored once and was received by every
	// device under its acknowledged seq.
	conn, err := pgx.Connect(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n, distinct, maxSeq int64
	if err := conn.QueryRow(context.Background(), `SELECT count(*), count(DISTINCT id), coalesce(max(seq), 0) FROM message WHERE conversation_id = $1`, tm.conv).
		Scan(&n, &distinct, &maxSeq); err != nil {
		t.Fatal(err)
	}
	if n != total || distinct != total || maxSeq != total {
		t.Errorf("stored %d messages (%d distinct ids, max seq %d); want %d", n, distinct, maxSeq, total)
	}
	// Replica 2, up throughout, coalesced: its frames shared system calls.
	live := &celltest.Cell{URL: r2, DBURL: dbURL, Auth: auth}
	if frames, writes := metricValue(t, live, "realtime_frames_sent_total"), metricValue(t, live, "realtime_writes_total"); writes == 0 || writes >= frames {
		t.Errorf("replica 2 wrote %v frames in %v system calls; want fewer calls than frames", frames, writes)
	} else {
		t.Logf("replica 2 wrote %v frames in %v system calls", frames, writes)
	}
	for _, sender := range []*device{owner, member} {
		for id, seq := range sender.acked {
			for _, d := range devices {
				if d.ids[seq] != id {
					t.Fatalf("%s received %q as seq %d; %s's ack said %q", d.name, d.ids[seq], seq, sender.name, id)
				}
			}
		}
	}
}

type testRedis struct {
	*devstack.Redis
	dir string
}

// args is the command line of a replica listening on addr.
func (rs *replicas) args(addr string) []string {
	c := rs.cfg
	c.Listen = addr
	return c.Args()
}

// startReplicas builds the cell and prepares replicas of it on a fresh
// database and a Redis server of the test's own; tune changes their
// configuration.
func startReplicas(t *testing.T, tune ...func(*config.Config)) (*replicas, testRedis, string, testenv.AuthEnv) {
	t.Helper()
	root, err := devstack.RepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "cell")
	build := exec.Command("go", "build", "-o", bin, "./cell/cmd/cell")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dbURL := testenv.Postgres(t, celltest.Schema)
	auth := testenv.Auth(t)
	redisDir := t.TempDir()
	rdb, err := devstack.StartRedis(context.Background(), devstack.RedisConfig{Dir: redisDir, Log: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Stop() })
	cfg := config.Config{
		Cell: "lagos-1", Markets: []string{"NG"}, DatabaseURL: dbURL, RedisURL: rdb.URL(0),
		BlobURL:  "file://" + t.TempDir() + "?create_dir=true&no_tmp_dir=true",
		Firebase: config.FirebaseConfig{ProjectID: auth.Project, EmulatorHost: auth.Host}, ServiceToken: celltest.ServiceToken,
		RateIP: config.RateConfig{PerSecond: 100000, Burst: 100000}, RateUser: config.RateConfig{PerSecond: 100000, Burst: 100000},
		Realtime: config.RealtimeConfig{FrameRate: 100000, FrameBurst: 100000},
		LogLevel: slog.LevelError, ShutdownGrace: 2 * time.Second,
	}
	for _, f := range tune {
		f(&cfg)
	}
	rs := &replicas{t: t, bin: bin, procs: map[string]*proc.Process{}, cfg: cfg}
	return rs, testRedis{rdb, redisDir}, dbURL, auth
}

// A replica asked to stop (SIGTERM, as a deploy does) closes its sessions
// with 1012 so clients reconnect at once, then exits.
func TestDrainClosesSessionsWithServiceRestart(t *testing.T) {
	t.Parallel()
	rs, _, dbURL, auth := startReplicas(t)
	rs.signal = syscall.SIGTERM
	url := rs.start("replica")
	cell := &celltest.Cell{URL: url, DBURL: dbURL, Auth: auth}
	tm := newTeam(t, cell)
	rt := tm.member.Realtime(t)
	rt.Next(t, wait)
	done := make(chan struct{})
	go func() {
		defer close(done)
		rs.end(url)
	}()
	if got := rt.Closed(t, wait); got != realtime.CloseRestart {
		t.Fatalf("close code = %d; want %d", got, realtime.CloseRestart)
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the replica did not exit after its drain")
	}
}
