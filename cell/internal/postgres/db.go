// Package postgres stores a cell's data in its PostgreSQL database: users,
// tenants and their teams, listings, photos and idempotency records. Every
// tenant-owned row carries tenant_id and every query is scoped by it.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"

	"github.com/exaring/otelpgx"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/pushnchat/pushnchat/internal/errs"
	"github.com/pushnchat/pushnchat/internal/migrate"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is the cell's database.
type DB struct {
	pool     *pgxpool.Pool
	appender appender
}

// appenderConns bounds the group commit's own pool: one batch runs at a
// time, and a few spare connections cover a reconnect.
const appenderConns = 4

// Open connects a pool to url, traced and measured with the given providers
// (nil for none).
func Open(ctx context.Context, url string, tp trace.TracerProvider, mp metric.MeterProvider) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if tp != nil {
		cfg.ConnConfig.Tracer = otelpgx.NewTracer(otelpgx.WithTracerProvider(tp))
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if mp != nil {
		if err := otelpgx.RecordStats(pool, otelpgx.WithStatsMeterProvider(mp)); err != nil {
			pool.Close()
			return nil, fmt.Errorf("postgres: pool metrics: %w", err)
		}
	}
	// The group commit's statement has one good plan whatever its arrays
	// hold, but PostgreSQL, left to choose, plans it afresh on every call
	// (which costs more than running it); its own pool keeps one generic
	// plan per connection. That plan cannot know how many conversations a
	// batch holds, and on a small conversation table it chose a nested
	// loop over sequential scans: a scan of the table per conversation in
	// the batch (with the statement of the time, 250 ms for 256 messages
	// over 100 conversations). Without sequential scans it looks each one
	// up by its primary key, at any table size.
	acfg := cfg.Copy()
	acfg.ConnConfig.RuntimeParams["plan_cache_mode"] = "force_generic_plan"
	acfg.ConnConfig.RuntimeParams["enable_seqscan"] = "off"
	acfg.MaxConns = appenderConns
	apool, err := pgxpool.NewWithConfig(ctx, acfg)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if mp != nil {
		if err := otelpgx.RecordStats(apool, otelpgx.WithStatsMeterProvider(mp),
			otelpgx.WithStatsAttributes(attribute.String("pool", "group_commit"))); err != nil {
			apool.Close()
			pool.Close()
			return nil, fmt.Errorf("postgres: group commit pool metrics: %w", err)
		}
	}
	db := &DB{pool: pool}
	db.appender.db, db.appender.pool = db, apool
	return db, nil
}

// Close closes the pools.
func (db *DB) Close() {
	db.appender.pool.Close()
	db.pool.Close()
}

// Pool exposes the pool to tests and benchmarks in this module.
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

func migrationFS() fs.FS {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		panic(err) // the embedded directory exists
	}
	return sub
}

// Migrate applies the embedded migrations to the database at url.
func Migrate(ctx context.Context, url string) error { return migrate.Up(ctx, url, migrationFS()) }

// Ready checks the database answers and every embedded migration is applied.
func (db *DB) Ready(ctx context.Context) error { return migrate.Applied(ctx, db.pool, migrationFS()) }

// tx runs f in a transaction.
func (db *DB) tx(ctx context.Context, f func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, db.pool, f)
}

// notFound turns pgx.ErrNoRows into a NotFound error with msg.
func notFound(err error, msg string) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return errs.E(errs.NotFound, "%s", msg)
	}
	return err
}

// isUniqueViolation reports a unique constraint failure, by constraint name
// when given.
func isUniqueViolation(err error, constraint string) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505" && (constraint == "" || pe.ConstraintName == constraint)
}
