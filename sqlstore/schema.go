package sqlstore

import (
	"context"
	"fmt"
)

// HasSchema reports whether the database holds torii's tables (the users
// table, made by the first migration). Commands that must not create a
// database (the CLI's user and allow commands) check it before migrating.
func (s *Store) HasSchema(ctx context.Context) (bool, error) {
	q := `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'users'`
	if s.f.name == "postgres" {
		// to_regclass follows search_path, as every other query does.
		q = `SELECT COUNT(*) FROM (SELECT to_regclass('users') AS t) x WHERE t IS NOT NULL`
	}
	var n int
	if err := s.read.QueryRowContext(ctx, q).Scan(&n); err != nil {
		return false, fmt.Errorf("sqlstore: schema check: %w", err)
	}
	return n > 0, nil
}
