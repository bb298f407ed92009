package postgres

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pushnchat/pushnchat/cell/internal/listing"
	"github.com/pushnchat/pushnchat/internal/errs"
	"github.com/pushnchat/pushnchat/internal/ids"
)

const listingColumns = `l.id, l.tenant_id, t.slug, l.country, l.status, l.title, l.description, l.price_minor, l.currency,
	l.category, l.attributes, l.location, l.version, l.created_at, l.updated_at, l.published_at`

func scanListing(row pgx.Row, extra ...any) (listing.Listing, error) {
	var l listing.Listing
	var attrs, loc []byte
	dest := []any{&l.ID, &l.TenantID, &l.TenantSlug, &l.Country, &l.Status, &l.Title, &l.Description, &l.Price.Minor,
		&l.Price.Currency, &l.Category, &attrs, &loc, &l.Version, &l.CreatedAt, &l.UpdatedAt, &l.PublishedAt}
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return l, err
	}
	l.Attributes = attrs
	if loc != nil {
		l.Location = new(listing.Location)
		if err := json.Unmarshal(loc, l.Location); err != nil {
			return l, fmt.Errorf("location: %w", err)
		}
	}
	l.Photos = []listing.Photo{}
	return l, nil
}

func listingArgs(l listing.Listing) (attrs, loc []byte, err error) {
	attrs = l.Attributes
	if len(attrs) == 0 {
		attrs = []byte("{}")
	}
	if l.Location != nil {
		if loc, err = json.Marshal(l.Location); err != nil {
			return nil, nil, err
		}
	}
	return attrs, loc, nil
}

// CreateListing stores a new draft listing for a tenant.
func (db *DB) CreateListing(ctx context.Context, l listing.Listing, createdBy string) (listing.Listing, error) {
	attrs, loc, err := listingArgs(l)
	if err != nil {
		return listing.Listing{}, err
	}
	l.ID = newID()
	_, err = db.pool.Exec(ctx, `
		INSERT INTO listing (id, tenant_id, country, status, title, description, price_minor, currency, category, attributes, location, created_by)
		VALUES ($1, $2, $3, 'draft', $4, $5, $6, $7, $8, $9, $10, $11)`,
		l.ID, l.TenantID, l.Country, strings.TrimSpace(l.Title), l.Description, l.Price.Minor, l.Price.Currency, l.Category, attrs, loc, createdBy)
	if err != nil {
		return listing.Listing{}, fmt.Errorf("postgres: create listing: %w", err)
	}
	return db.Listing(ctx, l.TenantID, l.ID)
}

// Listing returns a tenant's listing with its photos.
func (db *DB) Listing(ctx context.Context, tenantID, id string) (listing.Listing, error) {
	return db.oneListing(ctx, db.pool, `l.tenant_id = $1 AND l.id = $2`, tenantID, id)
}

// PublishedListing returns a published listing of a market.
func (db *DB) PublishedListing(ctx context.Context, country, id string) (listing.Listing, error) {
	return db.oneListing(ctx, db.pool, `l.country = $1 AND l.id = $2 AND l.status = 'published'`, country, id)
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func (db *DB) oneListing(ctx context.Context, q querier, where string, a, b string) (listing.Listing, error) {
	if !ids.Valid(b) {
		return listing.Listing{}, errs.E(errs.NotFound, "no such listing")
	}
	l, err := scanListing(q.QueryRow(ctx, `SELECT `+listingColumns+` FROM listing l JOIN tenant t ON t.id = l.tenant_id WHERE `+where, a, b))
	if err != nil {
		return listing.Listing{}, notFound(err, "no such listing")
	}
	ls := []listing.Listing{l}
	if err := attachPhotos(ctx, q, ls); err != nil {
		return listing.Listing{}, err
	}
	return ls[0], nil
}

// attachPhotos loads the photos of ls in one query.
func attachPhotos(ctx context.Context, q querier, ls []listing.Listing) error {
	if len(ls) == 0 {
		return nil
	}
	ids := make([]string, len(ls))
	idx := map[string]int{}
	for i, l := range ls {
		ids[i], idx[l.ID] = l.ID, i
	}
	rows, err := q.Query(ctx, `SELECT id, listing_id, position, width, height, variants, created_at
		FROM photo WHERE listing_id = ANY($1) ORDER BY listing_id, position, id`, ids)
	if err != nil {
		return fmt.Errorf("postgres: photos: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		p, err := scanPhoto(rows)
		if err != nil {
			return err
		}
		i := idx[p.ListingID]
		ls[i].Photos = append(ls[i].Photos, p)
	}
	return rows.Err()
}

func scanPhoto(row pgx.Row) (listing.Photo, error) {
	var p listing.Photo
	var variants []byte
	if err := row.Scan(&p.ID, &p.ListingID, &p.Position, &p.Width, &p.Height, &variants, &p.CreatedAt); err != nil {
		return p, fmt.Errorf("postgres: photo: %w", err)
	}
	var err error
	p.Variants, err = decodeVariants(variants)
	return p, err
}

func decodeVariants(raw []byte) (map[string]listing.Variant, error) {
	var stored map[string]storedVariant
	if err := json.Unmarshal(raw, &stored); err != nil {
		return nil, fmt.Errorf("postgres: photo variants: %w", err)
	}
	out := map[string]listing.Variant{}
	for name, v := range stored {
		out[name] = listing.Variant{Key: v.Key, Width: v.Width, Height: v.Height, Bytes: v.Bytes, ContentType: v.ContentType}
	}
	return out, nil
}

// storedVariant is a variant as kept in photo.variants (with its blob key).
type storedVariant struct {
	Key         string `json:"key"`
	Width       int    `json:"width"`
	Height      int    `json:"height"`
	Bytes       int    `json:"bytes"`
	ContentType string `json:"content_type"`
}

// UpdateListing applies change to a tenant's listing, under its row lock.
// With expect set, the listing's version must still be *expect, else
// PreconditionFailed. The version goes up by one.
func (db *DB) UpdateListing(ctx context.Context, tenantID, id string, expect *int64, change func(*listing.Listing) error) (listing.Listing, error) {
	err := db.tx(ctx, func(tx pgx.Tx) error {
		l, err := db.lockListing(ctx, tx, tenantID, id, expect)
		if err != nil {
			return err
		}
		if err := change(&l); err != nil {
			return err
		}
		attrs, loc, err := listingArgs(l)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `
			UPDATE listing SET status = $3, title = $4, description = $5, price_minor = $6, currency = $7, category = $8,
				attributes = $9, location = $10, version = version + 1, updated_at = now(),
				published_at = CASE WHEN $3 = 'published' AND status <> 'published' THEN now() ELSE published_at END
			WHERE tenant_id = $1 AND id = $2`,
			tenantID, id, l.Status, l.Title, l.Description, l.Price.Minor, l.Price.Currency, l.Category, attrs, loc)
		return err
	})
	if err != nil {
		return listing.Listing{}, err
	}
	return db.Listing(ctx, tenantID, id)
}

// lockListing reads a listing FOR UPDATE and checks its version when
// expect is given. Archived listings are read-only.
func (db *DB) lockListing(ctx context.Context, tx pgx.Tx, tenantID, id string, expect *int64) (listing.Listing, error) {
	if !ids.Valid(id) {
		return listing.Listing{}, errs.E(errs.NotFound, "no such listing")
	}
	l, err := scanListing(tx.QueryRow(ctx, `SELECT `+listingColumns+`
		FROM listing l JOIN tenant t ON t.id = l.tenant_id WHERE l.tenant_id = $1 AND l.id = $2 FOR UPDATE OF l`, tenantID, id))
	if err != nil {
		return listing.Listing{}, notFound(err, "no such listing")
	}
	if expect != nil && l.Version != *expect {
		return listing.Listing{}, errs.E(errs.PreconditionFailed, "the listing changed since you read it (now version %d); reload and retry", l.Version)
	}
	return l, nil
}

// Page is a page of listings and the cursor of the next one ("" at the end).
type Page struct {
	Items      []listing.Listing `json:"items"`
	NextCursor string            `json:"next_cursor,omitempty"`
}

// cursor is the opaque position after the last item of a page.
type cursor struct {
	Time  *time.Time `json:"t,omitempty"`
	Score *string    `json:"s,omitempty"`
	Fuzzy bool       `json:"f,omitempty"`
	ID    string     `json:"id"`
	score float32    // Score, read by decodeCursor
}

func encodeCursor(c cursor) string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (cursor, error) {
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err == nil && !ids.Valid(c.ID) {
		err = errors.New("cursor id")
	}
	if err == nil && c.Score != nil {
		var f float64
		f, err = strconv.ParseFloat(*c.Score, 32)
		if err == nil && (math.IsNaN(f) || math.IsInf(f, 0)) {
			err = errors.New("cursor score")
		}
		c.score = float32(f)
	}
	if err != nil {
		return c, errs.InvalidFields([]errs.FieldError{{Field: "cursor", Detail: "is not a cursor this API returned"}})
	}
	return c, nil
}

// TenantListings lists a tenant's listings, any status, newest change first.
func (db *DB) TenantListings(ctx context.Context, tenantID string, status listing.Status, after string, limit int) (Page, error) {
	args := []any{tenantID, limit + 1}
	where := `l.tenant_id = $1`
	if status != "" {
		args = append(args, status)
		where += fmt.Sprintf(` AND l.status = $%d`, len(args))
	}
	if after != "" {
		c, err := decodeCursor(after)
		if err != nil || c.Time == nil {
			return Page{}, errs.InvalidFields([]errs.FieldError{{Field: "cursor", Detail: "is not a cursor this API returned"}})
		}
		args = append(args, *c.Time, c.ID)
		where += fmt.Sprintf(` AND (l.updated_at, l.id) < ($%d, $%d::uuid)`, len(args)-1, len(args))
	}
	rows, err := db.pool.Query(ctx, `SELECT `+listingColumns+` FROM listing l JOIN tenant t ON t.id = l.tenant_id
		WHERE `+where+` ORDER BY l.updated_at DESC, l.id DESC LIMIT $2`, args...)
	if err != nil {
		return Page{}, fmt.Errorf("postgres: tenant listings: %w", err)
	}
	items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (listing.Listing, error) { return scanListing(r) })
	if err != nil {
		return Page{}, fmt.Errorf("postgres: tenant listings: %w", err)
	}
	page := Page{Items: append([]listing.Listing{}, items...)}
	if len(items) > limit {
		page.Items = items[:limit]
		last := page.Items[limit-1]
		page.NextCursor = encodeCursor(cursor{Time: &last.UpdatedAt, ID: last.ID})
	}
	return page, attachPhotos(ctx, db.pool, page.Items)
}
