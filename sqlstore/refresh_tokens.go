package sqlstore

import (
	"context"
	"database/sql"
	"errors"
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
	return s.inTx(ctx, func(c conn) error {
		if err := s.lockLiveSession(ctx, c, t.SessionID); err != nil {
			return err
		}
		return s.insertRefreshToken(ctx, c, t)
	})
}

// lockLiveSession checks, inside a transaction that mints a refresh token,
// that the token's session exists and is not revoked (ErrNotFound
// otherwise). On PostgreSQL the session's row is read FOR SHARE, so a
// revocation (an UPDATE of that row, then of its refresh tokens) either
// commits first and is seen here, or waits for the new token to commit and
// revokes it too. Every transaction that takes both locks takes the
// session's first, as the revocations do, so they cannot deadlock.
func (s *Store) lockLiveSession(ctx context.Context, c conn, id string) error {
	var revoked *time.Time
	err := c.queryRow(ctx, `SELECT revoked_at FROM sessions WHERE id = ?`+s.f.forShare, id).Scan(nullTimeCol{&revoked})
	if err != nil {
		return s.f.err("lock session", err)
	}
	if revoked != nil {
		return torii.ErrNotFound
	}
	return nil
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
// The token's session is locked before the token (lockLiveSession): a
// rotation racing the session's revocation mints nothing or has its child
// revoked with the session.
func (s *Store) RotateRefreshToken(ctx context.Context, id string, next torii.RefreshToken, at time.Time) (torii.RefreshToken, error) {
	var (
		old    torii.RefreshToken
		reused bool
	)
	err := s.inTx(ctx, func(c conn) error {
		var session string
		if err := c.queryRow(ctx, `SELECT session_id FROM refresh_tokens WHERE id = ?`, id).Scan(&session); err != nil {
			return s.f.err("rotate refresh token", err)
		}
		live := s.lockLiveSession(ctx, c, session)
		if live != nil && !errors.Is(live, torii.ErrNotFound) {
			return live
		}
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
		if !old.Usable(at) || live != nil {
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
