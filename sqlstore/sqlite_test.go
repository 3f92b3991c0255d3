package sqlstore

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/storetest"
)

// openSQLiteTest opens a migrated store on a fresh file: a copy of the
// package's template, which Migrate made from an empty file.
func openSQLiteTest(t *testing.T) *Store {
	t.Helper()
	return openSQLiteCopy(t)
}

// sqliteTemplate is a database file migrated once for the package: a
// conformance subtest starts from a copy of it instead of running every
// migration again, which under -race (modernc's SQLite is Go) costs
// seconds per store.
var sqliteTemplate struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// openSQLiteCopy opens a store on a fresh copy of the migrated template.
// Migrate still runs on it, finding nothing to do.
func openSQLiteCopy(t *testing.T) *Store {
	t.Helper()
	tpl := &sqliteTemplate
	tpl.once.Do(func() {
		tpl.dir, tpl.err = os.MkdirTemp("", "torii-sqlite-template-")
		if tpl.err != nil {
			return
		}
		tpl.path = filepath.Join(tpl.dir, "template.db")
		s, err := Open(context.Background(), tpl.path)
		if err != nil {
			tpl.err = err
			return
		}
		tpl.err = s.Migrate(context.Background())
		// Closing the last connection checkpoints the WAL into the file
		// and removes it: the file alone is the database.
		if err := s.Close(); tpl.err == nil {
			tpl.err = err
		}
	})
	if tpl.err != nil {
		t.Fatalf("SQLite template: %v", tpl.err)
	}
	b, err := os.ReadFile(tpl.path)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "torii.db")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSQLite(t *testing.T) {
	t.Parallel()
	storetest.RunTests(t, func(t *testing.T) torii.Store { return openSQLiteCopy(t) })
}

func TestSQLite_OpenDoesNotMigrate(t *testing.T) {
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "torii.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Dialect() != "sqlite" {
		t.Errorf("Dialect = %q, want sqlite", s.Dialect())
	}
	if _, err := s.CountUsers(t.Context()); err == nil {
		t.Error("users table exists before Migrate")
	}
}

func TestSQLite_MigrateTwiceIsNoop(t *testing.T) {
	s := openSQLiteTest(t)
	u, err := s.CreateUser(t.Context(), torii.User{Email: "ann@example.com", Status: torii.StatusActive})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	if _, err := s.UserByID(t.Context(), u.ID); err != nil {
		t.Errorf("user after second Migrate: %v", err)
	}
}

// Writes go through the writer pool and plain reads through the reader
// pool: each must see what the other committed.
func TestSQLite_PoolsSeeEachOthersWrites(t *testing.T) {
	s := openSQLiteTest(t)
	ctx := t.Context()
	if s.read == s.write {
		t.Fatal("SQLite store has one pool, want a reader and a writer")
	}
	u, err := s.CreateUser(ctx, torii.User{Email: "ann@example.com", Status: torii.StatusActive})
	if err != nil {
		t.Fatal(err)
	}
	var email string
	if err := s.read.QueryRowContext(ctx, `SELECT email FROM users WHERE id = ?`, u.ID).Scan(&email); err != nil {
		t.Fatalf("reader does not see the writer's insert: %v", err)
	}
	// Hold a read transaction open on the reader while the writer commits:
	// WAL lets the write proceed, and a new read sees it.
	tx, err := s.read.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if _, err := s.write.ExecContext(ctx, `UPDATE users SET name = 'Ann' WHERE id = ?`, u.ID); err != nil {
		t.Fatalf("writer blocked by an open reader: %v", err)
	}
	got, err := s.UserByID(ctx, u.ID)
	if err != nil || got.Name != "Ann" {
		t.Errorf("reader sees name %q (%v), want Ann", got.Name, err)
	}
	if _, err := s.read.ExecContext(ctx, `UPDATE users SET name = 'x'`); err == nil {
		t.Error("the reader pool accepted a write")
	}
}

func TestSQLite_RejectsMemoryDatabase(t *testing.T) {
	for _, dsn := range []string{"", ":memory:", "file::memory:?cache=shared"} {
		if s, err := Open(t.Context(), dsn); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded, want an error", dsn)
		}
	}
}
