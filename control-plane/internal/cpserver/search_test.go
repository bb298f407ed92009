package cpserver

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pushnchat/pushnchat/internal/clientaddr"
)

// searchPage answers a market search with listings of the given ranks.
func searchPage(country string, ranks ...float32) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var items []map[string]any
		for i, rank := range ranks {
			items = append(items, map[string]any{"id": fmt.Sprintf("%s-%d", country, i), "country": country, "title": "Ankara " + country,
				"rank": rank, "published_at": time.Date(2026, 11, 1, 0, 0, i, 0, time.UTC)})
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"items": items})
	}
}

func waitHealthy(t *testing.T, p *testPlane, names ...string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for _, name := range names {
		for c, _ := p.cells.get(name); !c.Healthy; c, _ = p.cells.get(name) {
			if time.Now().After(deadline) {
				t.Fatalf("%s not healthy after 10 s", name)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

type searchResult struct {
	Items []struct {
		ID   string  `json:"id"`
		Rank float32 `json:"rank"`
	} `json:"items"`
	Markets []marketAnswer `json:"markets"`
	Missing []string       `json:"missing"`
}

// A search of three markets: two cells answer and are merged by rank; the
// third does not answer in time and is named missing, without holding
// the others back.
func TestSearchMergesMarketsAndLeavesOutASlowOne(t *testing.T) {
	lagos, nairobi, us := newFakeCell(t), newFakeCell(t), newFakeCell(t)
	lagos.market = searchPage("NG", 0.5, 0.1)
	nairobi.market = searchPage("KE", 0.3)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	var mu sync.Mutex
	var seen []string
	us.market = func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.URL.RawQuery)
		mu.Unlock()
		select { // far slower than the search waits
		case <-release:
		case <-r.Context().Done():
		}
	}
	p := startPlane(t, map[string]*fakeCell{"lagos-1": lagos, "nairobi-1": nairobi, "us-1": us})
	waitHealthy(t, p, "lagos-1", "nairobi-1", "us-1")

	start := time.Now()
	a := p.call(t, "GET", "/v1/search?q=ankara&category=fabrics&markets=NG,KE,US&limit=10", "", nil)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the search took %v: it must not wait for the slow cell beyond its time box", took)
	}
	if a.status != 200 {
		t.Fatalf("search = %d %s", a.status, a.body)
	}
	var got searchResult
	if err := json.Unmarshal(a.body, &got); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, it := range got.Items {
		ids = append(ids, it.ID)
	}
	if want := []string{"NG-0", "KE-0", "NG-1"}; !slices.Equal(ids, want) {
		t.Errorf("items %v; want %v (by rank across markets)", ids, want)
	}
	if !slices.Equal(got.Missing, []string{"US"}) {
		t.Errorf("missing %v; want [US]", got.Missing)
	}
	status := map[string]string{}
	for _, m := range got.Markets {
		status[m.Market] = m.Status + "@" + m.Cell
	}
	if want := map[string]string{"NG": "ok@lagos-1", "KE": "ok@nairobi-1", "US": "timeout@us-1"}; fmt.Sprint(status) != fmt.Sprint(want) {
		t.Errorf("markets %v; want %v", status, want)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 1 || !strings.Contains(seen[0], "q=ankara") || !strings.Contains(seen[0], "category=fabrics") {
		t.Errorf("the US cell was asked %q; want the words and category passed on", seen)
	}
}

// A market whose cell is down is missing at once; a cell that refuses the
// words refuses the search; bad parameters are problems and ask no cell.
func TestSearchRefusals(t *testing.T) {
	lagos, eu := newFakeCell(t), newFakeCell(t)
	var asked atomic.Int64
	lagos.market = func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"type":"https://pushnchat.example/problems/invalid-input","title":"Invalid input","status":400,"detail":"q: must be at most 200 bytes"}`))
	}
	eu.market = searchPage("DE", 0.2)
	p := startPlane(t, map[string]*fakeCell{"lagos-1": lagos, "eu-1": eu})
	waitHealthy(t, p, "lagos-1", "eu-1")

	a := p.call(t, "GET", "/v1/search?q=x&markets=NG,DE", "", nil)
	if a.status != 400 || !strings.Contains(string(a.body), "at most 200 bytes") {
		t.Errorf("a cell's refusal = %d %s; want its 400 passed on", a.status, a.body)
	}
	// The searcher's rate limit in a cell is spent: a 429 with the wait,
	// not a market reported missing.
	lagos.mu.Lock()
	lagos.market = func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "7")
		w.WriteHeader(http.StatusTooManyRequests)
	}
	lagos.mu.Unlock()
	a = p.call(t, "GET", "/v1/search?q=x&markets=NG,DE", "", nil)
	if a.status != 429 || a.header.Get("Retry-After") != "7" {
		t.Errorf("a cell's 429 = %d (Retry-After %q) %s; want 429 with Retry-After 7", a.status, a.header.Get("Retry-After"), a.body)
	}
	// No cell serves Kenya in this plane: its market is missing, no wait.
	a = p.call(t, "GET", "/v1/search?markets=KE,DE", "", nil)
	var got searchResult
	if a.status != 200 || json.Unmarshal(a.body, &got) != nil || !slices.Equal(got.Missing, []string{"KE"}) || len(got.Items) != 1 {
		t.Errorf("with a cell missing = %d %s; want DE's listing and KE missing", a.status, a.body)
	}
	asked.Store(0)
	for _, q := range []string{"", "markets=", "markets=ng", "markets=NG,XX", "markets=N,G", "markets=NG&limit=0", "markets=NG&limit=51",
		"markets=" + strings.Repeat("NG,KE,", 7) + "US,DE,FR,PT,GB,ZA,EG"} {
		a := p.call(t, "GET", "/v1/search?"+q, "", nil)
		if a.status != 400 || !strings.Contains(string(a.body), `"field"`) {
			t.Errorf("search?%s = %d %s; want a 400 naming the field", q, a.status, a.body)
		}
	}
	if n := asked.Load(); n != 0 {
		t.Errorf("bad parameters asked a cell %d times", n)
	}
}

// The router vouches for the searcher's address to the control plane; the
// control plane vouches for it to each cell, so every searcher keeps a
// rate limit of their own there rather than sharing the control plane's.
func TestSearchVouchesForTheSearcher(t *testing.T) {
	lagos := newFakeCell(t)
	var mu sync.Mutex
	var gotIP, gotToken string
	lagos.market = func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		gotIP, gotToken = r.Header.Get(clientaddr.Header), r.Header.Get(clientaddr.TokenHeader)
		mu.Unlock()
		searchPage("NG", 0.4)(w, r)
	}
	seen := func() (string, string) {
		mu.Lock()
		defer mu.Unlock()
		return gotIP, gotToken
	}
	p := startPlane(t, map[string]*fakeCell{"lagos-1": lagos}, func(c *Config) { c.EdgeToken = "edge-secret" })
	waitHealthy(t, p, "lagos-1")
	req, _ := http.NewRequest("GET", p.url+"/v1/search?markets=NG&q="+url.QueryEscape("ankara"), nil)
	req.Header.Set(clientaddr.Header, "203.0.113.7")
	req.Header.Set(clientaddr.TokenHeader, "edge-secret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if ip, token := seen(); resp.StatusCode != 200 || ip != "203.0.113.7" || token != "edge-secret" {
		t.Errorf("status %d; the cell saw client %q token %q; want 203.0.113.7 vouched", resp.StatusCode, ip, token)
	}
	// A client's own claim, without the router's token, is not passed on
	// as theirs.
	req.Header.Set(clientaddr.TokenHeader, "guess")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if ip, _ := seen(); ip == "203.0.113.7" {
		t.Errorf("a forged address reached the cell as the searcher's")
	}
}
