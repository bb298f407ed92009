package postgres

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pushnchat/pushnchat/cell/internal/tenant"
	"github.com/pushnchat/pushnchat/internal/errs"
	"github.com/pushnchat/pushnchat/internal/firebaseauth"
	"github.com/pushnchat/pushnchat/internal/ids"
)

func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// CreateInvitation stores a pending invitation and returns it with its
// one-time token. A pending invitation for the same email is a Conflict.
func (db *DB) CreateInvitation(ctx context.Context, inv tenant.Invitation) (tenant.Invitation, error) {
	var raw [24]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return tenant.Invitation{}, err
	}
	inv.ID = newID()
	inv.Token = base64.RawURLEncoding.EncodeToString(raw[:])
	inv.Status = tenant.Pending
	err := db.pool.QueryRow(ctx, `
		INSERT INTO invitation (id, tenant_id, email, role, token_hash, status, invited_by, expires_at)
		VALUES ($1, $2, $3, $4, $5, 'pending', $6, now() + $7::interval)
		RETURNING expires_at, created_at`,
		inv.ID, inv.TenantID, inv.Email, inv.Role, hashToken(inv.Token), inv.InvitedBy, tenant.InvitationTTL.String(),
	).Scan(&inv.ExpiresAt, &inv.CreatedAt)
	if isUniqueViolation(err, "invitation_pending_email") {
		return tenant.Invitation{}, errs.E(errs.Conflict, "%s already has a pending invitation", inv.Email)
	}
	if err != nil {
		return tenant.Invitation{}, fmt.Errorf("postgres: create invitation: %w", err)
	}
	return inv, nil
}

// Invitations lists a tenant's invitations, newest first.
func (db *DB) Invitations(ctx context.Context, tenantID string) ([]tenant.Invitation, error) {
	rows, err := db.pool.Query(ctx, `
		SELECT id, tenant_id, email, role, status, invited_by, expires_at, created_at
		FROM invitation WHERE tenant_id = $1 ORDER BY created_at DESC, id`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("postgres: invitations: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (tenant.Invitation, error) {
		var i tenant.Invitation
		err := r.Scan(&i.ID, &i.TenantID, &i.Email, &i.Role, &i.Status, &i.InvitedBy, &i.ExpiresAt, &i.CreatedAt)
		return i, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: invitations: %w", err)
	}
	return out, nil
}

// RevokeInvitation withdraws a pending invitation.
func (db *DB) RevokeInvitation(ctx context.Context, tenantID, id string) error {
	if !ids.Valid(id) {
		return errs.E(errs.NotFound, "no such pending invitation")
	}
	tag, err := db.pool.Exec(ctx, `UPDATE invitation SET status = 'revoked' WHERE tenant_id = $1 AND id = $2 AND status = 'pending'`, tenantID, id)
	if err != nil {
		return fmt.Errorf("postgres: revoke invitation: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return errs.E(errs.NotFound, "no such pending invitation")
	}
	return nil
}

// AcceptInvitation makes the person id names a member with the
// invitation's role. The token must match a pending, unexpired invitation
// of this tenant sent to their email; only then does the cell create their
// user, in the same transaction.
func (db *DB) AcceptInvitation(ctx context.Context, tenantID, invitationID, token string, id firebaseauth.Identity) (tenant.Membership, error) {
	var m tenant.Membership
	if !ids.Valid(invitationID) {
		return m, errs.E(errs.NotFound, "no such pending invitation")
	}
	err := db.tx(ctx, func(tx pgx.Tx) error {
		var email string
		var role tenant.Role
		var expires time.Time
		err := tx.QueryRow(ctx, `
			SELECT email, role, expires_at FROM invitation
			WHERE tenant_id = $1 AND id = $2 AND token_hash = $3 AND status = 'pending' FOR UPDATE`,
			tenantID, invitationID, hashToken(token)).Scan(&email, &role, &expires)
		if err != nil {
			return notFound(err, "no such pending invitation")
		}
		if time.Now().After(expires) {
			return errs.E(errs.Conflict, "this invitation has expired; ask for a new one")
		}
		if !strings.EqualFold(email, id.Email) {
			return errs.E(errs.Forbidden, "this invitation was sent to another email address")
		}
		user, err := upsertUser(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE invitation SET status = 'accepted', accepted_by = $2 WHERE id = $1`, invitationID, user.ID); err != nil {
			return err
		}
		err = tx.QueryRow(ctx, `
			INSERT INTO membership (tenant_id, user_id, role) VALUES ($1, $2, $3)
			ON CONFLICT (tenant_id, user_id) DO NOTHING
			RETURNING tenant_id, user_id, role, created_at`, tenantID, user.ID, role,
		).Scan(&m.TenantID, &m.UserID, &m.Role, &m.CreatedAt)
		if err == pgx.ErrNoRows {
			return errs.E(errs.Conflict, "you are already a member of this business")
		}
		if err != nil {
			return err
		}
		return recordMembership(ctx, tx, user.ID, tenantID, true)
	})
	if err != nil {
		return tenant.Membership{}, err
	}
	return m, nil
}
