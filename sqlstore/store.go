// Package sqlstore implements torii.Store on SQLite and PostgreSQL with one
// set of queries. What differs between the two lives in a small flavor
// (flavor.go); the rules of the contract are checked on both by the
// conformance suite in package storetest.
package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"runtime"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/toriihq/torii"
)

//go:embed migrations
var migrations embed.FS

// sqlitePragmas apply to every SQLite connection: WAL lets readers run while
// the writer writes; busy_timeout makes a connection wait for a lock rather
// than fail at once; synchronous(NORMAL) is safe under WAL and much faster
// than FULL; foreign keys are off by default in SQLite.
const sqlitePragmas = "_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)"

// Store is a torii.Store backed by SQLite or PostgreSQL. Its methods are safe
// for concurrent use.
type Store struct {
	// read serves plain reads, write every write and every transaction. For
	// SQLite write is a pool of one connection whose transactions begin
	// IMMEDIATE: writers queue in Go instead of failing with SQLITE_BUSY,
	// and a transaction that reads then writes can never deadlock on the
	// lock upgrade. For PostgreSQL both are the same pool.
	read, write *sql.DB
	f           flavor
	now         func() time.Time
	// readStmts and writeStmts cache prepared statements (SQLite only).
	readStmts, writeStmts *stmtCache
	// batch group-commits hot writes: sign-ins, chat messages (SQLite
	// only).
	batch *groupCommitter
	// ckpt checkpoints the WAL in the background (SQLite only).
	ckpt *checkpointer
	// dsn is the PostgreSQL URL (without pool parameters), for the chat
	// broker's listener connection.
	dsn string
}

var _ torii.Store = (*Store)(nil)

// Open connects to the database named by dsn: a postgres:// or
// postgresql:// URL selects PostgreSQL, anything else is the path of a
// SQLite file (created if missing). Open does not migrate; call Migrate.
func Open(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	o := openOptions{checkpointEvery: checkpointEvery}
	for _, f := range opts {
		f(&o)
	}
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return openPostgres(ctx, dsn)
	}
	return openSQLite(ctx, dsn, o)
}

// Option adjusts Open.
type Option func(*openOptions)

type openOptions struct {
	checkpointEvery time.Duration
}

// WithCheckpointInterval replaces how often SQLite's WAL is checkpointed
// in the background (checkpointEvery; d ≤ 0 keeps it). Test servers, of
// which a test binary runs hundreds, lengthen it: the writer's automatic
// checkpoint remains the backstop. PostgreSQL ignores it.
func WithCheckpointInterval(d time.Duration) Option {
	return func(o *openOptions) {
		if d > 0 {
			o.checkpointEvery = d
		}
	}
}

func openPostgres(ctx context.Context, dsn string) (*Store, error) {
	dsn, pool, err := parsePool(dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: open postgres: %w", err)
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: open postgres: %w", err)
	}
	db.SetMaxOpenConns(pool.maxOpen)
	db.SetMaxIdleConns(pool.maxIdle)
	db.SetConnMaxIdleTime(pool.maxIdleTime)
	db.SetConnMaxLifetime(pool.lifetime)
	s := &Store{read: db, write: db, f: postgresFlavor, now: time.Now, dsn: dsn}
	if err := s.Ping(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlstore: open postgres: %w", err)
	}
	return s, nil
}

func openSQLite(ctx context.Context, path string, o openOptions) (*Store, error) {
	// Two pools on one in-memory database would be two databases, and a
	// query string would be silently dropped by the driver.
	if path == "" || strings.Contains(path, ":memory:") || strings.Contains(path, "mode=memory") {
		return nil, errors.New("sqlstore: SQLite needs a file path")
	}
	if strings.Contains(path, "?") {
		return nil, fmt.Errorf("sqlstore: SQLite path %q must not carry parameters", path)
	}
	// The writer is opened and pinged first: it switches the file to WAL,
	// which is persistent, before any reader connects.
	// temp_store(MEMORY) keeps statement journals (the undo log of one
	// statement inside a transaction, e.g. a multi-row INSERT of a group
	// commit) in memory: past 64 KiB SQLite would spill them to a temporary
	// file, a write system call per page.
	write, err := sql.Open("sqlite", path+"?"+sqlitePragmas+"&_pragma=journal_mode(WAL)&_txlock=immediate"+
		fmt.Sprintf("&_pragma=wal_autocheckpoint(%d)&_pragma=temp_store(MEMORY)", walAutoCheckpoint))
	if err != nil {
		return nil, fmt.Errorf("sqlstore: open sqlite: %w", err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	if err := write.PingContext(ctx); err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlstore: open sqlite: %w", err)
	}
	// query_only turns a write sent to the reader by mistake into an error
	// instead of a SQLITE_BUSY under load.
	read, err := sql.Open("sqlite", path+"?"+sqlitePragmas+"&_pragma=query_only(1)")
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlstore: open sqlite: %w", err)
	}
	n := max(4, runtime.NumCPU())
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)
	s := &Store{read: read, write: write, f: sqliteFlavor, now: time.Now,
		readStmts: newStmtCache(read), writeStmts: newStmtCache(write)}
	if err := s.Ping(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlstore: open sqlite: %w", err)
	}
	// The checkpointer's connection is neither the writer (it must not
	// wait for it) nor a reader (query_only).
	ckpt, err := sql.Open("sqlite", path+"?"+sqlitePragmas)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlstore: open sqlite: %w", err)
	}
	ckpt.SetMaxOpenConns(1)
	s.ckpt = newCheckpointer(ckpt, o.checkpointEvery)
	s.batch = newGroupCommitter(s)
	return s, nil
}

// Dialect returns "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.f.name }

// Migrate applies the embedded migrations that the database lacks; running
// it again is a no-op. On PostgreSQL it holds an advisory lock, keyed by the
// database and schema, so that instances starting together take turns.
// Goose's version table lives in the current schema (search_path).
func (s *Store) Migrate(ctx context.Context) error {
	fsys, err := fs.Sub(migrations, "migrations/"+s.f.name)
	if err != nil {
		return fmt.Errorf("sqlstore: migrate: %w", err)
	}
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}
	if s.f.name == postgresFlavor.name {
		id, err := s.migrationLockID(ctx)
		if err != nil {
			return fmt.Errorf("sqlstore: migrate: %w", err)
		}
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(id), lock.WithLockTimeout(1, 300))
		if err != nil {
			return fmt.Errorf("sqlstore: migrate: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(s.f.goose, s.write, fsys, opts...)
	if err != nil {
		return fmt.Errorf("sqlstore: migrate: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("sqlstore: migrate: %w", err)
	}
	return nil
}

// migrationLockID derives the advisory lock id from the database and schema,
// so that migrations of unrelated schemas (tests) never wait for each other.
func (s *Store) migrationLockID(ctx context.Context) (int64, error) {
	var name string
	if err := s.write.QueryRowContext(ctx, "SELECT current_database() || '.' || current_schema()").Scan(&name); err != nil {
		return 0, err
	}
	h := fnv.New64a()
	h.Write([]byte("torii.migrate." + name))
	return int64(h.Sum64()), nil
}

// Ping checks that both pools reach the database.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.write.PingContext(ctx); err != nil {
		return err
	}
	if s.read != s.write {
		return s.read.PingContext(ctx)
	}
	return nil
}

// Close closes the pools.
func (s *Store) Close() error {
	s.batch.close()
	cerr := s.ckpt.close()
	s.readStmts.close()
	s.writeStmts.close()
	err := errors.Join(cerr, s.write.Close())
	if s.read != s.write {
		err = errors.Join(err, s.read.Close())
	}
	return err
}

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// conn runs queries written with ? placeholders on a pool or a transaction,
// rebinding them for the flavor. With a statement cache, each query is
// prepared once per connection instead of at every call.
type conn struct {
	q     querier
	f     flavor
	stmts *stmtCache
	tx    *sql.Tx
	// missed collects queries of a transaction that were not cached yet:
	// they are prepared after it ends, because preparing needs a free
	// connection and SQLite's writer pool has only the one the
	// transaction holds.
	missed *[]string
}

func (c conn) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := c.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return c.q.ExecContext(ctx, c.f.rebind(query), args...)
}

func (c conn) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := c.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return c.q.QueryContext(ctx, c.f.rebind(query), args...)
}

func (c conn) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if st := c.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return c.q.QueryRowContext(ctx, c.f.rebind(query), args...)
}

// stmt returns the cached prepared statement for query, bound to the
// transaction if there is one, or nil to run the query unprepared.
func (c conn) stmt(ctx context.Context, query string) *sql.Stmt {
	q := c.f.rebind(query)
	if c.tx == nil {
		return c.stmts.get(ctx, q)
	}
	st := c.stmts.lookup(q)
	if st == nil {
		if c.stmts != nil {
			*c.missed = append(*c.missed, q)
		}
		return nil
	}
	// The transaction's connection reuses its own preparation of st.
	return c.tx.StmtContext(ctx, st)
}

// reader is for plain reads, writer for single-statement writes.
func (s *Store) reader() conn { return conn{q: s.read, f: s.f, stmts: s.readStmts} }
func (s *Store) writer() conn { return conn{q: s.write, f: s.f, stmts: s.writeStmts} }

// inTx runs fn in a transaction on the writer, committing if fn returns nil.
// fn's error is returned as is so that callers' sentinels survive.
func (s *Store) inTx(ctx context.Context, fn func(c conn) error) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlstore: begin: %w", err)
	}
	var missed []string
	defer func() {
		for _, q := range missed {
			s.writeStmts.get(ctx, q)
		}
	}()
	if err := fn(conn{q: tx, f: s.f, stmts: s.writeStmts, tx: tx, missed: &missed}); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return s.f.err("commit", err)
	}
	return nil
}

// changed turns a write that changed no row into ErrNotFound.
func (s *Store) changed(op string, res sql.Result, err error) error {
	n, err := s.affected(op, res, err)
	if err == nil && n == 0 {
		return torii.ErrNotFound
	}
	return err
}

// affected returns how many rows a write changed.
func (s *Store) affected(op string, res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, s.f.err(op, err)
	}
	n, err := res.RowsAffected()
	return n, s.f.err(op, err)
}

// limit applies the list defaults: 50 rows unless asked, never more than 100.
func limit(n int) int {
	switch {
	case n <= 0:
		return defaultLimit
	case n > maxLimit:
		return maxLimit
	}
	return n
}

// Page sizes of the List methods.
const (
	defaultLimit = 50
	maxLimit     = 100
)

// scanner is what *sql.Row and *sql.Rows have in common.
type scanner interface{ Scan(dest ...any) error }
