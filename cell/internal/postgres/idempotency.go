package postgres

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pushnchat/pushnchat/internal/errs"
)

// IdempotencyTTL is how long a stored response is replayed.
const IdempotencyTTL = 24 * time.Hour

// StoredResponse is the response recorded for an idempotency key.
type StoredResponse struct {
	Status int
	Header http.Header
	Body   []byte
}

// BeginIdempotent claims key for a request whose content hashes to hash.
// It returns the stored response when the same request already completed;
// Unprocessable when the key was used for a different request; Conflict
// while the first request is still running. A nil response and nil error
// mean the caller owns the key and must Finish or Abandon it.
func (db *DB) BeginIdempotent(ctx context.Context, scope, key string, hash []byte) (*StoredResponse, error) {
	tag, err := db.pool.Exec(ctx, `
		INSERT INTO idempotency_key (scope, key, request_hash, state) VALUES ($1, $2, $3, 'in_progress')
		ON CONFLICT (scope, key) DO UPDATE SET request_hash = EXCLUDED.request_hash, state = 'in_progress',
			status = NULL, headers = NULL, body = NULL, created_at = now()
		WHERE idempotency_key.created_at < now() - $4::interval`,
		scope, key, hash, IdempotencyTTL.String())
	if err != nil {
		return nil, fmt.Errorf("postgres: idempotency: %w", err)
	}
	if tag.RowsAffected() == 1 {
		return nil, nil
	}
	var storedHash, headers, body []byte
	var state string
	var status *int
	err = db.pool.QueryRow(ctx, `SELECT request_hash, state, status, headers, body FROM idempotency_key WHERE scope = $1 AND key = $2`,
		scope, key).Scan(&storedHash, &state, &status, &headers, &body)
	if err == pgx.ErrNoRows { // abandoned in between: try once more
		return db.BeginIdempotent(ctx, scope, key, hash)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: idempotency: %w", err)
	}
	if !bytes.Equal(storedHash, hash) {
		return nil, &errs.Error{Kind: errs.Unprocessable, Code: "idempotency_key_reused",
			Message: "this Idempotency-Key was used for a different request; use a new key for a new request"}
	}
	if state != "done" || status == nil {
		return nil, &errs.Error{Kind: errs.Conflict, Code: "idempotency_in_progress", RetryAfter: 1,
			Message: "a request with this Idempotency-Key is still being processed; retry shortly"}
	}
	r := &StoredResponse{Status: *status, Body: body, Header: http.Header{}}
	if err := json.Unmarshal(headers, &r.Header); err != nil {
		return nil, fmt.Errorf("postgres: idempotency headers: %w", err)
	}
	return r, nil
}

// FinishIdempotent stores the response of the request that owns key.
func (db *DB) FinishIdempotent(ctx context.Context, scope, key string, r StoredResponse) error {
	headers, err := json.Marshal(r.Header)
	if err != nil {
		return err
	}
	_, err = db.pool.Exec(ctx, `UPDATE idempotency_key SET state = 'done', status = $3, headers = $4, body = $5
		WHERE scope = $1 AND key = $2`, scope, key, r.Status, headers, r.Body)
	if err != nil {
		return fmt.Errorf("postgres: idempotency: %w", err)
	}
	return nil
}

// AbandonIdempotent releases key after a failure that the client may retry.
func (db *DB) AbandonIdempotent(ctx context.Context, scope, key string) error {
	if _, err := db.pool.Exec(ctx, `DELETE FROM idempotency_key WHERE scope = $1 AND key = $2 AND state = 'in_progress'`, scope, key); err != nil {
		return fmt.Errorf("postgres: idempotency: %w", err)
	}
	return nil
}

// PurgeIdempotent deletes records older than IdempotencyTTL.
func (db *DB) PurgeIdempotent(ctx context.Context) (int64, error) {
	tag, err := db.pool.Exec(ctx, `DELETE FROM idempotency_key WHERE created_at < now() - $1::interval`, IdempotencyTTL.String())
	if err != nil {
		return 0, fmt.Errorf("postgres: idempotency purge: %w", err)
	}
	return tag.RowsAffected(), nil
}
