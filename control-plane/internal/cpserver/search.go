package cpserver

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pushnchat/pushnchat/internal/clientaddr"
	"github.com/pushnchat/pushnchat/internal/errs"
	"github.com/pushnchat/pushnchat/internal/problem"
	"github.com/pushnchat/pushnchat/residency"
)

// Cross-market search (GET /v1/search): a business looking for partners
// searches several markets at once. Each market is searched by the cell
// that serves it, through its public market API (public listing data
// only), all at once; the answers are merged by rank. A market whose cell
// does not answer within searchTimeout is left out and named in
// "missing": a slow or dead cell costs its own results, not the search.
const (
	searchTimeout    = 800 * time.Millisecond
	maxSearchMarkets = 12
	maxSearchLimit   = 50
)

// searchHit is what the merge reads of a cell's listing; the listing
// itself is passed on as the cell wrote it.
type searchHit struct {
	raw         json.RawMessage
	ID          string     `json:"id"`
	Rank        *float32   `json:"rank"`
	PublishedAt *time.Time `json:"published_at"`
}

// marketAnswer is one market's part of a search.
type marketAnswer struct {
	Market string `json:"market"`
	Cell   string `json:"cell"`
	// Status: ok, timeout (no answer in time) or unavailable (the cell is
	// down or failed).
	Status string `json:"status"`
	Count  int    `json:"count"`
	hits   []searchHit
	refuse error // the cell refused the searcher: bad input, or over their rate limit
}

type searchAnswer struct {
	Items   []json.RawMessage `json:"items"`
	Markets []marketAnswer    `json:"markets"`
	Missing []string          `json:"missing"`
}

func (s *Server) handleSearch(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	markets, err := searchMarkets(q.Get("markets"))
	if err != nil {
		return err
	}
	limit := 20
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > maxSearchLimit {
			return errs.InvalidFields([]errs.FieldError{{Field: "limit", Detail: fmt.Sprintf("must be a whole number from 1 to %d", maxSearchLimit)}})
		}
	}
	// What each cell is asked: the words and the category, as given (the
	// cell checks them), and enough listings for the merged page.
	pass := url.Values{"limit": {strconv.Itoa(limit)}}
	for _, k := range []string{"q", "category"} {
		if v := q.Get(k); v != "" {
			pass.Set(k, v)
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), searchTimeout)
	defer cancel()
	answers := make([]marketAnswer, len(markets))
	client := clientaddr.Of(r, s.cfg.EdgeToken)
	var wg sync.WaitGroup
	for i, m := range markets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[i] = s.searchMarket(ctx, m, pass, client)
		}()
	}
	wg.Wait()

	out := searchAnswer{Items: []json.RawMessage{}, Markets: answers, Missing: []string{}}
	var hits []searchHit
	for _, a := range answers {
		if a.refuse != nil {
			return a.refuse
		}
		if a.Status != "ok" {
			out.Missing = append(out.Missing, a.Market)
		}
		hits = append(hits, a.hits...)
	}
	slices.SortStableFunc(hits, byRank)
	for _, h := range hits[:min(limit, len(hits))] {
		out.Items = append(out.Items, h.raw)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store") // partial answers must not be kept
	return json.NewEncoder(w).Encode(out)
}

// byRank orders hits best first: by rank when the search had words, then
// newest first, then by id so the order is the same every time.
func byRank(a, b searchHit) int {
	ra, rb := float32(0), float32(0)
	if a.Rank != nil {
		ra = *a.Rank
	}
	if b.Rank != nil {
		rb = *b.Rank
	}
	if c := cmp.Compare(rb, ra); c != 0 {
		return c
	}
	var ta, tb time.Time
	if a.PublishedAt != nil {
		ta = *a.PublishedAt
	}
	if b.PublishedAt != nil {
		tb = *b.PublishedAt
	}
	if c := tb.Compare(ta); c != 0 {
		return c
	}
	return cmp.Compare(b.ID, a.ID)
}

// searchMarkets reads the markets parameter: ISO codes, comma-separated,
// each a market the residency policy serves, with the cell serving it.
func searchMarkets(v string) ([]marketAnswer, error) {
	bad := func(detail string) error {
		return errs.InvalidFields([]errs.FieldError{{Field: "markets", Detail: detail}})
	}
	if v == "" {
		return nil, bad("is required: the markets to search, e.g. NG,KE,US")
	}
	var out []marketAnswer
	for _, m := range strings.Split(v, ",") {
		if !isCountryCode(m) {
			return nil, bad(fmt.Sprintf("%q is not an ISO 3166-1 alpha-2 code in upper case", m))
		}
		cell, ok := marketCell(m)
		if !ok {
			return nil, bad(fmt.Sprintf("PushNchat has no market for %s", m))
		}
		if !slices.ContainsFunc(out, func(a marketAnswer) bool { return a.Market == m }) {
			out = append(out, marketAnswer{Market: m, Cell: cell})
		}
	}
	if len(out) > maxSearchMarkets {
		return nil, bad(fmt.Sprintf("at most %d markets at once", maxSearchMarkets))
	}
	return out, nil
}

// marketCell is the cell that serves a market: the one the policy homes
// the country's businesses in (authorisations assumed on file, as the
// router does).
func marketCell(country string) (string, bool) {
	d := residency.Place(residency.PlaceRequest{Country: country, Authorised: true})
	if !d.Allowed || len(d.Cells) == 0 {
		return "", false
	}
	return d.Cells[0], true
}

// searchMarket asks a market's cell, within ctx's deadline, for the
// searcher at address client.
func (s *Server) searchMarket(ctx context.Context, a marketAnswer, q url.Values, client string) marketAnswer {
	a.Status = "unavailable"
	c, ok := s.cells.get(a.Cell)
	if !ok || !c.Healthy {
		return a // known down: not waited for
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.URL+"/v1/markets/"+a.Market+"/listings?"+q.Encode(), nil)
	if err != nil {
		return a
	}
	if s.cfg.EdgeToken != "" {
		req.Header.Set(clientaddr.Header, client)
		req.Header.Set(clientaddr.TokenHeader, s.cfg.EdgeToken)
	}
	resp, err := s.cells.client.Do(req)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			a.Status = "timeout"
		}
		return a
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			a.Status = "timeout"
		}
		return a
	}
	switch resp.StatusCode {
	case http.StatusBadRequest:
		var p problem.Problem
		if json.Unmarshal(body, &p) == nil && p.Status == http.StatusBadRequest {
			a.refuse = &cellProblem{p}
		}
		return a
	case http.StatusTooManyRequests:
		// The searcher's own budget in that cell is spent: theirs to wait
		// out, not a market to report missing.
		wait, err := strconv.Atoi(resp.Header.Get("Retry-After"))
		if err != nil || wait < 1 {
			wait = 1
		}
		a.refuse = &errs.Error{Kind: errs.RateLimited, RetryAfter: wait, Message: "too many searches; retry after the time Retry-After gives"}
		return a
	}
	if resp.StatusCode != http.StatusOK {
		return a
	}
	var page struct {
		Items []json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(body, &page); err != nil {
		return a
	}
	for _, raw := range page.Items {
		h := searchHit{raw: raw}
		if json.Unmarshal(raw, &h) == nil {
			a.hits = append(a.hits, h)
		}
	}
	a.Status, a.Count = "ok", len(a.hits)
	return a
}
