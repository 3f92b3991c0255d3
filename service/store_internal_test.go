package service

import (
	"path/filepath"
	"testing"

	"github.com/toriihq/torii/sqlstore"
)

// migratedSQLite opens a fresh, migrated SQLite store in the test's
// temporary directory, closed when the test ends: the store of the
// package's internal tests.
func migratedSQLite(t *testing.T) *sqlstore.Store {
	t.Helper()
	st, err := sqlstore.Open(t.Context(), filepath.Join(t.TempDir(), "torii.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return st
}
