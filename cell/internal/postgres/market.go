package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/pushnchat/pushnchat/cell/internal/listing"
	"github.com/pushnchat/pushnchat/internal/errs"
)

// MarketQuery is a search of one market's published listings.
type MarketQuery struct {
	Country  string
	Query    listing.Query
	Category string
	Currency string // with MinPrice / MaxPrice
	MinPrice *int64
	MaxPrice *int64
	After    string
	Limit    int
}

// SearchWindow is how many matching listings a search ranks: the newest
// that match every word (and filter). A word in a large share of a market
// ("fabric") would otherwise have every one of its tens of thousands of
// listings scored on each search; people refine with more words or a
// category long before the 500th result (the 25th page).
const SearchWindow = 500

// Market searches a market. With words it ranks full-text matches (words
// as prefixes, phrases) among the newest SearchWindow matches, by
// ts_rank: how often the words occur, a title counting most; when those
// find nothing it corrects the words' spelling to the market's nearest
// words and searches again, so a typo ("indgo") still finds "indigo".
// Without words it lists the newest first. Cursors remember whether the
// first page needed the correction.
func (db *DB) Market(ctx context.Context, mq MarketQuery) (Page, error) {
	var c cursor
	if mq.After != "" {
		var err error
		if c, err = decodeCursor(mq.After); err != nil {
			return Page{}, err
		}
	}
	mode := searchNewest
	switch {
	case mq.Query.Empty():
	case c.Fuzzy:
		mode = searchCorrected
	default:
		mode = searchFullText
	}
	if mode == searchCorrected {
		var err error
		if mq.Query, _, err = db.correct(ctx, mq.Country, mq.Query); err != nil {
			return Page{}, err
		}
	}
	page, err := db.market(ctx, mq, c, mode)
	if err == nil && mode == searchFullText && mq.After == "" && len(page.Items) == 0 {
		var corrected bool
		if mq.Query, corrected, err = db.correct(ctx, mq.Country, mq.Query); err == nil && corrected {
			page, err = db.market(ctx, mq, c, searchCorrected)
		}
	}
	if err != nil {
		return Page{}, err
	}
	return page, attachPhotos(ctx, db.pool, page.Items)
}

// Spellings a term may be corrected to: the market's most similar words
// by trigrams (pg_trgm's similarity, at least its threshold of 0.3: one
// letter dropped or changed in a word of five or more letters).
const maxSpellings = 3

// correct adds to each of q's terms the market's words most like it,
// unless the market has the term itself; corrected says whether any term
// got one.
func (db *DB) correct(ctx context.Context, country string, q listing.Query) (listing.Query, bool, error) {
	rows, err := db.pool.Query(ctx, `
		SELECT t.term, w.word FROM unnest($2::text[]) AS t(term)
		CROSS JOIN LATERAL (
			SELECT word FROM search_word
			WHERE country = $1 AND word % t.term
			ORDER BY similarity(word, t.term) DESC, word LIMIT $3) w
		WHERE NOT EXISTS (SELECT 1 FROM search_word k WHERE k.country = $1 AND k.word = t.term)`,
		country, q.Terms, maxSpellings)
	if err != nil {
		return q, false, fmt.Errorf("postgres: spellings: %w", err)
	}
	spellings := map[string][]string{}
	var term, word string
	_, err = pgx.ForEachRow(rows, []any{&term, &word}, func() error {
		if word != term {
			spellings[term] = append(spellings[term], word)
		}
		return nil
	})
	if err != nil {
		return q, false, fmt.Errorf("postgres: spellings: %w", err)
	}
	q.Spellings = spellings
	return q, len(spellings) > 0, nil
}

type searchMode int

const (
	searchNewest searchMode = iota
	searchFullText
	searchCorrected
)

func (db *DB) market(ctx context.Context, mq MarketQuery, c cursor, mode searchMode) (Page, error) {
	args := []any{mq.Country, mq.Limit + 1}
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	where := []string{`l.country = $1`, `l.status = 'published'`}
	if mq.Category != "" {
		where = append(where, `l.category = `+arg(mq.Category))
	}
	if mq.Currency != "" {
		where = append(where, `l.currency = `+arg(mq.Currency))
	}
	if mq.MinPrice != nil {
		where = append(where, `l.price_minor >= `+arg(*mq.MinPrice))
	}
	if mq.MaxPrice != nil {
		where = append(where, `l.price_minor <= `+arg(*mq.MaxPrice))
	}
	if ex := mq.Query.ExcludedTSQuery(); ex != "" {
		where = append(where, `NOT l.search @@ to_tsquery('simple', `+arg(ex)+`)`)
	}
	badCursor := errs.InvalidFields([]errs.FieldError{{Field: "cursor", Detail: "does not belong to this search"}})
	var sql string
	if mode == searchNewest {
		if mq.After != "" {
			if c.Time == nil {
				return Page{}, badCursor
			}
			where = append(where, `(l.published_at, l.id) < (`+arg(*c.Time)+`, `+arg(c.ID)+`::uuid)`)
		}
		sql = `SELECT ` + listingColumns + `, 0::real FROM listing l JOIN tenant t ON t.id = l.tenant_id
			WHERE ` + strings.Join(where, " AND ") + ` ORDER BY l.published_at DESC, l.id DESC LIMIT $2`
	} else {
		tsq := arg(mq.Query.TSQuery())
		where = append(where, `l.search @@ to_tsquery('simple', `+tsq+`)`)
		after := ""
		if mq.After != "" {
			if c.Score == nil {
				return Page{}, badCursor
			}
			after = `WHERE (r.score, r.id) < (` + arg(c.score) + `::real, ` + arg(c.ID) + `::uuid)`
		}
		// The window is chosen by recency from the matches alone (the
		// planner walks the newest-first index for a common word, the
		// word's own index for a rare one); only its rows are scored, and
		// only the page's rows are read in full. A phrase is rare even when
		// its words are common, which the planner cannot tell: its matches
		// are taken from the words' index first (a materialized CTE cannot
		// be walked in published order).
		matches := `SELECT l.id, l.search, l.published_at FROM listing l WHERE ` + strings.Join(where, " AND ")
		with, window := "", matches
		if len(mq.Query.Phrases) > 0 {
			with, window = `WITH m AS MATERIALIZED (`+matches+`) `, `SELECT * FROM m l`
		}
		sql = with + `SELECT ` + listingColumns + `, s.score FROM (
				SELECT r.id, r.score FROM (
					SELECT w.id, ts_rank(w.search, to_tsquery('simple', ` + tsq + `))::real AS score FROM (
						` + window + ` ORDER BY l.published_at DESC, l.id DESC LIMIT ` + strconv.Itoa(SearchWindow) + `) w
				) r ` + after + ` ORDER BY r.score DESC, r.id DESC LIMIT $2
			) s JOIN listing l ON l.id = s.id JOIN tenant t ON t.id = l.tenant_id
			ORDER BY s.score DESC, s.id DESC`
	}
	// Planned with this search's own words every time (no cached generic
	// plan): which index to walk depends on how common they are.
	rows, err := db.pool.Query(ctx, sql, append([]any{pgx.QueryExecModeExec}, args...)...)
	if err != nil {
		return Page{}, fmt.Errorf("postgres: market: %w", err)
	}
	var scores []float32
	items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (listing.Listing, error) {
		var s float32
		l, err := scanListing(r, &s)
		scores = append(scores, s)
		return l, err
	})
	if err != nil {
		return Page{}, fmt.Errorf("postgres: market: %w", err)
	}
	if mode != searchNewest {
		for i := range items {
			items[i].Rank = &scores[i]
		}
	}
	page := Page{Items: append([]listing.Listing{}, items...)}
	if len(items) > mq.Limit {
		page.Items = items[:mq.Limit]
		last := page.Items[mq.Limit-1]
		next := cursor{ID: last.ID, Fuzzy: mode == searchCorrected}
		if mode == searchNewest {
			next.Time = last.PublishedAt
		} else {
			s := strconv.FormatFloat(float64(scores[mq.Limit-1]), 'g', -1, 32)
			next.Score = &s
		}
		page.NextCursor = encodeCursor(next)
	}
	return page, nil
}
