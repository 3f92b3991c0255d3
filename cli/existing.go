package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/toriihq/torii/config"
	"github.com/toriihq/torii/sqlstore"
)

// Every command but serve and migrate works on a database that already
// exists: run from the wrong directory, `torii user grant …` must not
// create a fresh, empty torii.db there and answer "no user" (issue 13).

// errNoDatabase says which database was looked for and how to point at
// the right one.
func errNoDatabase(what string) error {
	return fmt.Errorf("no torii database at %s: set TORII_DATABASE (or --database) to the server's database, "+
		"or run from the directory that holds it; `torii migrate` creates a new one", what)
}

// sqlitePath returns the file a SQLite TORII_DATABASE names, made
// absolute so the message says exactly where torii looked.
func sqlitePath(dsn string) string {
	p := strings.TrimPrefix(dsn, "file:")
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}

func isPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// checkFileExists refuses a SQLite path with no file behind it, before
// anything opens (and so creates) it.
func checkFileExists(cfg *config.Config) error {
	dsn := cfg.Database.Reveal()
	if isPostgres(dsn) {
		return nil
	}
	path := sqlitePath(dsn)
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return errNoDatabase(path)
	case err != nil:
		return fmt.Errorf("database %s: %w", path, err)
	case fi.IsDir():
		return fmt.Errorf("database %s is a directory, not a SQLite file", path)
	}
	return nil
}

// checkSchema refuses a database that exists but holds no torii tables
// (an empty SQLite file, a PostgreSQL database or schema never migrated).
func checkSchema(ctx context.Context, cfg *config.Config, st *sqlstore.Store) error {
	ok, err := st.HasSchema(ctx)
	if err != nil {
		return err
	}
	if ok {
		return nil
	}
	what := cfg.Database.String()
	if !isPostgres(cfg.Database.Reveal()) {
		what = sqlitePath(cfg.Database.Reveal())
	}
	return errNoDatabase(what + " (it holds no torii tables)")
}

// openExisting opens the configured database, refusing one that does not
// exist or holds no torii tables, and then applies any pending migrations
// (as the server would at its next start).
func openExisting(ctx context.Context, cfg *config.Config) (*sqlstore.Store, error) {
	if err := checkFileExists(cfg); err != nil {
		return nil, err
	}
	st, err := sqlstore.Open(ctx, cfg.Database.Reveal())
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", cfg.Database, err)
	}
	if err := checkSchema(ctx, cfg, st); err != nil {
		st.Close()
		return nil, err
	}
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, fmt.Errorf("migrate database %s: %w", cfg.Database, err)
	}
	return st, nil
}
