package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/storetest"
)

// postgresURLEnv names the variable that turns on the PostgreSQL tests, e.g.
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const postgresURLEnv = "TORII_TEST_POSTGRES_URL"

// postgresURL returns the test database URL, or skips loudly: a green run
// without it has NOT checked PostgreSQL.
func postgresURL(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv(postgresURLEnv)
	if dsn == "" {
		t.Skip("*** PostgreSQL conformance was NOT run: set " + postgresURLEnv +
			" (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable) to run it ***")
	}
	return dsn
}

// openPostgresTest opens a store on a schema of its own, created for the
// test and dropped after it, so that tests neither share rows nor leave any
// behind. The schema is the connection's search_path: the tables and goose's
// version table are created in it.
func openPostgresTest(t *testing.T, migrate bool) (*Store, string) {
	t.Helper()
	dsn := postgresURL(t)
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	// Unquoted identifiers fold to lower case; the name is lower case
	// already so that it reads the same in pg_tables.
	schema := "torii_test_" + strings.ToLower(rand.Text()[:16])
	if _, err := admin.ExecContext(t.Context(), `CREATE SCHEMA `+schema); err != nil {
		t.Fatal(err)
	}
	// Cleanups run last-registered first: the store closes before the drop.
	t.Cleanup(func() {
		// t.Context is already canceled when cleanups run.
		if _, err := admin.ExecContext(context.Background(), `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	s, err := Open(t.Context(), u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if migrate {
		if err := s.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	return s, schema
}

func TestPostgres(t *testing.T) {
	postgresURL(t)
	storetest.RunTests(t, func(t *testing.T) torii.Store {
		s, _ := openPostgresTest(t, true)
		return s
	})
}

func TestPostgres_MigrateInSchemaTwiceIsNoop(t *testing.T) {
	s, schema := openPostgresTest(t, false)
	ctx := t.Context()
	if s.Dialect() != "postgres" {
		t.Errorf("Dialect = %q, want postgres", s.Dialect())
	}
	if _, err := s.CountUsers(ctx); err == nil {
		t.Error("users table exists before Migrate")
	}
	for i := range 2 {
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("Migrate #%d: %v", i+1, err)
		}
	}
	for _, table := range []string{"goose_db_version", "users", "sessions", "audit_log"} {
		var n int
		err := s.read.QueryRowContext(ctx,
			`SELECT COUNT(*) FROM pg_tables WHERE schemaname = $1 AND tablename = $2`, schema, table).Scan(&n)
		if err != nil || n != 1 {
			t.Errorf("table %s in schema %s: count %d, %v; want 1", table, schema, n, err)
		}
	}
	files, err := fs.Glob(migrations, "migrations/postgres/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	var applied int
	if err := s.read.QueryRowContext(ctx, fmt.Sprintf(`SELECT COUNT(*) FROM %s.goose_db_version WHERE version_id > 0`, schema)).Scan(&applied); err != nil || applied != len(files) {
		t.Errorf("applied migrations = %d, %v; want %d (one per file)", applied, err, len(files))
	}
}
