package sqlstore

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/toriihq/torii"
)

// flavor holds everything that differs between SQLite and PostgreSQL, so
// that every query is written once (with ? placeholders) in the files named
// after the tables.
type flavor struct {
	// name is what Store.Dialect reports.
	name string
	// goose is the goose dialect of the migrations in migrations/<name>.
	goose goose.Dialect
	// dollarBinds rewrites ? to $1..$n (PostgreSQL's only bind syntax).
	dollarBinds bool
	// forUpdate is appended to the SELECT that starts a read-modify-write
	// transaction. PostgreSQL needs the row lock; SQLite has no such clause
	// and needs none, because the writer's BEGIN IMMEDIATE already holds the
	// database's single write lock.
	forUpdate string
	// forShare is appended to a SELECT that reads a row the transaction
	// relies on without changing it (the user a session is created for):
	// writers of that row wait until the transaction ends, and a writer
	// that got there first is waited for and its result read.
	forShare string
	// timeArg turns a time into the value its column stores.
	timeArg func(time.Time) any
	// isUnique and isForeignKey classify constraint violations.
	isUnique     func(error) bool
	isForeignKey func(error) bool
	// lockTable is a statement (with %s for the table) that makes a
	// transaction the only writer of a table until it ends, for updates
	// that depend on the whole table rather than one row (signing keys).
	// SQLite needs none: BEGIN IMMEDIATE already serialises writers.
	lockTable string
	// lockRoom is a statement (binds: a lock class, the room id) that
	// serialises message inserts into one room until the transaction ends.
	// PostgreSQL hands out identity values before commit, so without it a
	// message with a larger id could commit, and be replayed, before a
	// smaller one: a reader of "after N" would then skip the smaller one
	// for good. SQLite needs none: BEGIN IMMEDIATE serialises writers.
	lockRoom string
}

// sqliteFlavor stores times as INTEGER unix microseconds (UTC): integers
// round-trip a time.Time exactly at the precision PostgreSQL keeps, and they
// compare in SQL as times do, which text formats with a variable number of
// fractional digits or a zone suffix would not.
var sqliteFlavor = flavor{
	name:      "sqlite",
	goose:     goose.DialectSQLite3,
	forUpdate: "",
	forShare:  "",
	timeArg:   func(t time.Time) any { return t.UnixMicro() },
	isUnique: func(err error) bool {
		return sqliteCode(err) == sqlite3.SQLITE_CONSTRAINT_UNIQUE ||
			sqliteCode(err) == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	},
	isForeignKey: func(err error) bool {
		return sqliteCode(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
	},
}

// postgresFlavor stores times as TIMESTAMPTZ, which keeps microseconds.
var postgresFlavor = flavor{
	name:        "postgres",
	goose:       goose.DialectPostgres,
	dollarBinds: true,
	forUpdate:   " FOR UPDATE",
	forShare:    " FOR SHARE",
	timeArg:     func(t time.Time) any { return t },
	isUnique:    func(err error) bool { return pgCode(err) == "23505" },
	isForeignKey: func(err error) bool {
		return pgCode(err) == "23503"
	},
	// SHARE ROW EXCLUSIVE conflicts with itself and with writes, not with
	// plain reads: the JWKS stays readable while keys rotate.
	lockTable: "LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE",
	lockRoom:  "SELECT pg_advisory_xact_lock(?, ?)",
}

func sqliteCode(err error) int {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return 0
}

func pgCode(err error) string {
	var e *pgconn.PgError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// rebind rewrites the ? placeholders of q for the flavor. It skips quoted
// literals so that a '?' inside one is left alone.
func (f flavor) rebind(q string) string {
	if !f.dollarBinds || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 8)
	n, quoted := 0, false
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'':
			quoted = !quoted
		case c == '?' && !quoted:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// err maps a driver error to the domain's: a missing row is ErrNotFound, a
// uniqueness violation ErrConflict, and a foreign key violation ErrNotFound
// too (the row it refers to does not exist). Anything else is wrapped with
// op so the log says where it happened.
func (f flavor) err(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return torii.ErrNotFound
	case f.isUnique(err):
		return torii.ErrConflict
	case f.isForeignKey(err):
		return torii.ErrNotFound
	}
	return fmt.Errorf("sqlstore: %s: %w", op, err)
}

// ts is the one form in which the store keeps a time: UTC, truncated to the
// microsecond (PostgreSQL's precision), without a monotonic reading. Both
// backends therefore return exactly what was written.
func ts(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// t returns the bind value of a time.
func (f flavor) t(t time.Time) any { return f.timeArg(ts(t)) }

// nt returns the bind value of a nullable time.
func (f flavor) nt(t *time.Time) any {
	if t == nil {
		return nil
	}
	return f.t(*t)
}

// timeCol scans a NOT NULL time column of either backend.
type timeCol struct{ dst *time.Time }

// Scan implements sql.Scanner.
func (c timeCol) Scan(v any) error {
	t, ok, err := scanTime(v)
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("sqlstore: NULL in a NOT NULL time column")
	}
	*c.dst = t
	return nil
}

// nullTimeCol scans a nullable time column of either backend.
type nullTimeCol struct{ dst **time.Time }

// Scan implements sql.Scanner.
func (c nullTimeCol) Scan(v any) error {
	t, ok, err := scanTime(v)
	if err != nil {
		return err
	}
	*c.dst = nil
	if ok {
		*c.dst = &t
	}
	return nil
}

// nullIntCol scans a nullable integer column (an optional user id) into
// a *int64, nil for NULL.
type nullIntCol struct{ dst **int64 }

// Scan implements sql.Scanner.
func (c nullIntCol) Scan(v any) error {
	var n sql.NullInt64
	if err := n.Scan(v); err != nil {
		return err
	}
	*c.dst = nil
	if n.Valid {
		*c.dst = &n.Int64
	}
	return nil
}

// nullInt is the argument for a nullable integer column: NULL for nil.
func nullInt(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

// scanTime accepts SQLite's unix microseconds and PostgreSQL's time.Time.
func scanTime(v driver.Value) (time.Time, bool, error) {
	switch v := v.(type) {
	case nil:
		return time.Time{}, false, nil
	case int64:
		return time.UnixMicro(v).UTC(), true, nil
	case time.Time:
		return ts(v), true, nil
	}
	return time.Time{}, false, fmt.Errorf("sqlstore: cannot scan %T into a time", v)
}
