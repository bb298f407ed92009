package directory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pushnchat/pushnchat/internal/errs"
)

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
// A slug held by another sign-up or tenant is a Conflict.
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
		return Signup{}, &errs.Error{Kind: errs.Conflict, Message: "another business has this slug; choose another",
			Fields: []errs.FieldError{{Field: "slug", Detail: "is taken"}}}
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

// CompleteSignup activates the tenant's entry, adds its cell to the
// owner's cells, and publishes both on the change feed. It is idempotent.
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
			if _, err := addUserCell(ctx, tx, su.Request.OwnerUID, su.Request.Cell); err != nil {
				return err
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
