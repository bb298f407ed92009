package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/pushnchat/pushnchat/cell/internal/listing"
	"github.com/pushnchat/pushnchat/cell/internal/postgres"
	"github.com/pushnchat/pushnchat/internal/testenv"
)

// A market where "kente" is in more listings than a search ranks, an old
// listing holds a rare word, and a draft holds a word of its own.
func marketFixture(t *testing.T) (*postgres.DB, string) {
	t.Helper()
	ctx := context.Background()
	url := testenv.Postgres(t, schema)
	db, _, _ := setupAt(t, url)
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var tenantID, userID string
	if err := conn.QueryRow(ctx, `SELECT tenant_id, user_id FROM membership LIMIT 1`).Scan(&tenantID, &userID); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	var rows [][]any
	add := func(status, title string, age time.Duration) {
		at := now.Add(-age)
		var published *time.Time
		if status == "published" {
			published = &at
		}
		rows = append(rows, []any{uuid.Must(uuid.NewV7()).String(), tenantID, "NG", status, title, "", int64(1000), "NGN", "fabrics", userID, at, at, published})
	}
	n := postgres.SearchWindow + 100
	for i := range n {
		add("published", fmt.Sprintf("Kente cloth %d", i), time.Duration(i)*time.Minute)
	}
	// Older than every kente listing above, and the best match there is.
	add("published", "Kente kente kente, woven zigzag", time.Duration(n+1)*time.Minute)
	add("draft", "Secret sorghumbeer recipe", 0)
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"listing"},
		[]string{"id", "tenant_id", "country", "status", "title", "description", "price_minor", "currency", "category", "created_by", "created_at", "updated_at", "published_at"},
		pgx.CopyFromRows(rows)); err != nil {
		t.Fatal(err)
	}
	return db, tenantID
}

func search(t *testing.T, db *postgres.DB, q string) []listing.Listing {
	t.Helper()
	query, err := listing.ParseQuery(q)
	if err != nil {
		t.Fatal(err)
	}
	var all []listing.Listing
	after := ""
	for range 100 {
		page, err := db.Market(context.Background(), postgres.MarketQuery{Country: "NG", Query: query, After: after, Limit: 100})
		if err != nil {
			t.Fatalf("search %q: %v", q, err)
		}
		all = append(all, page.Items...)
		if page.NextCursor == "" {
			return all
		}
		after = page.NextCursor
	}
	t.Fatalf("search %q: more than 100 pages", q)
	return nil
}

func TestMarketSearchRanksTheNewestMatches(t *testing.T) {
	db, _ := marketFixture(t)
	got := search(t, db, "kente")
	if len(got) != postgres.SearchWindow {
		t.Fatalf("kente: %d results; want the window, %d", len(got), postgres.SearchWindow)
	}
	seen := map[string]bool{}
	for _, l := range got {
		if seen[l.ID] {
			t.Fatalf("kente: %s twice across pages", l.ID)
		}
		seen[l.ID] = true
		if l.Title == "Kente kente kente, woven zigzag" {
			t.Errorf("kente: the listing older than the window was ranked")
		}
	}
	// A rare word finds its listing however old it is.
	if got := search(t, db, "zigzag"); len(got) != 1 || got[0].Title != "Kente kente kente, woven zigzag" {
		t.Errorf("zigzag: %+v; want the old listing", got)
	}
}

func TestMarketSearchCorrectsSpelling(t *testing.T) {
	db, _ := marketFixture(t)
	// Both words misspelt; paged with the correction kept in the cursor.
	if got := search(t, db, "knte clth"); len(got) != postgres.SearchWindow {
		t.Errorf("knte clth: %d results; want %d", len(got), postgres.SearchWindow)
	}
	if got := search(t, db, "zigzga"); len(got) != 1 {
		t.Errorf("zigzga: %d results; want 1", len(got))
	}
	// Nothing near it, and a draft's words are not the market's.
	for _, q := range []string{"qqqqqq", "sorghumber"} {
		if got := search(t, db, q); len(got) != 0 {
			t.Errorf("%s: %d results; want none", q, len(got))
		}
	}
}
