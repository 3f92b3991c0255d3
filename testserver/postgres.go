package testserver

import (
	"context"
	"crypto/rand"
	"database/sql"
	"net/url"
	"os"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, to create the test schema
)

// postgresURLEnv names the variable that turns on the PostgreSQL tests, e.g.
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const postgresURLEnv = "TORII_TEST_POSTGRES_URL"

// PostgresDatabase returns a TORII_DATABASE URL for a schema of its own,
// created now and dropped when the test ends (after the servers started
// later in the test have stopped: cleanups run last-registered first). It
// skips the test loudly when postgresURLEnv is not set.
func PostgresDatabase(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(postgresURLEnv)
	if dsn == "" {
		t.Skip("*** PostgreSQL test NOT run: set " + postgresURLEnv +
			" (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable) to run it ***")
	}
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	schema := "torii_test_" + strings.ToLower(rand.Text()[:16])
	if _, err := admin.ExecContext(t.Context(), `CREATE SCHEMA `+schema); err != nil {
		admin.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		defer admin.Close()
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
	return u.String()
}
