package directory

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/pushnchat/pushnchat/internal/pgnotify"
)

// Change is one entry of the change feed.
type Change struct {
	Seq      int64    `json:"seq"`
	Kind     string   `json:"kind"` // tenant or user
	TenantID string   `json:"tenant_id,omitempty"`
	Slug     string   `json:"slug,omitempty"`
	UID      string   `json:"uid,omitempty"`
	Country  string   `json:"country,omitempty"`
	HomeCell string   `json:"home_cell"`
	Cells    []string `json:"cells,omitempty"` // users: every cell of theirs, home first
	Status   Status   `json:"status"`
	Version  int64    `json:"version"`
}

// Channel is the NOTIFY channel of the change feed.
const Channel = "directory_changes"

// Changes returns up to limit changes after seq.
func (s *Store) Changes(ctx context.Context, after int64, limit int) ([]Change, error) {
	rows, err := s.pool.Query(ctx, `SELECT seq, kind, coalesce(tenant_id::text, ''), coalesce(slug, ''), coalesce(uid, ''),
		coalesce(country, ''), home_cell, coalesce(cells, '{}'), status, version FROM directory_change WHERE seq > $1 ORDER BY seq LIMIT $2`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("directory: changes: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Change, error) {
		var c Change
		err := r.Scan(&c.Seq, &c.Kind, &c.TenantID, &c.Slug, &c.UID, &c.Country, &c.HomeCell, &c.Cells, &c.Status, &c.Version)
		if len(c.Cells) == 0 {
			c.Cells = nil
		}
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("directory: changes: %w", err)
	}
	return out, nil
}

// Listen calls notify (without blocking on it) whenever the feed grows,
// until ctx ends. It reconnects after failures.
func (s *Store) Listen(ctx context.Context, notify func()) {
	pgnotify.Listen(ctx, s.url, Channel, notify)
}
