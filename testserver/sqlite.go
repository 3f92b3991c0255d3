package testserver

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/toriihq/torii/sqlstore"
)

// migrated holds the bytes of a SQLite database file with every migration
// applied, made once per test binary: a server starts on a copy instead of
// migrating a new file, which under -race (modernc's SQLite is Go) costs
// seconds per server. Migrate still runs at start-up and finds nothing to
// do. Tests that need the first start on an empty file name their own
// TORII_DATABASE.
var migrated struct {
	once sync.Once
	file []byte
	err  error
}

// freshSQLite writes a migrated database file into the test's temporary
// directory and returns its path.
func freshSQLite(t testing.TB) string {
	t.Helper()
	migrated.once.Do(func() {
		dir, err := os.MkdirTemp("", "torii-testserver-")
		if err != nil {
			migrated.err = err
			return
		}
		defer os.RemoveAll(dir)
		path := filepath.Join(dir, "torii.db")
		s, err := sqlstore.Open(context.Background(), path)
		if err != nil {
			migrated.err = err
			return
		}
		migrated.err = s.Migrate(context.Background())
		// Closing the last connection checkpoints the WAL into the file
		// and removes it: the file alone is the database.
		if err := s.Close(); migrated.err == nil {
			migrated.err = err
		}
		if migrated.err == nil {
			migrated.file, migrated.err = os.ReadFile(path)
		}
	})
	if migrated.err != nil {
		t.Fatalf("testserver: migrated SQLite template: %v", migrated.err)
	}
	path := filepath.Join(t.TempDir(), "torii.db")
	if err := os.WriteFile(path, migrated.file, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
