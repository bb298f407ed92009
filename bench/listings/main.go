// Command listings measures a cell's marketplace: search latency over HTTP
// with 100k published listings in one market, and listing-create
// throughput. It starts its own PostgreSQL, Redis, Auth emulator and cell,
// loads the listings with COPY, and writes bench/results/listings.json.
//
//	make bench NAME=listings
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/pushnchat/pushnchat/bench/internal/benchenv"
	"github.com/pushnchat/pushnchat/internal/authemu"
	"github.com/pushnchat/pushnchat/internal/cellapi"
	"github.com/pushnchat/pushnchat/internal/servicetoken"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench listings:", err)
		os.Exit(1)
	}
}

var (
	out        = flag.String("out", "bench/results/listings.json", "result file")
	listings   = flag.Int("listings", 100_000, "published listings in the market")
	searches   = flag.Int("searches", 3000, "search requests per run")
	creates    = flag.Int("creates", 3000, "listing creates per run")
	runs       = flag.Int("runs", 3, "runs; medians are reported")
	workers    = flag.Int("concurrency", 8, "concurrent clients")
	maxRunTime = flag.Duration("max-run-time", 60*time.Second, "upper bound of one load phase")
	vocabulary = flag.Int("vocabulary", 5000, "distinct words in the market's listings and searches")
)

func run() error {
	flag.Parse()
	ctx := context.Background()
	env, err := benchenv.New("listings")
	if err != nil {
		return err
	}
	defer env.Close()
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
	if _, err := conn.Exec(ctx, "CREATE DATABASE cell"); err != nil {
		return err
	}
	conn.Close(ctx)
	dbURL := pg.URL("cell")

	// The real cell binary, as production runs it.
	if err := env.Build(ctx, "./cell/cmd/cell"); err != nil {
		return err
	}
	cell, addr, err := env.StartCell(ctx, "cell", benchenv.Cell{DatabaseURL: dbURL, RedisURL: rd.URL(0), Auth: auth})
	if err != nil {
		return err
	}
	defer cell.Stop()
	base := "http://" + addr

	// An owner and a tenant, through the API.
	s, err := authemu.New(auth.Host(), auth.Project()).SignUp(ctx, "bench@example.test", "bench password 1")
	if err != nil {
		return err
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	call := func(method, path string, body any) (int, []byte, error) {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(method, base+path, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+s.IDToken)
		servicetoken.Set(req, benchenv.ServiceToken)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		rb, err := io.ReadAll(resp.Body)
		return resp.StatusCode, rb, err
	}
	st, body, err := call("PUT", "/internal/v1/tenants/"+uuid.Must(uuid.NewV7()).String(), cellapi.PutTenant{
		Slug: "bench-market", Name: "Bench Market", Country: "NG",
		Contact: cellapi.Contact{Name: "Ada Obi", Email: "ada@example.test"},
		Owner:   cellapi.Owner{FirebaseUID: s.UID, Email: s.Email}})
	if err != nil || st != 201 {
		return fmt.Errorf("create tenant: %d %s %v", st, body, err)
	}
	var tenant struct{ ID string }
	_ = json.Unmarshal(body, &tenant)

	text := newCorpus(7, *vocabulary)
	fmt.Fprintf(os.Stderr, "loading %d listings…\n", *listings)
	if err := load(ctx, dbURL, tenant.ID, *listings, text); err != nil {
		return err
	}

	var p50s, p99s, lp50s, lp99s, srps, rpss, repeats []float64
	byKind := map[string][]float64{} // loaded p99 of each query shape, per run
	for i := range *runs {
		// Every phase searches for what a fresh draw of buyers types.
		phase := func(seed uint64, n int) *searchSet {
			text.reseed(seed)
			return newSearchSet(text, n)
		}
		search := func(set *searchSet) func(n int) error {
			return func(n int) error {
				q := set.queries[n]
				resp, err := client.Get(base + "/v1/markets/NG/listings?limit=20&" + q)
				if err != nil {
					return err
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					return fmt.Errorf("search %s: %d", q, resp.StatusCode)
				}
				return nil
			}
		}
		// Latency of one client alone, then under load from all clients.
		alone := phase(uint64(1000+i), *searches/3)
		lat, err := loadPhase(len(alone.queries), 1, search(alone))
		if err != nil {
			return err
		}
		p50s, p99s = append(p50s, pct(values(lat), 50)), append(p99s, pct(values(lat), 99))
		loaded := phase(uint64(2000+i), *searches)
		start := time.Now()
		lat, err = loadPhase(len(loaded.queries), *workers, search(loaded))
		if err != nil {
			return err
		}
		srps = append(srps, float64(len(lat))/time.Since(start).Seconds())
		lp50s, lp99s = append(lp50s, pct(values(lat), 50)), append(lp99s, pct(values(lat), 99))
		repeats = append(repeats, loaded.repeatShare())
		for kind, ms := range loaded.byKind(lat) {
			byKind[kind] = append(byKind[kind], pct(ms, 99))
		}
		var created atomic.Int64
		start = time.Now()
		_, err = loadPhase(*creates, *workers, func(n int) error {
			st, b, err := call("POST", "/v1/t/bench-market/listings", map[string]any{
				"title": fmt.Sprintf("Bench listing %d-%d", i, n), "description": "created by the benchmark",
				"price": map[string]any{"amount_minor": 1000 + n, "currency": "NGN"}, "category": "fabrics"})
			if err != nil {
				return err
			}
			if st != 201 {
				return fmt.Errorf("create: %d %s", st, b)
			}
			created.Add(1)
			return nil
		})
		if err != nil {
			return err
		}
		rpss = append(rpss, float64(created.Load())/time.Since(start).Seconds())
		fmt.Fprintf(os.Stderr, "run %d: search p50 %.2f ms p99 %.2f ms (1 client); %d clients: p50 %.2f ms p99 %.2f ms %.0f/s; create %.0f/s\n",
			i+1, p50s[i], p99s[i], *workers, lp50s[i], lp99s[i], srps[i], rpss[i])
		for _, kind := range slices.Sorted(maps.Keys(byKind)) {
			fmt.Fprintf(os.Stderr, "  %-12s p99 %.2f ms\n", kind, byKind[kind][i])
		}
	}
	result := map[string]any{
		"name":    "listings",
		"command": "make bench NAME=listings",
		"date":    time.Now().UTC().Format(time.RFC3339),
		"machine": fmt.Sprintf("%d cores, %s, Go %s", runtime.NumCPU(), osName(), strings.TrimPrefix(runtime.Version(), "go")),
		"runs":    *runs,
		"metrics": map[string]any{
			"search_p50_ms":        round(median(p50s)),
			"search_p99_ms":        round(median(p99s)),
			"search_p99_max_ms":    round(slices.Max(p99s)),
			"search_loaded_p50_ms": round(median(lp50s)),
			"search_loaded_p99_ms": round(median(lp99s)),
			"search_loaded_rps":    round(median(srps)),
			"create_rps":           round(median(rpss)),
			"listings_count":       *listings,
			"vocabulary_words":     *vocabulary,
			"search_repeat_share":  round(median(repeats)),
		},
		"notes": fmt.Sprintf("HTTP through the cell API on loopback. search_p50/p99: one client alone (%d searches); search_loaded_*: %d concurrent clients (%d searches); "+
			"each phase draws new searches. Listings and searches use a vocabulary of %d words with Zipf frequencies (s 1.1, v 10; titles 3-6 words, descriptions 10-29): "+
			"one, two and three words, typos (the fuzzy fallback), phrases, exclusions, category browsing, with a category on a quarter and a price range on an eighth; "+
			"one market of %d published listings, vacuumed after the bulk load. The cell has no response cache: every search is a database search; search_repeat_share is the share of loaded searches "+
			"that repeat an earlier one in the same phase (the most a cache could answer). search_loaded_p99_ms_<shape>: p99 of each shape under load. "+
			"%d creates per run (authenticated POST, one transaction each); PostgreSQL 15 with fsync off, cell and load generator on the same 2 cores.",
			*searches/3, *workers, *searches, *vocabulary, *listings, *creates),
	}
	metrics := result["metrics"].(map[string]any)
	for kind, p99s := range byKind {
		metrics["search_loaded_p99_ms_"+strings.ReplaceAll(kind, " ", "_")] = round(median(p99s))
	}
	return benchenv.WriteResult(*out, result)
}

// sample is one request's latency; i is its index in the phase.
type sample struct {
	i  int
	ms float64
}

func values(ss []sample) []float64 {
	out := make([]float64, len(ss))
	for k, s := range ss {
		out[k] = s.ms
	}
	return out
}

// loadPhase runs n requests from workers concurrent clients, bounded
// in time, and returns each request's latency.
func loadPhase(n, workers int, do func(i int) error) ([]sample, error) {
	var (
		next     atomic.Int64
		mu       sync.Mutex
		lat      []sample
		firstErr error
		wg       sync.WaitGroup
	)
	deadline := time.Now().Add(*maxRunTime)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n || time.Now().After(deadline) {
					return
				}
				start := time.Now()
				err := do(i)
				d := float64(time.Since(start).Microseconds()) / 1000
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				lat = append(lat, sample{i, d})
				mu.Unlock()
				if err != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	return lat, firstErr
}

// load inserts n published listings with COPY, their text from the corpus.
func load(ctx context.Context, url, tenantID string, n int, text *corpus) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	var userID string
	if err := conn.QueryRow(ctx, "SELECT user_id FROM membership WHERE tenant_id = $1", tenantID).Scan(&userID); err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(7, 11))
	now := time.Now()
	rows := make([][]any, 0, n)
	for i := range n {
		at := now.Add(-time.Duration(i) * time.Minute)
		rows = append(rows, []any{uuid.Must(uuid.NewV7()).String(), tenantID, "NG", "published", text.title(), text.description(),
			int64(1000 + rng.IntN(1_000_000)), "NGN", text.category(), userID, at, at, at})
	}
	_, err = conn.CopyFrom(ctx, pgx.Identifier{"listing"},
		[]string{"id", "tenant_id", "country", "status", "title", "description", "price_minor", "currency", "category", "created_by", "created_at", "updated_at", "published_at"},
		pgx.CopyFromRows(rows))
	if err != nil {
		return err
	}
	// A live market's rows were vacuumed long ago (visibility map and hint
	// bits set, statistics current); a bulk load's are not until this runs.
	_, err = conn.Exec(ctx, "VACUUM (ANALYZE) listing, search_word")
	return err
}

func pct(xs []float64, p float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[min(len(s)-1, int(float64(len(s))*p/100))]
}

func median(xs []float64) float64 { return pct(xs, 50) }

func round(x float64) float64 { return float64(int64(x*100+0.5)) / 100 }

func osName() string {
	b, err := os.ReadFile("/etc/os-release")
	if err != nil {
		return runtime.GOOS
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "PRETTY_NAME="); ok {
			return strings.Trim(v, `"`)
		}
	}
	return runtime.GOOS
}
