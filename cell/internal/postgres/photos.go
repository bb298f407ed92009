package postgres

import (
	"context"
	"encoding/json"

	"github.com/jackc/pgx/v5"

	"github.com/pushnchat/pushnchat/cell/internal/listing"
	"github.com/pushnchat/pushnchat/internal/errs"
	"github.com/pushnchat/pushnchat/internal/ids"
)

// NewPhotoID returns the id of a photo about to be stored (its blobs are
// written under it before the row).
func NewPhotoID() string { return newID() }

// CheckPhotoSlot fails when a listing cannot take another photo: missing,
// archived, or full.
func (db *DB) CheckPhotoSlot(ctx context.Context, tenantID, listingID string) error {
	return db.tx(ctx, func(tx pgx.Tx) error {
		_, err := photoSlot(ctx, db, tx, tenantID, listingID)
		return err
	})
}

func photoSlot(ctx context.Context, db *DB, tx pgx.Tx, tenantID, listingID string) (int, error) {
	l, err := db.lockListing(ctx, tx, tenantID, listingID, nil)
	if err != nil {
		return 0, err
	}
	if l.Status == listing.Archived {
		return 0, errs.E(errs.Conflict, "an archived listing cannot change")
	}
	var n, next int
	if err := tx.QueryRow(ctx, `SELECT count(*), coalesce(max(position) + 1, 0) FROM photo WHERE listing_id = $1`, listingID).Scan(&n, &next); err != nil {
		return 0, err
	}
	if n >= listing.MaxPhotos {
		return 0, errs.E(errs.Conflict, "a listing has at most %d photos", listing.MaxPhotos)
	}
	return next, nil
}

// AddPhoto records a photo whose variants are already stored, and bumps
// the listing's version.
func (db *DB) AddPhoto(ctx context.Context, tenantID string, p listing.Photo) (listing.Photo, error) {
	stored := map[string]storedVariant{}
	for name, v := range p.Variants {
		stored[name] = storedVariant{Key: v.Key, Width: v.Width, Height: v.Height, Bytes: v.Bytes, ContentType: v.ContentType}
	}
	variants, err := json.Marshal(stored)
	if err != nil {
		return listing.Photo{}, err
	}
	err = db.tx(ctx, func(tx pgx.Tx) error {
		pos, err := photoSlot(ctx, db, tx, tenantID, p.ListingID)
		if err != nil {
			return err
		}
		p.Position = pos
		if err := tx.QueryRow(ctx, `INSERT INTO photo (id, listing_id, tenant_id, position, width, height, variants)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING created_at`,
			p.ID, p.ListingID, tenantID, p.Position, p.Width, p.Height, variants).Scan(&p.CreatedAt); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE listing SET version = version + 1, updated_at = now() WHERE id = $1`, p.ListingID)
		return err
	})
	if err != nil {
		return listing.Photo{}, err
	}
	return p, nil
}

// DeletePhoto removes a photo's row and returns it, so its blobs can go.
func (db *DB) DeletePhoto(ctx context.Context, tenantID, listingID, photoID string) (listing.Photo, error) {
	var p listing.Photo
	if !ids.Valid(photoID) {
		return p, errs.E(errs.NotFound, "no such photo")
	}
	err := db.tx(ctx, func(tx pgx.Tx) error {
		l, err := db.lockListing(ctx, tx, tenantID, listingID, nil)
		if err != nil {
			return err
		}
		if l.Status == listing.Archived {
			return errs.E(errs.Conflict, "an archived listing cannot change")
		}
		p, err = scanPhoto(tx.QueryRow(ctx, `DELETE FROM photo WHERE id = $1 AND listing_id = $2 AND tenant_id = $3
			RETURNING id, listing_id, position, width, height, variants, created_at`, photoID, listingID, tenantID))
		if err != nil {
			return notFound(err, "no such photo")
		}
		_, err = tx.Exec(ctx, `UPDATE listing SET version = version + 1, updated_at = now() WHERE id = $1`, listingID)
		return err
	})
	return p, err
}

// PhotoRef is a photo with what decides who may see it.
type PhotoRef struct {
	listing.Photo
	TenantID string
	Country  string
	Status   listing.Status
}

// Photo returns a photo and the tenant, country and status of its listing.
func (db *DB) Photo(ctx context.Context, photoID string) (PhotoRef, error) {
	var ref PhotoRef
	if !ids.Valid(photoID) {
		return ref, errs.E(errs.NotFound, "no such photo")
	}
	var variants []byte
	err := db.pool.QueryRow(ctx, `SELECT p.id, p.listing_id, p.position, p.width, p.height, p.variants, p.created_at, l.country, l.status, l.tenant_id
		FROM photo p JOIN listing l ON l.id = p.listing_id WHERE p.id = $1`, photoID).
		Scan(&ref.ID, &ref.ListingID, &ref.Position, &ref.Width, &ref.Height, &variants, &ref.CreatedAt, &ref.Country, &ref.Status, &ref.TenantID)
	if err != nil {
		return ref, notFound(err, "no such photo")
	}
	ref.Variants, err = decodeVariants(variants)
	return ref, err
}
