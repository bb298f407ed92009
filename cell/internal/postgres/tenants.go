package postgres

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/pushnchat/pushnchat/cell/internal/account"
	"github.com/pushnchat/pushnchat/cell/internal/tenant"
	"github.com/pushnchat/pushnchat/internal/errs"
	"github.com/pushnchat/pushnchat/internal/firebaseauth"
)

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// UpsertUser returns the cell user of a verified identity, creating it on
// first sight and refreshing its email and name.
func (db *DB) UpsertUser(ctx context.Context, id firebaseauth.Identity) (account.User, error) {
	var u account.User
	// The common case reads only: the user exists and nothing changed.
	err := db.pool.QueryRow(ctx, `SELECT id, firebase_uid, coalesce(email, ''), coalesce(display_name, ''), created_at
		FROM app_user WHERE firebase_uid = $1`, id.UID).Scan(&u.ID, &u.FirebaseUID, &u.Email, &u.DisplayName, &u.CreatedAt)
	if err == nil && (id.Email == "" || id.Email == u.Email) && (id.Name == "" || id.Name == u.DisplayName) {
		return u, nil
	}
	if err != nil && err != pgx.ErrNoRows {
		return account.User{}, fmt.Errorf("postgres: user: %w", err)
	}
	err = db.pool.QueryRow(ctx, `
		INSERT INTO app_user (id, firebase_uid, email, display_name) VALUES ($1, $2, nullif($3, ''), nullif($4, ''))
		ON CONFLICT (firebase_uid) DO UPDATE SET
			email = coalesce(EXCLUDED.email, app_user.email),
			display_name = coalesce(EXCLUDED.display_name, app_user.display_name)
		RETURNING id, firebase_uid, coalesce(email, ''), coalesce(display_name, ''), created_at`,
		newID(), id.UID, id.Email, id.Name,
	).Scan(&u.ID, &u.FirebaseUID, &u.Email, &u.DisplayName, &u.CreatedAt)
	if err != nil {
		return account.User{}, fmt.Errorf("postgres: upsert user: %w", err)
	}
	return u, nil
}

const tenantColumns = `id, slug, name, country, categories, contact, version, created_at, updated_at`

func scanTenant(row pgx.Row) (tenant.Tenant, error) {
	var t tenant.Tenant
	var contact []byte
	err := row.Scan(&t.ID, &t.Slug, &t.Name, &t.Country, &t.Categories, &contact, &t.Version, &t.CreatedAt, &t.UpdatedAt)
	if err != nil {
		return t, err
	}
	if err := json.Unmarshal(contact, &t.Contact); err != nil {
		return t, fmt.Errorf("contact: %w", err)
	}
	return t, nil
}

// CreateTenant stores a new tenant with its owner. It is idempotent by id:
// the same id and slug again returns the stored tenant and created=false.
// A slug taken by another tenant is Invalid; an id taken with another slug
// is a Conflict.
func (db *DB) CreateTenant(ctx context.Context, t tenant.Tenant, ownerID string) (_ tenant.Tenant, created bool, _ error) {
	if _, err := uuid.Parse(t.ID); err != nil {
		return tenant.Tenant{}, false, errs.InvalidFields([]errs.FieldError{{Field: "id", Detail: "must be a UUID"}})
	}
	if t.Categories == nil {
		t.Categories = []string{}
	}
	contact, err := json.Marshal(t.Contact)
	if err != nil {
		return tenant.Tenant{}, false, err
	}
	if existing, err := db.TenantBySlugOrID(ctx, t.ID); err == nil {
		if existing.Slug != t.Slug {
			return tenant.Tenant{}, false, errs.E(errs.Conflict, "a business with this id exists under another slug")
		}
		return existing, false, nil
	}
	var out tenant.Tenant
	err = db.tx(ctx, func(tx pgx.Tx) error {
		out, err = scanTenant(tx.QueryRow(ctx, `
			INSERT INTO tenant (id, slug, name, country, categories, contact) VALUES ($1, $2, $3, $4, $5, $6)
			RETURNING `+tenantColumns, t.ID, t.Slug, strings.TrimSpace(t.Name), t.Country, t.Categories, contact))
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO membership (tenant_id, user_id, role) VALUES ($1, $2, 'owner')`, t.ID, ownerID)
		return err
	})
	if isUniqueViolation(err, "tenant_slug_key") {
		return tenant.Tenant{}, false, errs.InvalidFields([]errs.FieldError{{Field: "slug", Detail: "is taken"}})
	}
	if isUniqueViolation(err, "tenant_pkey") { // a concurrent retry won
		return db.CreateTenant(ctx, t, ownerID)
	}
	if err != nil {
		return tenant.Tenant{}, false, fmt.Errorf("postgres: create tenant: %w", err)
	}
	return out, true, nil
}

// TenantBySlugOrID returns a tenant by slug or id.
func (db *DB) TenantBySlugOrID(ctx context.Context, key string) (tenant.Tenant, error) {
	col := "slug"
	if _, err := uuid.Parse(key); err == nil {
		col = "id"
	}
	t, err := scanTenant(db.pool.QueryRow(ctx, `SELECT `+tenantColumns+` FROM tenant WHERE `+col+` = $1`, key))
	if err != nil {
		return tenant.Tenant{}, notFound(err, "no such business")
	}
	return t, nil
}

// Role returns userID's role in tenantID, "" when not a member.
func (db *DB) Role(ctx context.Context, tenantID, userID string) (tenant.Role, error) {
	var r tenant.Role
	err := db.pool.QueryRow(ctx, `SELECT role FROM membership WHERE tenant_id = $1 AND user_id = $2`, tenantID, userID).Scan(&r)
	if err == pgx.ErrNoRows {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("postgres: role: %w", err)
	}
	return r, nil
}

// UpdateTenant writes t's profile.
func (db *DB) UpdateTenant(ctx context.Context, t tenant.Tenant) (tenant.Tenant, error) {
	contact, err := json.Marshal(t.Contact)
	if err != nil {
		return tenant.Tenant{}, err
	}
	out, err := scanTenant(db.pool.QueryRow(ctx, `
		UPDATE tenant SET name = $2, categories = $3, contact = $4, version = version + 1, updated_at = now()
		WHERE id = $1 RETURNING `+tenantColumns, t.ID, t.Name, t.Categories, contact))
	if err != nil {
		return tenant.Tenant{}, notFound(err, "no such business")
	}
	return out, nil
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
// keeps at least one owner.
func (db *DB) ChangeMember(ctx context.Context, tenantID, userID string, to tenant.Role, check func(from tenant.Role) error) error {
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
		if to == "" {
			_, err = tx.Exec(ctx, `DELETE FROM membership WHERE tenant_id = $1 AND user_id = $2`, tenantID, userID)
		} else {
			_, err = tx.Exec(ctx, `UPDATE membership SET role = $3 WHERE tenant_id = $1 AND user_id = $2`, tenantID, userID, to)
		}
		return err
	})
}

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
	if _, err := uuid.Parse(id); err != nil {
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

// AcceptInvitation makes user a member with the invitation's role. The
// token must match a pending, unexpired invitation of this tenant sent to
// the user's email.
func (db *DB) AcceptInvitation(ctx context.Context, tenantID, id, token string, user account.User) (tenant.Membership, error) {
	var m tenant.Membership
	if _, err := uuid.Parse(id); err != nil {
		return m, errs.E(errs.NotFound, "no such pending invitation")
	}
	err := db.tx(ctx, func(tx pgx.Tx) error {
		var email string
		var role tenant.Role
		var expires time.Time
		err := tx.QueryRow(ctx, `
			SELECT email, role, expires_at FROM invitation
			WHERE tenant_id = $1 AND id = $2 AND token_hash = $3 AND status = 'pending' FOR UPDATE`,
			tenantID, id, hashToken(token)).Scan(&email, &role, &expires)
		if err != nil {
			return notFound(err, "no such pending invitation")
		}
		if time.Now().After(expires) {
			return errs.E(errs.Conflict, "this invitation has expired; ask for a new one")
		}
		if !strings.EqualFold(email, user.Email) {
			return errs.E(errs.Forbidden, "this invitation was sent to another email address")
		}
		if _, err := tx.Exec(ctx, `UPDATE invitation SET status = 'accepted', accepted_by = $2 WHERE id = $1`, id, user.ID); err != nil {
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
		return err
	})
	if err != nil {
		return tenant.Membership{}, err
	}
	return m, nil
}
