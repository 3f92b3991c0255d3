package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/toriihq/torii"
)

const refreshCols = `id, user_id, session_id, chain_id, parent_id, audience, created_at, expires_at, spent_at, revoked_at`

func scanRefreshToken(sc scanner) (torii.RefreshToken, error) {
	var (
		t      torii.RefreshToken
		parent sql.NullString
	)
	err := sc.Scan(&t.ID, &t.UserID, &t.SessionID, &t.ChainID, &parent, &t.Audience,
		timeCol{&t.CreatedAt}, timeCol{&t.ExpiresAt}, nullTimeCol{&t.SpentAt}, nullTimeCol{&t.RevokedAt})
	t.ParentID = parent.String
	return t, err
}

func (s *Store) insertRefreshToken(ctx context.Context, c conn, t torii.RefreshToken) error {
	if t.ID == "" {
		return torii.Invalid(map[string]string{"id": "is required"})
	}
	_, err := c.exec(ctx, `INSERT INTO refresh_tokens (`+refreshCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.ID, t.UserID, t.SessionID, t.ChainID, nullString(t.ParentID), t.Audience,
		s.f.t(t.CreatedAt), s.f.t(t.ExpiresAt), s.f.nt(t.SpentAt), s.f.nt(t.RevokedAt))
	return s.f.err("insert refresh token", err)
}

// CreateRefreshToken implements torii.RefreshTokenStore.
func (s *Store) CreateRefreshToken(ctx context.Context, t torii.RefreshToken) error {
	if t.ChainID == "" {
		t.ChainID = t.ID
	}
	return s.insertRefreshToken(ctx, s.writer(), t)
}

// RefreshTokenByID implements torii.RefreshTokenStore.
func (s *Store) RefreshTokenByID(ctx context.Context, id string) (torii.RefreshToken, error) {
	t, err := scanRefreshToken(s.reader().queryRow(ctx, `SELECT `+refreshCols+` FROM refresh_tokens WHERE id = ?`, id))
	return t, s.f.err("refresh token by id", err)
}

// RotateRefreshToken implements torii.RefreshTokenStore. The row is read
// with FOR UPDATE on PostgreSQL, so a second rotation of the same token
// waits for the first to commit and then sees it spent; on SQLite the
// writer's single connection and BEGIN IMMEDIATE give the same order.
func (s *Store) RotateRefreshToken(ctx context.Context, id string, next torii.RefreshToken, at time.Time) (torii.RefreshToken, error) {
	var (
		old    torii.RefreshToken
		reused bool
	)
	err := s.inTx(ctx, func(c conn) error {
		var err error
		old, err = scanRefreshToken(c.queryRow(ctx, `SELECT `+refreshCols+` FROM refresh_tokens WHERE id = ?`+s.f.forUpdate, id))
		if err != nil {
			return s.f.err("rotate refresh token", err)
		}
		if old.SpentAt != nil {
			// Committed, not rolled back: the chain must stay revoked
			// even though the caller gets an error.
			reused = true
			_, err := s.revokeChain(ctx, c, old.ChainID, at)
			return err
		}
		if !old.Usable(at) {
			return torii.ErrNotFound
		}
		spent := ts(at)
		if _, err := c.exec(ctx, `UPDATE refresh_tokens SET spent_at = ? WHERE id = ?`, s.f.t(spent), id); err != nil {
			return s.f.err("spend refresh token", err)
		}
		next.UserID, next.SessionID, next.ChainID, next.Audience, next.ParentID = old.UserID, old.SessionID, old.ChainID, old.Audience, old.ID
		next.SpentAt, next.RevokedAt = nil, nil
		if err := s.insertRefreshToken(ctx, c, next); err != nil {
			return err
		}
		old.SpentAt = &spent
		return nil
	})
	switch {
	case err != nil:
		return torii.RefreshToken{}, err
	case reused:
		return old, torii.ErrRefreshTokenReused
	}
	return old, nil
}

// RevokeRefreshChain implements torii.RefreshTokenStore.
func (s *Store) RevokeRefreshChain(ctx context.Context, chainID string, at time.Time) (int64, error) {
	return s.revokeChain(ctx, s.writer(), chainID, at)
}

func (s *Store) revokeChain(ctx context.Context, c conn, chainID string, at time.Time) (int64, error) {
	res, err := c.exec(ctx, `UPDATE refresh_tokens SET revoked_at = ? WHERE chain_id = ? AND revoked_at IS NULL`,
		s.f.t(at), chainID)
	return s.affected("revoke refresh chain", res, err)
}

// revokeRefreshTokens revokes, inside a transaction that revokes sessions,
// the unrevoked refresh tokens of userID: those of one session when
// session is not "", else all of them but those of session except (which
// may be "").
func (s *Store) revokeRefreshTokens(ctx context.Context, c conn, userID int64, session, except string, at time.Time) error {
	q, args := `UPDATE refresh_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL`, []any{s.f.t(at), userID}
	if session != "" {
		q, args = q+` AND session_id = ?`, append(args, session)
	} else if except != "" {
		q, args = q+` AND session_id <> ?`, append(args, except)
	}
	_, err := c.exec(ctx, q, args...)
	return s.f.err("revoke refresh tokens", err)
}
