package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/pushnchat/pushnchat/cell/internal/tenant"
	"github.com/pushnchat/pushnchat/internal/errs"
	"github.com/pushnchat/pushnchat/internal/ids"
	"github.com/pushnchat/pushnchat/internal/membershipfeed"
)

// Role returns userID's role in tenantID, "" when not a member.
func (db *DB) Role(ctx context.Context, tenantID, userID string) (tenant.Role, error) {
	var r tenant.Role
	if userID == "" { // someone with no account here
		return "", nil
	}
	err := db.pool.QueryRow(ctx, `SELECT role FROM membership WHERE tenant_id = $1 AND user_id = $2`, tenantID, userID).Scan(&r)
	if err == pgx.ErrNoRows {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("postgres: role: %w", err)
	}
	return r, nil
}

// Memberships lists a user's tenants.
func (db *DB) Memberships(ctx context.Context, userID string) ([]tenant.Membership, error) {
	rows, err := db.pool.Query(ctx, `
		SELECT m.tenant_id, t.slug, m.user_id, '', '', m.role, m.created_at
		FROM membership m JOIN tenant t ON t.id = m.tenant_id
		WHERE m.user_id = $1 ORDER BY t.slug`, userID)
	if err != nil {
		return nil, fmt.Errorf("postgres: memberships: %w", err)
	}
	return collectMemberships(rows)
}

// Members lists a tenant's team.
func (db *DB) Members(ctx context.Context, tenantID string) ([]tenant.Membership, error) {
	rows, err := db.pool.Query(ctx, `
		SELECT m.tenant_id, t.slug, m.user_id, coalesce(u.email, ''), coalesce(u.display_name, ''), m.role, m.created_at
		FROM membership m JOIN tenant t ON t.id = m.tenant_id JOIN app_user u ON u.id = m.user_id
		WHERE m.tenant_id = $1 ORDER BY m.created_at, m.user_id`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("postgres: members: %w", err)
	}
	return collectMemberships(rows)
}

func collectMemberships(rows pgx.Rows) ([]tenant.Membership, error) {
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (tenant.Membership, error) {
		var m tenant.Membership
		err := r.Scan(&m.TenantID, &m.TenantSlug, &m.UserID, &m.Email, &m.DisplayName, &m.Role, &m.CreatedAt)
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: memberships: %w", err)
	}
	return out, nil
}

// ChangeMember sets a member's role (to == "" removes the member) after
// check approves the change from the member's current role. A tenant always
// keeps at least one owner. Removal also takes the person out of the
// tenant's conversations, in the same transaction: what they could read
// and write as a member ends with the membership, on every transport.
func (db *DB) ChangeMember(ctx context.Context, tenantID, userID string, to tenant.Role, check func(from tenant.Role) error) error {
	if !ids.Valid(userID) {
		return errs.E(errs.NotFound, "no such member")
	}
	return db.tx(ctx, func(tx pgx.Tx) error {
		// Lock the team so two concurrent demotions cannot remove the last owner.
		rows, err := tx.Query(ctx, `SELECT user_id, role FROM membership WHERE tenant_id = $1 FOR UPDATE`, tenantID)
		if err != nil {
			return err
		}
		owners, from := 0, tenant.Role("")
		for rows.Next() {
			var uid string
			var r tenant.Role
			if err := rows.Scan(&uid, &r); err != nil {
				return err
			}
			if r == tenant.Owner {
				owners++
			}
			if uid == userID {
				from = r
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if from == "" {
			return errs.E(errs.NotFound, "no such member")
		}
		if err := check(from); err != nil {
			return err
		}
		if from == tenant.Owner && to != tenant.Owner && owners == 1 {
			return errs.E(errs.Conflict, "a business keeps at least one owner; make someone else owner first")
		}
		if to != "" {
			if _, err := tx.Exec(ctx, `UPDATE membership SET role = $3 WHERE tenant_id = $1 AND user_id = $2`, tenantID, userID, to); err != nil {
				return err
			}
			return bumpAccess(ctx, tx, userID)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM membership WHERE tenant_id = $1 AND user_id = $2`, tenantID, userID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM conversation_member m USING conversation c
			WHERE c.id = m.conversation_id AND c.tenant_id = $1 AND m.user_id = $2`, tenantID, userID); err != nil {
			return err
		}
		return recordMembership(ctx, tx, userID, tenantID, false)
	})
}

// MembershipChannel is notified when the membership feed grows.
const MembershipChannel = "membership_changes"

// recordMembership notes, in the transaction that made the change, that
// the user joined or left tenantID: an entry of the membership feed
// (package membershipfeed) with the memberships they hold here afterwards,
// and a new access version for their open sessions. Someone left with no
// membership here loses their email and name.
func recordMembership(ctx context.Context, tx pgx.Tx, userID, tenantID string, joined bool) error {
	if _, err := tx.Exec(ctx, `INSERT INTO membership_change (firebase_uid, tenant_id, joined, memberships)
		SELECT u.firebase_uid, $2, $3, (SELECT count(*) FROM membership m WHERE m.user_id = u.id) FROM app_user u WHERE u.id = $1`,
		userID, tenantID, joined); err != nil {
		return fmt.Errorf("postgres: membership feed: %w", err)
	}
	if joined {
		// The team is in its business's partner conversations.
		if _, err := tx.Exec(ctx, `INSERT INTO conversation_member (conversation_id, user_id)
			SELECT id, $2 FROM conversation WHERE tenant_id = $1 AND kind = 'partner' ON CONFLICT DO NOTHING`, tenantID, userID); err != nil {
			return fmt.Errorf("postgres: partner conversations: %w", err)
		}
	}
	if !joined {
		if _, err := tx.Exec(ctx, `UPDATE app_user u SET email = NULL, display_name = NULL
			WHERE u.id = $1 AND NOT EXISTS (SELECT 1 FROM membership m WHERE m.user_id = u.id)`, userID); err != nil {
			return fmt.Errorf("postgres: forget a former member: %w", err)
		}
	}
	if _, err := tx.Exec(ctx, `SELECT pg_notify($1, '')`, MembershipChannel); err != nil {
		return err
	}
	return bumpAccess(ctx, tx, userID)
}

// bumpAccess gives the user a new access version: their open realtime
// sessions compare it to notice a change of role or membership.
func bumpAccess(ctx context.Context, tx pgx.Tx, userID string) error {
	_, err := tx.Exec(ctx, `UPDATE app_user SET access_version = access_version + 1 WHERE id = $1`, userID)
	return err
}

// Access returns the user's role in each tenant of this cell they belong
// to, and the version of that answer (see bumpAccess), in one statement:
// every REST sync and realtime handshake asks.
func (db *DB) Access(ctx context.Context, userID string) (map[string]tenant.Role, int64, error) {
	var version int64
	var tenants []string
	var roles []tenant.Role
	err := db.pool.QueryRow(ctx, `SELECT u.access_version,
			coalesce(array_agg(m.tenant_id::text) FILTER (WHERE m.tenant_id IS NOT NULL), '{}'),
			coalesce(array_agg(m.role) FILTER (WHERE m.tenant_id IS NOT NULL), '{}')
		FROM app_user u LEFT JOIN membership m ON m.user_id = u.id WHERE u.id = $1 GROUP BY u.id`, userID).
		Scan(&version, &tenants, &roles)
	if err != nil {
		return nil, 0, fmt.Errorf("postgres: access: %w", notFound(err, "no such user"))
	}
	out := make(map[string]tenant.Role, len(tenants))
	for i, id := range tenants {
		out[id] = roles[i]
	}
	return out, version, nil
}

// AccessVersions returns the access version of each user among userIDs
// that exists.
func (db *DB) AccessVersions(ctx context.Context, userIDs []string) (map[string]int64, error) {
	rows, err := db.pool.Query(ctx, `SELECT id, access_version FROM app_user WHERE id = ANY($1::text[]::uuid[])`, userIDs)
	if err != nil {
		return nil, fmt.Errorf("postgres: access versions: %w", err)
	}
	out := make(map[string]int64, len(userIDs))
	var id string
	var v int64
	if _, err := pgx.ForEachRow(rows, []any{&id, &v}, func() error { out[id] = v; return nil }); err != nil {
		return nil, fmt.Errorf("postgres: access versions: %w", err)
	}
	return out, nil
}

// MembershipChanges returns up to limit entries of the membership feed
// after seq, and the seq to ask after next.
func (db *DB) MembershipChanges(ctx context.Context, after int64, limit int) (membershipfeed.Page, error) {
	rows, err := db.pool.Query(ctx, `SELECT seq, firebase_uid, tenant_id, joined, memberships FROM membership_change
		WHERE seq > $1 ORDER BY seq LIMIT $2`, after, limit)
	if err != nil {
		return membershipfeed.Page{}, fmt.Errorf("postgres: membership feed: %w", err)
	}
	changes, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (membershipfeed.Change, error) {
		var c membershipfeed.Change
		err := r.Scan(&c.Seq, &c.UID, &c.TenantID, &c.Joined, &c.Memberships)
		return c, err
	})
	if err != nil {
		return membershipfeed.Page{}, fmt.Errorf("postgres: membership feed: %w", err)
	}
	page := membershipfeed.Page{Changes: append([]membershipfeed.Change{}, changes...), LastSeq: after}
	if len(changes) > 0 {
		page.LastSeq = changes[len(changes)-1].Seq
	}
	return page, nil
}
