package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/pushnchat/pushnchat/cell/internal/tenant"
	"github.com/pushnchat/pushnchat/internal/crosscell"
	"github.com/pushnchat/pushnchat/internal/errs"
	"github.com/pushnchat/pushnchat/internal/firebaseauth"
	"github.com/pushnchat/pushnchat/internal/ids"
	"github.com/pushnchat/pushnchat/internal/tenantkey"
)

func newID() string { return ids.New() }

const tenantColumns = `id, slug, name, country, categories, contact, tier, version, created_at, updated_at`

func scanTenant(row pgx.Row) (tenant.Tenant, error) {
	var t tenant.Tenant
	var contact []byte
	var tier *string
	err := row.Scan(&t.ID, &t.Slug, &t.Name, &t.Country, &t.Categories, &contact, &tier, &t.Version, &t.CreatedAt, &t.UpdatedAt)
	if err != nil {
		return t, err
	}
	t.Tier = string(crosscell.DefaultTier(t.Country))
	if tier != nil {
		t.Tier = *tier
	}
	if err := json.Unmarshal(contact, &t.Contact); err != nil {
		return t, fmt.Errorf("contact: %w", err)
	}
	return t, nil
}

// CreateTenant stores a new tenant with its owner, the person id names
// (who gets a user here in the same transaction, and nobody else does). It
// is idempotent by id: the same id and slug again returns the stored tenant
// and created=false. A slug taken by another tenant, or an id taken with
// another slug, is a Conflict.
func (db *DB) CreateTenant(ctx context.Context, t tenant.Tenant, owner firebaseauth.Identity) (_ tenant.Tenant, created bool, _ error) {
	if !ids.Valid(t.ID) {
		return tenant.Tenant{}, false, errs.InvalidFields([]errs.FieldError{{Field: "id", Detail: "must be a lower-case UUID"}})
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
		u, err := upsertUser(ctx, tx, owner)
		if err != nil {
			return err
		}
		if _, err = tx.Exec(ctx, `INSERT INTO membership (tenant_id, user_id, role) VALUES ($1, $2, 'owner')`, t.ID, u.ID); err != nil {
			return err
		}
		return recordMembership(ctx, tx, u.ID, t.ID, true)
	})
	if isUniqueViolation(err, "tenant_slug_key") {
		return tenant.Tenant{}, false, slugTaken()
	}
	if isUniqueViolation(err, "tenant_pkey") { // a concurrent retry won
		return db.CreateTenant(ctx, t, owner)
	}
	if err != nil {
		return tenant.Tenant{}, false, fmt.Errorf("postgres: create tenant: %w", err)
	}
	return out, true, nil
}

// slugTaken is the answer for a slug another business holds.
func slugTaken() error {
	return &errs.Error{Kind: errs.Conflict, Message: "another business has this slug; choose another",
		Fields: []errs.FieldError{{Field: "slug", Detail: "is taken"}}}
}

// TenantBySlugOrID returns a tenant by slug or id (a key of package
// tenantkey; anything else is Invalid).
func (db *DB) TenantBySlugOrID(ctx context.Context, key string) (tenant.Tenant, error) {
	k, err := tenantkey.Parse("tenant", key)
	if err != nil {
		return tenant.Tenant{}, err
	}
	col := "slug"
	if k.ID != "" {
		col = "id"
	}
	t, err := scanTenant(db.pool.QueryRow(ctx, `SELECT `+tenantColumns+` FROM tenant WHERE `+col+` = $1`, key))
	if err != nil {
		return tenant.Tenant{}, notFound(err, "no such business")
	}
	return t, nil
}

// UpdateTenant writes t's profile.
func (db *DB) UpdateTenant(ctx context.Context, t tenant.Tenant) (tenant.Tenant, error) {
	contact, err := json.Marshal(t.Contact)
	if err != nil {
		return tenant.Tenant{}, err
	}
	out, err := scanTenant(db.pool.QueryRow(ctx, `
		UPDATE tenant SET name = $2, categories = $3, contact = $4, tier = $5, version = version + 1, updated_at = now()
		WHERE id = $1 RETURNING `+tenantColumns, t.ID, t.Name, t.Categories, contact, t.Tier))
	if err != nil {
		return tenant.Tenant{}, notFound(err, "no such business")
	}
	return out, nil
}
