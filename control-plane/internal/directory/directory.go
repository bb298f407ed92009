// Package directory is the control plane's record of where every tenant
// and user lives (tenant id and slug → home cell, uid → home cell, status,
// version), the sign-up journal, and the change feed routers follow. It
// holds no business data.
package directory

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pushnchat/pushnchat/internal/errs"
	"github.com/pushnchat/pushnchat/internal/migrate"
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

// User is a user's directory entry.
type User struct {
	UID      string `json:"uid"`
	HomeCell string `json:"home_cell"`
	Version  int64  `json:"version"`
}

// Change is one entry of the change feed.
type Change struct {
	Seq      int64  `json:"seq"`
	Kind     string `json:"kind"` // tenant or user
	TenantID string `json:"tenant_id,omitempty"`
	Slug     string `json:"slug,omitempty"`
	UID      string `json:"uid,omitempty"`
	Country  string `json:"country,omitempty"`
	HomeCell string `json:"home_cell"`
	Status   Status `json:"status"`
	Version  int64  `json:"version"`
}

// Channel is the NOTIFY channel of the change feed.
const Channel = "directory_changes"

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

// LookupTenant finds a routable tenant by slug or id.
func (s *Store) LookupTenant(ctx context.Context, key string) (Tenant, error) {
	col := "slug"
	if _, err := uuid.Parse(key); err == nil {
		col = "tenant_id"
	}
	t, err := scanTenant(s.pool.QueryRow(ctx, `SELECT `+tenantCols+` FROM tenant_directory WHERE `+col+` = $1 AND status <> 'pending'`, key))
	if errors.Is(err, pgx.ErrNoRows) {
		return Tenant{}, errs.E(errs.NotFound, "no such business")
	}
	if err != nil {
		return Tenant{}, fmt.Errorf("directory: lookup: %w", err)
	}
	return t, nil
}

// LookupUser finds a user's home cell.
func (s *Store) LookupUser(ctx context.Context, uid string) (User, error) {
	var u User
	err := s.pool.QueryRow(ctx, `SELECT uid, home_cell, version FROM user_directory WHERE uid = $1`, uid).Scan(&u.UID, &u.HomeCell, &u.Version)
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, errs.E(errs.NotFound, "no such user")
	}
	if err != nil {
		return User{}, fmt.Errorf("directory: lookup user: %w", err)
	}
	return u, nil
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

// Changes returns up to limit changes after seq.
func (s *Store) Changes(ctx context.Context, after int64, limit int) ([]Change, error) {
	rows, err := s.pool.Query(ctx, `SELECT seq, kind, coalesce(tenant_id::text, ''), coalesce(slug, ''), coalesce(uid, ''),
		coalesce(country, ''), home_cell, status, version FROM directory_change WHERE seq > $1 ORDER BY seq LIMIT $2`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("directory: changes: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Change, error) {
		var c Change
		err := r.Scan(&c.Seq, &c.Kind, &c.TenantID, &c.Slug, &c.UID, &c.Country, &c.HomeCell, &c.Status, &c.Version)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("directory: changes: %w", err)
	}
	return out, nil
}

// Listen calls notify (without blocking on it) whenever the feed grows,
// until ctx ends. It reconnects after failures.
func (s *Store) Listen(ctx context.Context, notify func()) {
	for ctx.Err() == nil {
		conn, err := pgx.Connect(ctx, s.url)
		if err == nil {
			_, err = conn.Exec(ctx, "LISTEN "+Channel)
			notify() // catch up on anything missed while not listening
			for err == nil {
				_, err = conn.WaitForNotification(ctx)
				if err == nil {
					notify()
				}
			}
			conn.Close(context.Background())
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// SignupRequest is what a sign-up needs to finish, kept in the journal.
type SignupRequest struct {
	TenantID   string          `json:"tenant_id"`
	Slug       string          `json:"slug"`
	Country    string          `json:"country"`
	Cell       string          `json:"cell"`
	Rules      []string        `json:"rules"`
	OwnerUID   string          `json:"owner_uid"`
	OwnerEmail string          `json:"owner_email"`
	Profile    json.RawMessage `json:"profile"` // name, categories, contact as the client sent them
}

// Signup is a journal entry.
type Signup struct {
	Key     string
	State   string // placed, done, failed
	Request SignupRequest
	Problem json.RawMessage
}

// BeginSignup records a placed sign-up and reserves its slug with a pending
// (unroutable) entry. When key exists it returns that sign-up instead
// (Unprocessable if hash differs: the key was used for another request).
// A slug held by another sign-up or tenant is Invalid.
func (s *Store) BeginSignup(ctx context.Context, key string, hash []byte, req SignupRequest) (Signup, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return Signup{}, err
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO signup (key, request_hash, tenant_id, state, request) VALUES ($1, $2, $3, 'placed', $4)
			ON CONFLICT (key) DO NOTHING`, key, hash, req.TenantID, body)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO tenant_directory (tenant_id, slug, country, home_cell, status, rules, owner_uid)
			VALUES ($1, $2, $3, $4, 'pending', $5, $6)`, req.TenantID, req.Slug, req.Country, req.Cell, req.Rules, req.OwnerUID)
		return err
	})
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return Signup{}, errs.InvalidFields([]errs.FieldError{{Field: "slug", Detail: "is taken"}})
	}
	if err != nil {
		return Signup{}, fmt.Errorf("directory: begin sign-up: %w", err)
	}
	var stored []byte
	var su Signup
	var reqJSON []byte
	err = s.pool.QueryRow(ctx, `SELECT request_hash, state, request, problem FROM signup WHERE key = $1`, key).Scan(&stored, &su.State, &reqJSON, &su.Problem)
	if err != nil {
		return Signup{}, fmt.Errorf("directory: sign-up: %w", err)
	}
	if string(stored) != string(hash) {
		return Signup{}, &errs.Error{Kind: errs.Unprocessable, Code: "idempotency_key_reused",
			Message: "this Idempotency-Key was used for a different sign-up; use a new key"}
	}
	su.Key = key
	if err := json.Unmarshal(reqJSON, &su.Request); err != nil {
		return Signup{}, err
	}
	return su, nil
}

// OpenSignups lists sign-ups still in the placed state, not touched for at
// least age: the ones a crash may have interrupted.
func (s *Store) OpenSignups(ctx context.Context, age time.Duration) ([]Signup, error) {
	rows, err := s.pool.Query(ctx, `SELECT key, state, request FROM signup WHERE state = 'placed' AND updated_at < now() - $1::interval ORDER BY created_at LIMIT 100`, age.String())
	if err != nil {
		return nil, fmt.Errorf("directory: open sign-ups: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Signup, error) {
		var su Signup
		var body []byte
		if err := r.Scan(&su.Key, &su.State, &body); err != nil {
			return su, err
		}
		return su, json.Unmarshal(body, &su.Request)
	})
}

// CompleteSignup activates the tenant's entry, homes the owner if new, and
// publishes both on the change feed. It is idempotent.
func (s *Store) CompleteSignup(ctx context.Context, su Signup) (Tenant, error) {
	var t Tenant
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE tenant_directory SET status = 'active', version = version + 1, updated_at = now()
			WHERE tenant_id = $1 AND status = 'pending'`, su.Request.TenantID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 1 {
			if _, err := tx.Exec(ctx, `INSERT INTO directory_change (kind, tenant_id, slug, country, home_cell, status, version)
				SELECT 'tenant', tenant_id, slug, country, home_cell, status, version FROM tenant_directory WHERE tenant_id = $1`, su.Request.TenantID); err != nil {
				return err
			}
			tag, err = tx.Exec(ctx, `INSERT INTO user_directory (uid, home_cell) VALUES ($1, $2) ON CONFLICT (uid) DO NOTHING`,
				su.Request.OwnerUID, su.Request.Cell)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 1 {
				if _, err := tx.Exec(ctx, `INSERT INTO directory_change (kind, uid, home_cell, status, version) VALUES ('user', $1, $2, 'active', 1)`,
					su.Request.OwnerUID, su.Request.Cell); err != nil {
					return err
				}
			}
			if _, err := tx.Exec(ctx, `SELECT pg_notify($1, '')`, Channel); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE signup SET state = 'done', updated_at = now() WHERE key = $1`, su.Key); err != nil {
			return err
		}
		t, err = scanTenant(tx.QueryRow(ctx, `SELECT `+tenantCols+` FROM tenant_directory WHERE tenant_id = $1`, su.Request.TenantID))
		return err
	})
	if err != nil {
		return Tenant{}, fmt.Errorf("directory: complete sign-up: %w", err)
	}
	return t, nil
}

// FailSignup records a permanent refusal by the cell (as the problem it
// answered) and releases the slug: no entry stays without a tenant.
func (s *Store) FailSignup(ctx context.Context, su Signup, problem []byte) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM tenant_directory WHERE tenant_id = $1 AND status = 'pending'`, su.Request.TenantID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE signup SET state = 'failed', problem = $2, updated_at = now() WHERE key = $1`, su.Key, problem)
		return err
	})
}

// TouchSignup marks a sign-up as being worked on now.
func (s *Store) TouchSignup(ctx context.Context, key string) error {
	_, err := s.pool.Exec(ctx, `UPDATE signup SET updated_at = now() WHERE key = $1`, key)
	return err
}

// Tenant returns any tenant entry (pending too) by id.
func (s *Store) Tenant(ctx context.Context, id string) (Tenant, error) {
	t, err := scanTenant(s.pool.QueryRow(ctx, `SELECT `+tenantCols+` FROM tenant_directory WHERE tenant_id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Tenant{}, errs.E(errs.NotFound, "no such business")
	}
	return t, err
}
