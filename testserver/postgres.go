package testserver

import (
	"testing"

	"github.com/toriihq/torii/testserver/testenv"
)

// PostgresDatabase returns a TORII_DATABASE URL for a schema of its own,
// created now and dropped when the test ends (after the servers started
// later in the test have stopped: cleanups run last-registered first). It
// skips the test when testenv.PostgresURLEnv is not set (or with -short), and the
// package's TestMain, which must call testenv.Main, then says so in one
// line.
func PostgresDatabase(t testing.TB) string {
	t.Helper()
	dsn, _ := testenv.PostgresSchema(t)
	return dsn
}
