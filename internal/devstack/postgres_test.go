package devstack

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// A checkout inside a directory private to root (a clone under a 0700
// home) still gets its clusters: PostgreSQL, which runs as another account
// when we are root, keeps them where it can reach them, behind a link in
// the platform directory.
func TestPostgresStartsUnderAPrivateParent(t *testing.T) {
	private := t.TempDir()
	if err := os.Chmod(private, 0o700); err != nil {
		t.Fatal(err)
	}
	dataDir := filepath.Join(private, "checkout", ".pushnchat", "lagos-1", "pg")
	pg, err := StartPostgres(context.Background(), PostgresConfig{DataDir: dataDir})
	if err != nil {
		t.Fatalf("start under a private parent: %v", err)
	}
	if err := pg.Stop(); err != nil {
		t.Errorf("stop: %v", err)
	}
	// Started again from the same place, it finds the same cluster.
	pg, err = StartPostgres(context.Background(), PostgresConfig{DataDir: dataDir})
	if err != nil {
		t.Fatalf("start again: %v", err)
	}
	defer pg.Stop()
	real, err := filepath.EvalSymlinks(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(real, "PG_VERSION")); err != nil {
		t.Errorf("no cluster behind %s: %v", dataDir, err)
	}
	if real != dataDir {
		t.Cleanup(func() { os.RemoveAll(real) })
	}
}
