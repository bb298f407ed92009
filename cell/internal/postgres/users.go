package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/pushnchat/pushnchat/cell/internal/account"
	"github.com/pushnchat/pushnchat/internal/firebaseauth"
)

// A cell keeps personal data only of the people who belong to one of its
// businesses: a user is created when someone becomes a member (the owner
// at sign-up, a colleague accepting an invitation) and forgets email and
// name when their last membership ends. Merely calling the cell — with a
// valid token, on a business they may not see — stores nothing.

const userCols = `u.id, u.firebase_uid, coalesce(u.email, ''), coalesce(u.display_name, ''), u.created_at`

func scanUser(row pgx.Row) (account.User, error) { return scanUserAnd(row) }

// scanUserAnd scans a user followed by more columns into more.
func scanUserAnd(row pgx.Row, more ...any) (account.User, error) {
	var u account.User
	err := row.Scan(append([]any{&u.ID, &u.FirebaseUID, &u.Email, &u.DisplayName, &u.CreatedAt}, more...)...)
	return u, err
}

// KnownUser returns the cell user of a verified identity, or ok=false for
// someone with no account here. The email and name of a member are
// refreshed when the token says they changed; a former member's are not
// stored again.
func (db *DB) KnownUser(ctx context.Context, id firebaseauth.Identity) (_ account.User, ok bool, _ error) {
	var member bool
	u, err := scanUserAnd(db.pool.QueryRow(ctx, `SELECT `+userCols+`, EXISTS (SELECT 1 FROM membership m WHERE m.user_id = u.id)
		FROM app_user u WHERE firebase_uid = $1`, id.UID), &member)
	if errors.Is(err, pgx.ErrNoRows) {
		return account.User{}, false, nil
	}
	if err != nil {
		return account.User{}, false, fmt.Errorf("postgres: user: %w", err)
	}
	if !member || (id.Email == "" || id.Email == u.Email) && (id.Name == "" || id.Name == u.DisplayName) {
		return u, true, nil // the common case: nothing changed
	}
	refreshed, err := scanUser(db.pool.QueryRow(ctx, `UPDATE app_user u SET
			email = coalesce(nullif($2, ''), u.email), display_name = coalesce(nullif($3, ''), u.display_name)
		WHERE u.id = $1 RETURNING `+userCols, u.ID, id.Email, id.Name))
	if err != nil {
		return account.User{}, false, fmt.Errorf("postgres: refresh user: %w", err)
	}
	return refreshed, true, nil
}

// upsertUser returns the cell user of someone becoming a member, creating
// it or refreshing its email and name, inside the transaction that makes
// them a member.
func upsertUser(ctx context.Context, tx pgx.Tx, id firebaseauth.Identity) (account.User, error) {
	u, err := scanUser(tx.QueryRow(ctx, `
		INSERT INTO app_user AS u (id, firebase_uid, email, display_name) VALUES ($1, $2, nullif($3, ''), nullif($4, ''))
		ON CONFLICT (firebase_uid) DO UPDATE SET
			email = coalesce(EXCLUDED.email, u.email),
			display_name = coalesce(EXCLUDED.display_name, u.display_name)
		RETURNING `+userCols, newID(), id.UID, id.Email, id.Name))
	if err != nil {
		return account.User{}, fmt.Errorf("postgres: upsert user: %w", err)
	}
	return u, nil
}
