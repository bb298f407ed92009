// Package migrate applies a service's embedded SQL migrations (goose
// format) under a PostgreSQL session advisory lock, so replicas starting
// together apply them once, in turn.
package migrate

import (
	"context"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// Up applies every migration in fsys (files *.sql at its root) to the
// database at url.
func Up(ctx context.Context, url string, fsys fs.FS) error {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	db := stdlib.OpenDB(*cfg)
	defer db.Close()
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys, goose.WithSessionLocker(locker))
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// Applied checks that every migration in fsys is applied.
func Applied(ctx context.Context, pool *pgxpool.Pool, fsys fs.FS) error {
	var applied int64
	err := pool.QueryRow(ctx, "SELECT coalesce(max(version_id), 0) FROM goose_db_version WHERE is_applied").Scan(&applied)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	entries, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return err
	}
	if applied < int64(len(entries)) {
		return fmt.Errorf("migrate: applied up to %d of %d", applied, len(entries))
	}
	return nil
}
