// Command crosscell measures BizConnect across an emulated WAN: two cells
// (lagos-1 and us-1, each with its own database) and the control plane,
// whose every call to a cell crosses a Toxiproxy link (Lagos ↔ control
// plane ↔ US: 150 ms round trip). It measures partner-chat latency from a
// Lagos sender's request to the US partner's WebSocket, the sustained
// partner-message rate with the broker's CPU per message, and cross-market
// search across both cells, and writes bench/results/crosscell.json.
//
//	make bench NAME=crosscell
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
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
	"github.com/jackc/pgx/v5"

	"github.com/pushnchat/pushnchat/bench/internal/benchenv"
	"github.com/pushnchat/pushnchat/internal/authemu"
	"github.com/pushnchat/pushnchat/internal/devstack"
	"github.com/pushnchat/pushnchat/internal/ids"
	"github.com/pushnchat/pushnchat/internal/probe"
	"github.com/pushnchat/pushnchat/internal/proc"
	"github.com/pushnchat/pushnchat/internal/signedcall"
	"github.com/pushnchat/pushnchat/internal/wan"
)

var (
	out       = flag.String("out", "bench/results/crosscell.json", "result file")
	runs      = flag.Int("runs", 3, "runs of each phase; medians are reported")
	paced     = flag.Int("paced", 200, "messages per latency run, sent one at a time at -rate")
	rate      = flag.Int("rate", 20, "messages per second in a latency run")
	burst     = flag.Int("burst", 2000, "messages per throughput run")
	senders   = flag.Int("senders", 8, "concurrent senders in a throughput run")
	searches  = flag.Int("searches", 200, "cross-market searches per run")
	oneWay    = flag.Duration("one-way", 76*time.Millisecond, "one-way latency Lagos ↔ US through the control plane, split between its two links")
	jitter    = flag.Duration("jitter", 3*time.Millisecond, "jitter on each link")
	maxPhase  = flag.Duration("max-phase", 2*time.Minute, "upper bound of one phase")
	wordsList = strings.Fields("indigo adire ankara kente cotton linen batik silk wax print shea cocoa cashew sesame ginger pepper yam cassava")
)

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench crosscell:", err)
		os.Exit(1)
	}
}

// party is one side: its cell's direct address and its business.
type party struct {
	cell, addr, slug, tenant string
	owner                    authemu.Session
	conv                     string
}

func run() error {
	ctx := context.Background()
	env, err := benchenv.New("crosscell")
	if err != nil {
		return err
	}
	defer env.Close()
	fmt.Fprintln(os.Stderr, "building…")
	if err := env.Build(ctx, "./cell/cmd/cell", "./control-plane/cmd/control-plane"); err != nil {
		return err
	}
	pg, err := env.Postgres(ctx)
	if err != nil {
		return err
	}
	rd, err := env.Redis(ctx)
	if err != nil {
		return err
	}
	auth, err := env.Auth(ctx)
	if err != nil {
		return err
	}
	conn, err := pgx.Connect(ctx, pg.URL("postgres"))
	if err != nil {
		return err
	}
	for _, db := range []string{"lagos", "us", "directory"} {
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+db); err != nil {
			return err
		}
	}
	conn.Close(ctx)

	key := signedcall.NewKey()
	private, public := filepath.Join(env.Dir, "broker-key"), filepath.Join(env.Dir, "broker-keys.pub")
	if err := signedcall.WritePrivate(private, key); err != nil {
		return err
	}
	if err := signedcall.WritePublic(public, key); err != nil {
		return err
	}
	net := wan.New()
	defer net.Close()
	ng := &party{cell: "lagos-1"}
	us := &party{cell: "us-1"}
	var cellsFlag []string
	for i, p := range []*party{ng, us} {
		market := map[string]string{"lagos-1": "NG", "us-1": "US"}[p.cell]
		proc, addr, err := env.StartCell(ctx, p.cell, benchenv.Cell{DatabaseURL: pg.URL([]string{"lagos", "us"}[i]), RedisURL: rd.URL(i), Auth: auth},
			"-cell", p.cell, "-markets", market, "-broker-keys", public)
		if err != nil {
			return err
		}
		defer proc.Stop()
		p.addr = addr
		half := *oneWay / 2
		if i == 1 {
			half = *oneWay - *oneWay/2
		}
		link, err := net.Link(p.cell, addr, wan.Shape{OneWay: half, Jitter: *jitter})
		if err != nil {
			return err
		}
		cellsFlag = append(cellsFlag, p.cell+"=http://"+link.Addr)
	}
	cpPort, err := devstack.FreePort()
	if err != nil {
		return err
	}
	cpAddr := fmt.Sprintf("127.0.0.1:%d", cpPort)
	cp, err := proc.Start(proc.Spec{Name: "control-plane", Path: env.Bin("control-plane"), StopSignal: syscall.SIGTERM, StopTimeout: 15 * time.Second,
		Args: []string{"-listen", cpAddr, "-database-url", pg.URL("directory"), "-cells", strings.Join(cellsFlag, ","),
			"-service-token", benchenv.ServiceToken, "-broker-key", private, "-firebase-project", auth.Project(), "-firebase-emulator", auth.Host()}})
	if err != nil {
		return err
	}
	defer cp.Stop()
	if err := cp.WaitReady(ctx, time.Minute, probe.Ready("http://"+cpAddr+"/readyz")); err != nil {
		return err
	}

	// The emulated round trip Lagos ↔ US: one round trip across each link.
	rtt, err := measureRTT(ctx, cellsFlag)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "emulated Lagos ↔ US round trip: %.1f ms\n", rtt)

	if err := setUp(ctx, auth, "http://"+cpAddr, ng, us); err != nil {
		return err
	}
	var p50s, p99s, mpss, cpuPerMsg, sp50s, sp99s []float64
	for r := range *runs {
		p50, p99, err := latencyRun(ctx, ng, us)
		if err != nil {
			return err
		}
		mps, cpuUS, err := throughputRun(ctx, ng, us, cp.Pid())
		if err != nil {
			return err
		}
		s50, s99, err := searchRun(ctx, "http://"+cpAddr)
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "run %d: partner message p50 %.1f ms p99 %.1f ms; sustained %.0f msg/s, broker %.0f µs CPU/msg; cross-market search p50 %.1f p99 %.1f ms\n",
			r+1, p50, p99, mps, cpuUS, s50, s99)
		p50s, p99s, mpss, cpuPerMsg, sp50s, sp99s = append(p50s, p50), append(p99s, p99), append(mpss, mps), append(cpuPerMsg, cpuUS), append(sp50s, s50), append(sp99s, s99)
	}
	result := map[string]any{
		"name":    "crosscell",
		"command": "make bench NAME=crosscell",
		"date":    time.Now().UTC().Format(time.RFC3339),
		"machine": fmt.Sprintf("%d cores, Go %s", runtime.NumCPU(), strings.TrimPrefix(runtime.Version(), "go")),
		"runs":    *runs,
		"metrics": map[string]any{
			"wan_rtt_ms":                  round(rtt),
			"partner_msg_p50_ms":          round(median(p50s)),
			"partner_msg_p99_ms":          round(median(p99s)),
			"partner_msg_p99_max_ms":      round(slices.Max(p99s)),
			"sustained_mps":               round(median(mpss)),
			"broker_cpu_us_per_msg":       round(median(cpuPerMsg)),
			"xmarket_search_p50_ms":       round(median(sp50s)),
			"xmarket_search_p99_ms":       round(median(sp99s)),
			"partner_msg_goal_p99_ms":     1000,
			"partner_msg_rtt_plus_100_ms": round(rtt + 100),
		},
		"notes": fmt.Sprintf("lagos-1 and us-1 (each its own PostgreSQL database and Redis database) and the control plane on one machine; every call from the control plane "+
			"to a cell crosses a Toxiproxy link (%s one way ± %s on the Lagos link, the rest of %s on the US link): Lagos → broker → US is %s one way. "+
			"partner_msg: from the Lagos sender's POST (to its own cell, no WAN) to the frame on the US partner's WebSocket, %d messages at %d/s per run. "+
			"sustained_mps: %d messages from %d concurrent Lagos senders, counted from the first send to the last frame on the US WebSocket; "+
			"broker_cpu_us_per_msg: the control plane's CPU over that phase per message. xmarket_search: GET /v1/search?markets=NG,US (the control plane asks "+
			"both cells across the links, 40 published listings each), %d searches, 4 concurrent. Everything on the same 2 cores.",
			*oneWay/2, *jitter, *oneWay, *oneWay, *paced, *rate, *burst, *senders, *searches),
	}
	return benchenv.WriteResult(*out, result)
}

// measureRTT times GET /healthz across each link (the median of 20) and
// returns the sum: the Lagos ↔ US round trip.
func measureRTT(ctx context.Context, cells []string) (float64, error) {
	total := 0.0
	client := &http.Client{Timeout: 10 * time.Second}
	for _, kv := range cells {
		_, url, _ := strings.Cut(kv, "=")
		var times []float64
		for range 20 {
			start := time.Now()
			resp, err := client.Get(url + "/healthz")
			if err != nil {
				return 0, err
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			times = append(times, float64(time.Since(start).Microseconds())/1000)
		}
		total += median(times)
	}
	return total, nil
}

type caller struct {
	base, token string
	client      *http.Client
}

func (c caller) do(ctx context.Context, method, path string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

func (c caller) want(ctx context.Context, status int, method, path string, body, into any) error {
	got, b, err := c.do(ctx, method, path, body)
	if err != nil {
		return err
	}
	if got != status {
		return fmt.Errorf("%s %s: %d %s", method, path, got, b)
	}
	if into != nil {
		return json.Unmarshal(b, into)
	}
	return nil
}

var httpClient = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

// setUp signs both businesses up through the control plane, makes them
// partners, gives the Lagos owner's consent, and publishes listings.
func setUp(ctx context.Context, auth *devstack.AuthEmulator, cp string, ng, us *party) error {
	emu := authemu.New(auth.Host(), auth.Project())
	for _, p := range []*party{ng, us} {
		country := map[string]string{"lagos-1": "NG", "us-1": "US"}[p.cell]
		p.slug = "bench-" + strings.ToLower(country)
		s, err := emu.SignUp(ctx, p.slug+"@bench.example.test", "a long password 1")
		if err != nil {
			return err
		}
		p.owner = s
		var d struct {
			TenantID string `json:"tenant_id"`
		}
		if err := (caller{cp, s.IDToken, httpClient}).want(ctx, 201, "POST", "/v1/signup", map[string]any{"slug": p.slug, "name": "Bench " + country,
			"country": country, "contact": map[string]string{"name": "Bench Owner", "email": p.slug + "@bench.example.test"}}, &d); err != nil {
			return err
		}
		p.tenant = d.TenantID
		c := caller{"http://" + p.addr, s.IDToken, httpClient}
		currency := map[string]string{"NG": "NGN", "US": "USD"}[country]
		for i := range 40 {
			var l struct{ ID string }
			title := fmt.Sprintf("%s %s bale %d", wordsList[i%len(wordsList)], wordsList[(i*7+3)%len(wordsList)], i)
			if err := c.want(ctx, 201, "POST", "/v1/t/"+p.slug+"/listings", map[string]any{"title": title, "category": "fabrics",
				"price": map[string]any{"amount_minor": 1000 + i, "currency": currency}}, &l); err != nil {
				return err
			}
			if err := c.want(ctx, 200, "POST", "/v1/t/"+p.slug+"/listings/"+l.ID+"/publish", nil, nil); err != nil {
				return err
			}
		}
	}
	ngc, usc := caller{"http://" + ng.addr, ng.owner.IDToken, httpClient}, caller{"http://" + us.addr, us.owner.IDToken, httpClient}
	if err := ngc.want(ctx, 200, "PATCH", "/v1/t/"+ng.slug, map[string]any{"tier": "africa_us"}, nil); err != nil {
		return err
	}
	var p struct{ ID string }
	if err := ngc.want(ctx, 201, "POST", "/v1/t/"+ng.slug+"/partnerships", map[string]any{"partner_tenant_id": us.tenant, "partner_country": "US",
		"share": map[string]any{"proposer": []string{"message_content"}, "partner": []string{"message_content"}}}, &p); err != nil {
		return err
	}
	if err := until(ctx, "the proposal in us-1", func() error {
		return usc.want(ctx, 200, "POST", "/v1/t/"+us.slug+"/partnerships/"+p.ID+"/accept", nil, nil)
	}); err != nil {
		return err
	}
	for _, side := range []struct {
		p *party
		c caller
	}{{ng, ngc}, {us, usc}} {
		if err := until(ctx, "the partner conversation of "+side.p.cell, func() error {
			var list struct {
				Items []struct {
					ID            string `json:"id"`
					PartnershipID string `json:"partnership_id"`
				}
			}
			if err := side.c.want(ctx, 200, "GET", "/v1/t/"+side.p.slug+"/conversations", nil, &list); err != nil {
				return err
			}
			for _, c := range list.Items {
				if c.PartnershipID == p.ID {
					side.p.conv = c.ID
					return nil
				}
			}
			return fmt.Errorf("not yet")
		}); err != nil {
			return err
		}
	}
	return ngc.want(ctx, 201, "POST", "/v1/t/"+ng.slug+"/consents", map[string]string{"category": "message_content", "jurisdiction": "US"}, nil)
}

// until retries f every 100 ms for up to a minute.
func until(ctx context.Context, what string, f func() error) error {
	deadline := time.Now().Add(time.Minute)
	for {
		err := f()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: %w", what, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// listener is the US partner's WebSocket, recording when each Lagos
// message (its body starts with the send time in unix nanoseconds)
// arrives.
type listener struct {
	ws      *websocket.Conn
	mu      sync.Mutex
	arrived map[string]time.Time // body → arrival
	count   atomic.Int64
	done    chan error
}

func listen(ctx context.Context, us *party) (*listener, error) {
	ws, _, err := websocket.Dial(ctx, "ws://"+us.addr+"/v1/realtime", &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + us.owner.IDToken}}})
	if err != nil {
		return nil, err
	}
	ws.SetReadLimit(1 << 20)
	if err := ws.Write(ctx, websocket.MessageText, []byte(`{"type":"resume","conversations":[]}`)); err != nil {
		return nil, err
	}
	l := &listener{ws: ws, arrived: map[string]time.Time{}, done: make(chan error, 1)}
	go func() {
		for {
			_, b, err := ws.Read(context.Background())
			if err != nil {
				l.done <- err
				return
			}
			at := time.Now()
			var f struct {
				Type    string `json:"type"`
				Message struct {
					Body string `json:"body"`
				} `json:"message"`
			}
			if json.Unmarshal(b, &f) == nil && f.Type == "message" {
				l.mu.Lock()
				l.arrived[f.Message.Body] = at
				l.mu.Unlock()
				l.count.Add(1)
			}
		}
	}()
	return l, nil
}

func (l *listener) close() { l.ws.CloseNow() }

// waitFor waits until n messages arrived or the phase's bound passes.
func (l *listener) waitFor(n int64) error {
	deadline := time.Now().Add(*maxPhase)
	for l.count.Load() < n {
		if time.Now().After(deadline) {
			return fmt.Errorf("only %d of %d messages arrived within %s", l.count.Load(), n, *maxPhase)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return nil
}

// send posts one Lagos message whose body carries its send time.
func send(ctx context.Context, c caller, ng *party, n int) (string, error) {
	body := strconv.FormatInt(time.Now().UnixNano(), 10) + " partner message " + strconv.Itoa(n)
	got, b, err := c.do(ctx, "POST", "/v1/t/"+ng.slug+"/conversations/"+ng.conv+"/messages", map[string]any{"id": ids.New(), "body": body})
	if err != nil {
		return "", err
	}
	if got != 201 {
		return "", fmt.Errorf("send: %d %s", got, b)
	}
	return body, nil
}

// latencyRun sends -paced messages at -rate and returns the p50 and p99
// of send → partner's WebSocket, in ms.
func latencyRun(ctx context.Context, ng, us *party) (float64, float64, error) {
	l, err := listen(ctx, us)
	if err != nil {
		return 0, 0, err
	}
	defer l.close()
	c := caller{"http://" + ng.addr, ng.owner.IDToken, httpClient}
	tick := time.NewTicker(time.Second / time.Duration(*rate))
	defer tick.Stop()
	var bodies []string
	for n := range *paced {
		<-tick.C
		body, err := send(ctx, c, ng, n)
		if err != nil {
			return 0, 0, err
		}
		bodies = append(bodies, body)
	}
	if err := l.waitFor(int64(*paced)); err != nil {
		return 0, 0, err
	}
	var lat []float64
	l.mu.Lock()
	for _, b := range bodies {
		sentNs, _ := strconv.ParseInt(strings.Fields(b)[0], 10, 64)
		lat = append(lat, float64(l.arrived[b].Sub(time.Unix(0, sentNs)).Microseconds())/1000)
	}
	l.mu.Unlock()
	return pct(lat, 50), pct(lat, 99), nil
}

// throughputRun sends -burst messages from -senders concurrent senders
// and returns messages/s to the partner's WebSocket and the control
// plane's CPU µs per message.
func throughputRun(ctx context.Context, ng, us *party, cpPID int) (float64, float64, error) {
	l, err := listen(ctx, us)
	if err != nil {
		return 0, 0, err
	}
	defer l.close()
	c := caller{"http://" + ng.addr, ng.owner.IDToken, httpClient}
	cpuBefore := benchenv.CPUSeconds(cpPID)
	start := time.Now()
	var next atomic.Int64
	errs := make(chan error, *senders)
	var wg sync.WaitGroup
	for range *senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n := next.Add(1)
				if n > int64(*burst) {
					return
				}
				if _, err := send(ctx, c, ng, int(n)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return 0, 0, err
	}
	if err := l.waitFor(int64(*burst)); err != nil {
		return 0, 0, err
	}
	l.mu.Lock()
	last := time.Time{}
	for _, at := range l.arrived {
		if at.After(last) {
			last = at
		}
	}
	l.mu.Unlock()
	cpu := benchenv.CPUSeconds(cpPID) - cpuBefore
	return float64(*burst) / last.Sub(start).Seconds(), cpu * 1e6 / float64(*burst), nil
}

// searchRun runs -searches cross-market searches, 4 at a time, and returns
// their p50 and p99 in ms.
func searchRun(ctx context.Context, cp string) (float64, float64, error) {
	var mu sync.Mutex
	var lat []float64
	var next atomic.Int64
	errs := make(chan error, 4)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(*searches) {
				q := wordsList[rand.IntN(len(wordsList))]
				start := time.Now()
				got, b, err := (caller{cp, "", httpClient}).do(ctx, "GET", "/v1/search?markets=NG,US&q="+q, nil)
				if err == nil && (got != 200 || bytes.Contains(b, []byte(`"missing":["`))) {
					err = fmt.Errorf("search %q: %d %s", q, got, b)
				}
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				lat = append(lat, float64(time.Since(start).Microseconds())/1000)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return 0, 0, err
	}
	return pct(lat, 50), pct(lat, 99), nil
}

func pct(xs []float64, p float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	if len(s) == 0 {
		return 0
	}
	i := int(float64(len(s)-1) * p / 100)
	return s[i]
}

func median(xs []float64) float64 { return pct(xs, 50) }

func round(x float64) float64 { return float64(int64(x*100+0.5)) / 100 }
