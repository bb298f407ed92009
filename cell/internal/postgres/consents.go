package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/pushnchat/pushnchat/cell/internal/consent"
	"github.com/pushnchat/pushnchat/residency"
)

const consentColumns = `id, category, jurisdiction, granted_at, withdrawn_at`

func scanConsent(row pgx.CollectableRow) (consent.Consent, error) {
	var c consent.Consent
	err := row.Scan(&c.ID, &c.Category, &c.Jurisdiction, &c.GrantedAt, &c.WithdrawnAt)
	return c, err
}

// GrantConsent records userID's consent in tenantID; granting one already
// in force returns it (created=false).
func (db *DB) GrantConsent(ctx context.Context, tenantID, userID string, category residency.Category, jurisdiction string) (_ consent.Consent, created bool, _ error) {
	rows, err := db.pool.Query(ctx, `INSERT INTO consent (id, tenant_id, user_id, category, jurisdiction) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (tenant_id, user_id, category, jurisdiction) WHERE withdrawn_at IS NULL DO NOTHING
		RETURNING `+consentColumns, newID(), tenantID, userID, category, jurisdiction)
	if err != nil {
		return consent.Consent{}, false, fmt.Errorf("postgres: consent: %w", err)
	}
	cs, err := pgx.CollectRows(rows, scanConsent)
	if err != nil {
		return consent.Consent{}, false, fmt.Errorf("postgres: consent: %w", err)
	}
	if len(cs) == 1 {
		return cs[0], true, nil
	}
	rows, err = db.pool.Query(ctx, `SELECT `+consentColumns+` FROM consent WHERE tenant_id = $1 AND user_id = $2
		AND category = $3 AND jurisdiction = $4 AND withdrawn_at IS NULL`, tenantID, userID, category, jurisdiction)
	if err != nil {
		return consent.Consent{}, false, fmt.Errorf("postgres: consent: %w", err)
	}
	c, err := pgx.CollectExactlyOneRow(rows, scanConsent)
	if err != nil {
		return consent.Consent{}, false, fmt.Errorf("postgres: consent: %w", err)
	}
	return c, false, nil
}

// WithdrawConsent withdraws userID's consent id; withdrawing it again
// changes nothing. From then on no event relies on it (Outbox).
func (db *DB) WithdrawConsent(ctx context.Context, tenantID, userID, id string) (consent.Consent, error) {
	rows, err := db.pool.Query(ctx, `UPDATE consent SET withdrawn_at = coalesce(withdrawn_at, now())
		WHERE id = $1 AND tenant_id = $2 AND user_id = $3 RETURNING `+consentColumns, id, tenantID, userID)
	if err != nil {
		return consent.Consent{}, fmt.Errorf("postgres: consent: %w", err)
	}
	c, err := pgx.CollectExactlyOneRow(rows, scanConsent)
	return c, notFound(err, "no such consent")
}

// Consents lists userID's consents in tenantID, in force first, newest
// first.
func (db *DB) Consents(ctx context.Context, tenantID, userID string) ([]consent.Consent, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+consentColumns+` FROM consent WHERE tenant_id = $1 AND user_id = $2
		ORDER BY withdrawn_at IS NOT NULL, granted_at DESC, id`, tenantID, userID)
	if err != nil {
		return nil, fmt.Errorf("postgres: consents: %w", err)
	}
	cs, err := pgx.CollectRows(rows, scanConsent)
	if err != nil {
		return nil, fmt.Errorf("postgres: consents: %w", err)
	}
	return append([]consent.Consent{}, cs...), nil
}
