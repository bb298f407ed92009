package directory

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/pushnchat/pushnchat/internal/errs"
	"github.com/pushnchat/pushnchat/internal/membershipfeed"
)

// User is a person's directory entry: every cell where they belong to a
// business, in the order they joined them. HomeCell, the first, is where
// their requests go unless they name another of Cells.
type User struct {
	UID      string   `json:"uid"`
	HomeCell string   `json:"home_cell"`
	Cells    []string `json:"cells"`
	Version  int64    `json:"version"`
}

// LookupUser finds a person's cells; NotFound when they belong to no
// business anywhere.
func (s *Store) LookupUser(ctx context.Context, uid string) (User, error) {
	var u User
	err := s.pool.QueryRow(ctx, `SELECT uid, home_cell, cells, version FROM user_directory WHERE uid = $1`, uid).
		Scan(&u.UID, &u.HomeCell, &u.Cells, &u.Version)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && len(u.Cells) == 0) {
		return User{}, errs.E(errs.NotFound, "no business account yet: sign up, or accept an invitation")
	}
	if err != nil {
		return User{}, fmt.Errorf("directory: lookup user: %w", err)
	}
	return u, nil
}

// addUserCell makes cell one of the person's cells, and reports whether
// that changed their entry (which then goes on the change feed).
func addUserCell(ctx context.Context, tx pgx.Tx, uid, cell string) (bool, error) {
	return changeUser(ctx, tx, uid, `
		INSERT INTO user_directory (uid, home_cell, cells) VALUES ($1, $2, ARRAY[$2])
		ON CONFLICT (uid) DO UPDATE SET cells = user_directory.cells || $2,
			home_cell = CASE WHEN user_directory.home_cell = '' THEN $2 ELSE user_directory.home_cell END,
			version = user_directory.version + 1, updated_at = now()
		WHERE NOT ($2 = ANY (user_directory.cells))
		RETURNING home_cell, cells, version`, cell)
}

// removeUserCell takes cell out of the person's cells; their next cell
// becomes home when it was. It reports whether the entry changed.
func removeUserCell(ctx context.Context, tx pgx.Tx, uid, cell string) (bool, error) {
	return changeUser(ctx, tx, uid, `
		UPDATE user_directory SET cells = array_remove(cells, $2),
			home_cell = CASE WHEN home_cell = $2 THEN coalesce((array_remove(cells, $2))[1], '') ELSE home_cell END,
			version = version + 1, updated_at = now()
		WHERE uid = $1 AND $2 = ANY (cells)
		RETURNING home_cell, cells, version`, cell)
}

// changeUser runs one of the statements above and records the new entry
// on the change feed.
func changeUser(ctx context.Context, tx pgx.Tx, uid, sql, cell string) (bool, error) {
	var u User
	err := tx.QueryRow(ctx, sql, uid, cell).Scan(&u.HomeCell, &u.Cells, &u.Version)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil // nothing to change
	}
	if err != nil {
		return false, fmt.Errorf("directory: user %s: %w", uid, err)
	}
	_, err = tx.Exec(ctx, `INSERT INTO directory_change (kind, uid, home_cell, cells, status, version) VALUES ('user', $1, $2, $3, 'active', $4)`,
		uid, u.HomeCell, u.Cells, u.Version)
	return err == nil, err
}

// FeedPosition is where the directory stands in a cell's membership feed:
// the seq of the last entry applied.
func (s *Store) FeedPosition(ctx context.Context, cell string) (int64, error) {
	var after int64
	err := s.pool.QueryRow(ctx, `SELECT after FROM membership_feed WHERE cell = $1`, cell).Scan(&after)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("directory: feed position: %w", err)
	}
	return after, nil
}

// ApplyMemberships applies a page of a cell's membership feed to the
// people it names — the last entry about each says whether the cell is
// one of theirs — and moves the feed position, in one transaction: a
// crash applies the page again, which changes nothing twice.
func (s *Store) ApplyMemberships(ctx context.Context, cell string, page membershipfeed.Page) error {
	last := map[string]membershipfeed.Change{}
	var order []string
	for _, c := range page.Changes {
		if _, seen := last[c.UID]; !seen {
			order = append(order, c.UID)
		}
		last[c.UID] = c
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		changed := false
		for _, uid := range order {
			var did bool
			var err error
			if last[uid].Memberships > 0 {
				did, err = addUserCell(ctx, tx, uid, cell)
			} else {
				did, err = removeUserCell(ctx, tx, uid, cell)
			}
			if err != nil {
				return err
			}
			changed = changed || did
		}
		if _, err := tx.Exec(ctx, `INSERT INTO membership_feed (cell, after) VALUES ($1, $2)
			ON CONFLICT (cell) DO UPDATE SET after = greatest(membership_feed.after, EXCLUDED.after)`, cell, page.LastSeq); err != nil {
			return fmt.Errorf("directory: feed position: %w", err)
		}
		if changed {
			if _, err := tx.Exec(ctx, `SELECT pg_notify($1, '')`, Channel); err != nil {
				return err
			}
		}
		return nil
	})
}
