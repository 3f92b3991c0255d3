package sqlstore

import (
	"context"

	"github.com/toriihq/torii"
)

const allowlistCols = `id, pattern, added_by, created_at`

func scanAllowlist(sc scanner) (torii.AllowlistEntry, error) {
	var e torii.AllowlistEntry
	err := sc.Scan(&e.ID, &e.Pattern, nullIntCol{&e.AddedBy}, timeCol{&e.CreatedAt})
	return e, err
}

// AddAllowlist implements torii.AllowlistStore. CreatedAt defaults to now.
func (s *Store) AddAllowlist(ctx context.Context, e torii.AllowlistEntry) (torii.AllowlistEntry, error) {
	if e.CreatedAt.IsZero() {
		e.CreatedAt = s.now()
	}
	e.CreatedAt = ts(e.CreatedAt)
	err := s.writer().queryRow(ctx, `INSERT INTO allowlist (pattern, added_by, created_at) VALUES (?, ?, ?) RETURNING id`,
		e.Pattern, nullInt(e.AddedBy), s.f.t(e.CreatedAt)).Scan(&e.ID)
	if err != nil {
		return torii.AllowlistEntry{}, s.f.err("add allowlist", err)
	}
	return e, nil
}

// RemoveAllowlist implements torii.AllowlistStore.
func (s *Store) RemoveAllowlist(ctx context.Context, id int64) (torii.AllowlistEntry, error) {
	e, err := scanAllowlist(s.writer().queryRow(ctx,
		`DELETE FROM allowlist WHERE id = ? RETURNING `+allowlistCols, id))
	return e, s.f.err("remove allowlist", err)
}

// ListAllowlist implements torii.AllowlistStore.
func (s *Store) ListAllowlist(ctx context.Context) ([]torii.AllowlistEntry, error) {
	rows, err := s.reader().query(ctx, `SELECT `+allowlistCols+` FROM allowlist ORDER BY id`)
	if err != nil {
		return nil, s.f.err("list allowlist", err)
	}
	defer rows.Close()
	es := []torii.AllowlistEntry{}
	for rows.Next() {
		e, err := scanAllowlist(rows)
		if err != nil {
			return nil, s.f.err("list allowlist", err)
		}
		es = append(es, e)
	}
	return es, s.f.err("list allowlist", rows.Err())
}
