// Package testenv is what tests need from the machine (a PostgreSQL server,
// third-party binaries) and the rule that none of it is ever skipped
// silently: a package whose tests use it runs them through Main, which
// prints one line saying what did not run, and records what did run for
// .ci/run to check.
//
// It imports nothing of torii, so every test package can use it (package
// sqlstore's own tests included, which testserver cannot serve: it imports
// sqlstore).
package testenv

import (
	"context"
	"crypto/rand"
	"database/sql"
	"flag"
	"fmt"
	"net/url"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, to create test schemas
)

const (
	// PostgresURLEnv names the variable that turns on the PostgreSQL tests,
	// e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
	PostgresURLEnv = "TORII_TEST_POSTGRES_URL"
	// UsedFileEnv names a file to which every package whose tests used
	// PostgreSQL appends a line; .ci/run sets it and fails when PostgreSQL
	// answers on the machine but no package wrote to it.
	UsedFileEnv = "TORII_TEST_USED_FILE"
)

var (
	// inMain is set while Main runs the package's tests.
	inMain atomic.Bool
	// pgUsed counts the schemas created for the package's tests.
	pgUsed atomic.Int64

	mu sync.Mutex
	// notRun holds, per kind of test, why it did not run ("" when it did).
	notRun = map[string]string{}
)

// Main runs the package's tests  and exits with
// their code; see Run.
func Main(m *testing.M) { os.Exit(Run(m)) }

// Run runs the package's tests and then: prints one line for each kind of
// test that was skipped for want of something (PostgreSQL, a browser, a
// binary), on the terminal of whoever ran go test even without -v; and
// appends "<package dir> postgres" to $TORII_TEST_USED_FILE when the tests
// used PostgreSQL. It returns the code to exit with. Call it from TestMain
// (or Main) when the package's TestMain has more to do.
//
// Unless -parallel is given, Run raises it to 2×GOMAXPROCS, at least 4 (or
// sets DefaultParallel): these packages' parallel tests mostly wait (for
// PostgreSQL, another process, loopback HTTP), so running more of them than
// there are cores pays.
func Run(m *testing.M) int {
	inMain.Store(true)
	flag.Parse()
	raiseParallel()
	code := m.Run()
	mu.Lock()
	kinds := make([]string, 0, len(notRun))
	for k := range notRun {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	for _, k := range kinds {
		notice(notRun[k])
	}
	mu.Unlock()
	if err := dropPools(); err != nil {
		fmt.Fprintf(os.Stderr, "testenv: %v\n", err)
		code = 1
	}
	if pgUsed.Load() > 0 {
		if err := recordUsed("postgres"); err != nil {
			fmt.Fprintf(os.Stderr, "testenv: %s: %v\n", UsedFileEnv, err)
			code = 1
		}
	}
	return code
}

// DefaultParallel, when above 0, is the -parallel that Run sets unless the
// command line sets one, instead of 2×GOMAXPROCS: a package whose parallel
// tests keep the CPU busy (a browser rendering) sets it before Run.
var DefaultParallel int

// raiseParallel sets -parallel to DefaultParallel or 2×GOMAXPROCS (at
// least 4), unless the command line set it.
func raiseParallel() {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if set {
		return
	}
	n := max(4, 2*runtime.GOMAXPROCS(0))
	if DefaultParallel > 0 {
		n = DefaultParallel
	}
	_ = flag.Set("test.parallel", strconv.Itoa(n))
}

// mustBeInMain fails a test that needs the machine in a package whose
// TestMain does not run Main: its skips would go unseen.
func mustBeInMain(t testing.TB) {
	t.Helper()
	if !inMain.Load() {
		t.Fatal("this package's tests use testenv, but its TestMain does not call testenv.Main (or Run), " +
			"so a skip would go unseen: add func TestMain(m *testing.M) { testenv.Main(m) }")
	}
}

// Skip skips t, remembering for Main, which prints it once, that this kind
// of test did not run and why (line): for what a test needs from the
// machine and does not find. Tests of one kind share the kind.
func Skip(t testing.TB, kind, line string) {
	t.Helper()
	mustBeInMain(t)
	mu.Lock()
	notRun[kind] = line
	mu.Unlock()
	t.Skip("*** " + line + " ***")
}

// PostgresURL returns the PostgreSQL server to test against, or skips the
// test (in -short mode too); Main then says that the PostgreSQL half of the
// suite did not run.
func PostgresURL(t testing.TB) string {
	t.Helper()
	mustBeInMain(t)
	if testing.Short() {
		Skip(t, "postgres", "-short: the PostgreSQL half of the tests did NOT run")
	}
	dsn := os.Getenv(PostgresURLEnv)
	if dsn == "" {
		Skip(t, "postgres", "the PostgreSQL half of the tests did NOT run: set "+PostgresURLEnv+
			" (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable) to run it")
	}
	return dsn
}

// PostgresSchema creates a schema of its own for the test, dropped when
// the test ends (after everything the test started later has stopped:
// cleanups run last-registered first), and returns a URL whose
// search_path is that schema, and the schema's name. It skips as
// PostgresURL does.
//
// Commits on the returned URL do not wait for the disk
// (synchronous_commit=off): a crash loses only the last instants of a
// schema that is dropped anyway, and migrations and writes stop costing an
// fsync each.
func PostgresSchema(t testing.TB) (dsn, schema string) {
	t.Helper()
	base := PostgresURL(t)
	s, err := CreatePostgresSchema(t.Context(), base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Drop(); err != nil {
			t.Error(err)
		}
	})
	return s.DSN, s.Name
}

// Schema is a PostgreSQL schema made for tests by CreatePostgresSchema.
type Schema struct {
	// DSN is the server's URL with the schema as its search_path (and
	// synchronous_commit=off).
	DSN string
	// Name is the schema's name (lower case, no quoting needed).
	Name  string
	admin *sql.DB
}

// CreatePostgresSchema creates a schema on the server at base (a
// PostgresURL) for a caller that decides when it is dropped; PostgresSchema
// drops its schema when the test ends, a SchemaPool when Run returns.
func CreatePostgresSchema(ctx context.Context, base string) (*Schema, error) {
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return nil, err
	}
	// Unquoted identifiers fold to lower case; the name is lower case
	// already so that it reads the same in pg_tables.
	schema := "torii_test_" + strings.ToLower(rand.Text()[:16])
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		admin.Close()
		return nil, err
	}
	pgUsed.Add(1)
	s := &Schema{Name: schema, admin: admin}
	u, err := url.Parse(base)
	if err != nil {
		s.Drop()
		return nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	if q.Get("synchronous_commit") == "" {
		q.Set("synchronous_commit", "off")
	}
	u.RawQuery = q.Encode()
	s.DSN = u.String()
	return s, nil
}

// Drop drops the schema and everything in it.
func (s *Schema) Drop() error {
	defer s.admin.Close()
	// A test's context is already canceled when cleanups run.
	if _, err := s.admin.ExecContext(context.Background(), `DROP SCHEMA `+s.Name+` CASCADE`); err != nil {
		return fmt.Errorf("drop schema %s: %w", s.Name, err)
	}
	return nil
}

// Binary returns the path of a third-party program that an integration
// test needs, from the variable env (which .ci/run sets after building or
// installing the program), or skips the test; Main then says which test
// did not run and how to run it.
func Binary(t testing.TB, env, what string) string {
	t.Helper()
	mustBeInMain(t)
	if testing.Short() {
		Skip(t, env, "-short: "+what+" did NOT run")
	}
	p := os.Getenv(env)
	if p == "" {
		Skip(t, env, what+" did NOT run: set "+env+" to the program's path (bash .ci/run does)")
	}
	if _, err := os.Stat(p); err != nil {
		// An explicit choice that does not work is a mistake, not a
		// reason to skip.
		t.Fatalf("%s=%q: %v", env, p, err)
	}
	return p
}

// recordUsed appends "<dir> <what>" to $TORII_TEST_USED_FILE, if set.
func recordUsed(what string) error {
	path := os.Getenv(UsedFileEnv)
	if path == "" {
		return nil
	}
	dir, _ := os.Getwd()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(f, "%s %s\n", dir, what); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
