package sqlstore

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"testing"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/storetest"
	"github.com/toriihq/torii/testserver/testenv"
)

func TestMain(m *testing.M) {
	code := testenv.Run(m)
	if sqliteTemplate.dir != "" {
		os.RemoveAll(sqliteTemplate.dir)
	}
	os.Exit(code)
}

// postgresURL returns the test server's URL, or skips the test; TestMain
// then says in one line that the PostgreSQL half did not run.
func postgresURL(t *testing.T) string {
	t.Helper()
	return testenv.PostgresURL(t)
}

// openPostgresTest opens a store on a schema of its own, created for the
// test and dropped after it, so that tests neither share rows nor leave any
// behind. The schema is the connection's search_path: the tables and goose's
// version table are created in it.
func openPostgresTest(t *testing.T, migrate bool) (*Store, string) {
	t.Helper()
	dsn, schema := testenv.PostgresSchema(t)
	s, err := Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	// Cleanups run last-registered first: the store closes before the drop.
	t.Cleanup(func() { s.Close() })
	if migrate {
		if err := s.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	return s, schema
}

// migratedSchemas are schemas migrated once and reused, one test at a
// time, put back to their migrated state (rows and sequences) after each:
// creating, migrating and dropping a schema costs PostgreSQL seconds of
// DDL under load, which the conformance suite would pay once per subtest.
var migratedSchemas = testenv.SchemaPool{Prepare: func(ctx context.Context, dsn string) error {
	s, err := Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer s.Close()
	return s.Migrate(ctx)
}}

// openPostgresMigrated opens a store on a migrated schema of the test's
// own, with no rows but the migrations' (from migratedSchemas). Migrate
// still runs on it, finding nothing to do.
func openPostgresMigrated(t *testing.T) (*Store, string) {
	t.Helper()
	dsn, schema := migratedSchemas.Schema(t)
	s, err := Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	// Cleanups run last-registered first: the store closes before the
	// schema is put back.
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return s, schema
}

func TestPostgres(t *testing.T) {
	t.Parallel()
	postgresURL(t)
	storetest.RunTests(t, func(t *testing.T) torii.Store {
		s, _ := openPostgresMigrated(t)
		return s
	})
}

func TestPostgres_MigrateInSchemaTwiceIsNoop(t *testing.T) {
	t.Parallel()
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
