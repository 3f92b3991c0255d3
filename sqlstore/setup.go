package sqlstore

import (
	"context"
	"time"

	"github.com/toriihq/torii"
)

// AddSetupToken implements torii.SetupStore; adding a stored hash again
// is a no-op.
func (s *Store) AddSetupToken(ctx context.Context, hash string, at time.Time) error {
	_, err := s.writer().exec(ctx, `INSERT INTO setup_tokens (token_hash, created_at) VALUES (?, ?)
		ON CONFLICT (token_hash) DO NOTHING`, hash, s.f.t(ts(at)))
	return s.f.err("add setup token", err)
}

// SetupTokenExists implements torii.SetupStore.
func (s *Store) SetupTokenExists(ctx context.Context, hash string) (bool, error) {
	var n int
	err := s.reader().queryRow(ctx, `SELECT COUNT(*) FROM setup_tokens WHERE token_hash = ?`, hash).Scan(&n)
	return n > 0, s.f.err("setup token", err)
}

// ClaimSetupToken implements torii.SetupStore. Claims are serialised on
// the admin role's row (FOR UPDATE on PostgreSQL; SQLite has one writer),
// so two links claimed at once on two instances make one admin, not two.
func (s *Store) ClaimSetupToken(ctx context.Context, hash string, userID int64) error {
	return s.inTx(ctx, func(c conn) error {
		var roleID int64
		err := c.queryRow(ctx, `SELECT id FROM admin_roles WHERE name = ?`+s.f.forUpdate, torii.RoleAdmin).Scan(&roleID)
		if err != nil {
			return s.f.err("claim setup token", err)
		}
		var n int
		err = c.queryRow(ctx, `SELECT COUNT(*) FROM admin_role_user ru JOIN users u ON u.id = ru.user_id
			WHERE ru.admin_role_id = ? AND u.deleted_at IS NULL`, roleID).Scan(&n)
		if err != nil {
			return s.f.err("claim setup token", err)
		}
		if n > 0 {
			return torii.ErrAlreadySetUp
		}
		res, err := c.exec(ctx, `DELETE FROM setup_tokens WHERE token_hash = ?`, hash)
		if err := s.changed("claim setup token", res, err); err != nil {
			return err
		}
		if _, err := s.lockUser(ctx, c, userID); err != nil {
			return err
		}
		if err := s.grant(ctx, c, userID, roleID); err != nil {
			return err
		}
		_, err = c.exec(ctx, `DELETE FROM setup_tokens`)
		return s.f.err("claim setup token", err)
	})
}

// DeleteSetupTokens implements torii.SetupStore.
func (s *Store) DeleteSetupTokens(ctx context.Context) error {
	_, err := s.writer().exec(ctx, `DELETE FROM setup_tokens`)
	return s.f.err("delete setup tokens", err)
}
