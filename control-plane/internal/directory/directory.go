// Package directory is the control plane's record of where every tenant
// and person lives (tenant id and slug → home cell; uid → every cell where
// the person belongs to a business), the sign-up journal, and the change
// feed routers follow. It holds no business data.
package directory

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pushnchat/pushnchat/internal/errs"
	"github.com/pushnchat/pushnchat/internal/migrate"
	"github.com/pushnchat/pushnchat/internal/tenantkey"
)

//go:embed migrations/*.sql
var migrations embed.FS

func migrationFS() fs.FS {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		panic(err)
	}
	return sub
}

// Migrate applies the directory's migrations to the database at url.
func Migrate(ctx context.Context, url string) error { return migrate.Up(ctx, url, migrationFS()) }

// Status of a directory entry. Pending entries are not routable.
type Status string

// Statuses.
const (
	Pending Status = "pending"
	Active  Status = "active"
	Moving  Status = "moving"
	Frozen  Status = "frozen"
)

// Tenant is a tenant's directory entry.
type Tenant struct {
	ID       string   `json:"tenant_id"`
	Slug     string   `json:"slug"`
	Country  string   `json:"country"`
	HomeCell string   `json:"home_cell"`
	Status   Status   `json:"status"`
	Rules    []string `json:"rules"`
	Version  int64    `json:"version"`
}

// Store is the directory database.
type Store struct {
	pool *pgxpool.Pool
	url  string
}

// Open connects to the directory database.
func Open(ctx context.Context, url string) (*Store, error) {
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("directory: %w", err)
	}
	return &Store{pool: pool, url: url}, nil
}

// Close closes the pool.
func (s *Store) Close() { s.pool.Close() }

// Ready checks the database answers with every migration applied.
func (s *Store) Ready(ctx context.Context) error { return migrate.Applied(ctx, s.pool, migrationFS()) }

const tenantCols = `tenant_id, slug, country, home_cell, status, rules, version`

func scanTenant(row pgx.Row) (Tenant, error) {
	var t Tenant
	err := row.Scan(&t.ID, &t.Slug, &t.Country, &t.HomeCell, &t.Status, &t.Rules, &t.Version)
	return t, err
}

// LookupTenant finds a routable tenant by its key (package tenantkey).
func (s *Store) LookupTenant(ctx context.Context, key tenantkey.Key) (Tenant, error) {
	col, v := "slug", key.Slug
	if key.ID != "" {
		col, v = "tenant_id", key.ID
	}
	t, err := scanTenant(s.pool.QueryRow(ctx, `SELECT `+tenantCols+` FROM tenant_directory WHERE `+col+` = $1 AND status <> 'pending'`, v))
	if errors.Is(err, pgx.ErrNoRows) {
		return Tenant{}, errs.E(errs.NotFound, "no such business")
	}
	if err != nil {
		return Tenant{}, fmt.Errorf("directory: lookup: %w", err)
	}
	return t, nil
}

// TenantCounts returns routable tenants per cell.
func (s *Store) TenantCounts(ctx context.Context) (map[string]int, error) {
	rows, err := s.pool.Query(ctx, `SELECT home_cell, count(*) FROM tenant_directory WHERE status <> 'pending' GROUP BY home_cell`)
	if err != nil {
		return nil, fmt.Errorf("directory: counts: %w", err)
	}
	out := map[string]int{}
	for rows.Next() {
		var cell string
		var n int
		if err := rows.Scan(&cell, &n); err != nil {
			return nil, err
		}
		out[cell] = n
	}
	return out, rows.Err()
}

// Tenant returns any tenant entry (pending too) by id.
func (s *Store) Tenant(ctx context.Context, id string) (Tenant, error) {
	t, err := scanTenant(s.pool.QueryRow(ctx, `SELECT `+tenantCols+` FROM tenant_directory WHERE tenant_id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Tenant{}, errs.E(errs.NotFound, "no such business")
	}
	return t, err
}
