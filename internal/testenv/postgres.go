package testenv

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pushnchat/pushnchat/internal/devstack"
)

// Template describes how the databases of a test are prepared. Each named
// template is built once per test binary; every test then gets a copy.
type Template struct {
	// Name identifies the template; letters, digits and underscores.
	Name string
	// Migrate prepares an empty database at url (schema, extensions, seed
	// rows). Nil leaves it empty.
	Migrate func(ctx context.Context, url string) error
}

type postgresEnv struct {
	admin  string // superuser URL of database "postgres"
	server *devstack.Postgres

	mu        sync.Mutex
	templates map[string]*templateDB
	seq       atomic.Int64
}

type templateDB struct {
	once sync.Once
	name string
	err  error
}

var validName = regexp.MustCompile(`^[a-z0-9_]{1,30}$`)

// Postgres returns the URL of a new, empty-but-migrated database of its own
// for t, dropped when t ends.
func Postgres(t testing.TB, tmpl Template) string {
	t.Helper()
	if !validName.MatchString(tmpl.Name) {
		t.Fatalf("testenv: template name %q: want 1-30 of [a-z0-9_]", tmpl.Name)
	}
	pg := shared.postgres(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	tpl, err := pg.template(ctx, tmpl)
	if err != nil {
		t.Fatalf("testenv: template %s: %v", tmpl.Name, err)
	}
	name := fmt.Sprintf("t_%s_%d_%d", tmpl.Name, os.Getpid(), pg.seq.Add(1))
	if err := pg.exec(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s STRATEGY FILE_COPY", name, tpl)); err != nil {
		t.Fatalf("testenv: create database for %s: %v", t.Name(), err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := pg.exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("testenv: drop database %s: %v", name, err)
		}
	})
	return withDatabase(pg.admin, name)
}

// PostgresAdminURL is the superuser URL of the binary's PostgreSQL server,
// for tests that manage databases themselves.
func PostgresAdminURL(t testing.TB) string {
	t.Helper()
	return shared.postgres(t).admin
}

func (e *env) postgres(t testing.TB) *postgresEnv {
	t.Helper()
	e.start(t, "postgres", func() bool { return e.pg != nil }, func(ctx context.Context) error {
		pe := &postgresEnv{templates: map[string]*templateDB{}}
		if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
			pe.admin = u
			e.stops = append(e.stops, pe.dropTemplates)
		} else {
			srv, err := devstack.StartPostgres(ctx, devstack.PostgresConfig{
				Bin:     e.tools.PostgresBin,
				DataDir: e.dir("postgres"),
			})
			if err != nil {
				return err
			}
			pe.server, pe.admin = srv, srv.URL("postgres")
			e.stops = append(e.stops, srv.Stop)
		}
		e.pg = pe
		return nil
	})
	return e.pg
}

// template builds the named template database once.
func (pg *postgresEnv) template(ctx context.Context, tmpl Template) (string, error) {
	pg.mu.Lock()
	td := pg.templates[tmpl.Name]
	if td == nil {
		td = &templateDB{name: fmt.Sprintf("tpl_%s_%d", tmpl.Name, os.Getpid())}
		pg.templates[tmpl.Name] = td
	}
	pg.mu.Unlock()
	td.once.Do(func() {
		if td.err = pg.exec(ctx, "CREATE DATABASE "+td.name); td.err != nil {
			return
		}
		if tmpl.Migrate != nil {
			if err := tmpl.Migrate(ctx, withDatabase(pg.admin, td.name)); err != nil {
				td.err = fmt.Errorf("migrate: %w", err)
				return
			}
		}
		// No one may connect to a template while it is copied.
		td.err = pg.exec(ctx, "ALTER DATABASE "+td.name+" WITH ALLOW_CONNECTIONS false IS_TEMPLATE true")
	})
	return td.name, td.err
}

func (pg *postgresEnv) exec(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, pg.admin)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}

// dropTemplates removes this binary's templates from a shared server.
func (pg *postgresEnv) dropTemplates() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pg.mu.Lock()
	defer pg.mu.Unlock()
	var first error
	for _, td := range pg.templates {
		for _, q := range []string{
			"ALTER DATABASE " + td.name + " WITH IS_TEMPLATE false",
			"DROP DATABASE IF EXISTS " + td.name + " WITH (FORCE)",
		} {
			if err := pg.exec(ctx, q); err != nil && first == nil && !strings.Contains(err.Error(), "does not exist") {
				first = err
			}
		}
	}
	return first
}

// withDatabase swaps the database name in a PostgreSQL URL.
func withDatabase(raw, db string) string {
	u, err := url.Parse(raw)
	if err != nil {
		panic(fmt.Sprintf("testenv: bad database URL: %v", err))
	}
	u.Path = "/" + db
	return u.String()
}
