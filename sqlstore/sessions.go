package sqlstore

import (
	"context"
	"slices"
	"time"

	"github.com/toriihq/torii"
)

const sessionCols = `id, user_id, ip_address, user_agent, created_at, last_activity, expires_at, revoked_at`

// sessionReadCols are sessionCols and auth_at, which inserts leave NULL
// (read as a zero AuthAt: the user authenticated when the session was
// created, see torii.Session.AuthenticatedAt).
const sessionReadCols = sessionCols + `, auth_at`

func scanSession(sc scanner) (torii.Session, error) {
	var (
		ss     torii.Session
		authAt *time.Time
	)
	err := sc.Scan(&ss.ID, &ss.UserID, &ss.IP, &ss.UserAgent, timeCol{&ss.CreatedAt},
		timeCol{&ss.LastActivity}, timeCol{&ss.ExpiresAt}, nullTimeCol{&ss.RevokedAt}, nullTimeCol{&authAt})
	if authAt != nil {
		ss.AuthAt = *authAt
	}
	return ss, err
}

// CreateSession implements torii.SessionStore. ErrConflict if the id is
// taken, ErrNotFound if the user does not exist or is deleted,
// ErrUserInactive if the user is inactive.
func (s *Store) CreateSession(ctx context.Context, ss torii.Session) error {
	return s.inTx(ctx, func(c conn) error { return s.insertSession(ctx, c, ss) })
}

// insertSession stores a session inside a transaction, after checking that
// its user is live. On PostgreSQL the user's row is read FOR SHARE: a
// deactivation (which locks the row FOR UPDATE, then revokes the user's
// sessions) either commits first, and this sign-in sees the user inactive,
// or waits for this session to commit, and revokes it.
func (s *Store) insertSession(ctx context.Context, c conn, ss torii.Session) error {
	if err := s.checkSessionUser(ctx, c, ss.UserID); err != nil {
		return err
	}
	_, err := c.exec(ctx, `INSERT INTO sessions (`+sessionCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, s.sessionArgs(ss)...)
	return s.f.err("create session", err)
}

// checkSessionUser is insertSession's check that the user is live
// (ErrNotFound if missing or deleted, ErrUserInactive if inactive), its
// row read FOR SHARE on PostgreSQL.
func (s *Store) checkSessionUser(ctx context.Context, c conn, userID int64) error {
	var status string
	err := c.queryRow(ctx, `SELECT status FROM users WHERE id = ? AND deleted_at IS NULL`+s.f.forShare, userID).Scan(&status)
	if err != nil {
		return s.f.err("create session", err)
	}
	if torii.UserStatus(status) != torii.StatusActive {
		return torii.ErrUserInactive
	}
	return nil
}

// sessionArgs returns the values of sessionCols for ss.
func (s *Store) sessionArgs(ss torii.Session) []any {
	return []any{ss.ID, ss.UserID, ss.IP, ss.UserAgent, s.f.t(ss.CreatedAt), s.f.t(ss.LastActivity),
		s.f.t(ss.ExpiresAt), s.f.nt(ss.RevokedAt)}
}

// SessionByID implements torii.SessionStore.
func (s *Store) SessionByID(ctx context.Context, id string) (torii.Session, error) {
	ss, err := scanSession(s.reader().queryRow(ctx, `SELECT `+sessionReadCols+` FROM sessions WHERE id = ?`, id))
	return ss, s.f.err("session by id", err)
}

// TouchSession implements torii.SessionStore. It runs on every
// authenticated request, so the usual case is one UPDATE by primary key;
// only when it changes nothing does a second query tell a missing session
// (ErrNotFound) from one already touched later (nil).
func (s *Store) TouchSession(ctx context.Context, id string, at time.Time) error {
	res, err := s.writer().exec(ctx,
		`UPDATE sessions SET last_activity = ? WHERE id = ? AND last_activity < ?`,
		s.f.t(at), id, s.f.t(at))
	n, err := s.affected("touch session", res, err)
	if err != nil || n > 0 {
		return err
	}
	var one int
	err = s.reader().queryRow(ctx, `SELECT 1 FROM sessions WHERE id = ?`, id).Scan(&one)
	return s.f.err("touch session", err)
}

// RevokeSession implements torii.SessionStore.
func (s *Store) RevokeSession(ctx context.Context, userID int64, id string, at time.Time) error {
	return s.inTx(ctx, func(c conn) error {
		res, err := c.exec(ctx,
			`UPDATE sessions SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL`,
			s.f.t(at), id, userID)
		if err := s.changed("revoke session", res, err); err != nil {
			return err
		}
		return s.revokeRefreshTokens(ctx, c, userID, id, "", at)
	})
}

// RevokeUserSessions implements torii.SessionStore. A live session is one
// neither revoked nor expired at `at`; the ids come back sorted. UPDATE …
// RETURNING makes the revocation and the list of ids agree; the refresh
// tokens of every session but except go in the same transaction.
func (s *Store) RevokeUserSessions(ctx context.Context, userID int64, except string, at time.Time) ([]string, error) {
	ids := []string{}
	err := s.inTx(ctx, func(c conn) error {
		rows, err := c.query(ctx, `UPDATE sessions SET revoked_at = ?
			WHERE user_id = ? AND id <> ? AND revoked_at IS NULL AND expires_at > ? RETURNING id`,
			s.f.t(at), userID, except, s.f.t(at))
		if err != nil {
			return s.f.err("revoke user sessions", err)
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return s.f.err("revoke user sessions", err)
			}
			ids = append(ids, id)
		}
		if err := rows.Err(); err != nil {
			return s.f.err("revoke user sessions", err)
		}
		rows.Close()
		return s.revokeRefreshTokens(ctx, c, userID, "", except, at)
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(ids)
	return ids, nil
}

// revokeAll revokes every unrevoked session and refresh token of a user,
// and every token issued to an app for it (oauth.go),
// inside a transaction that changes the user (deactivation, deletion).
func (s *Store) revokeAll(ctx context.Context, c conn, userID int64, at time.Time) error {
	_, err := c.exec(ctx, `UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL`,
		s.f.t(at), userID)
	if err != nil {
		return s.f.err("revoke sessions", err)
	}
	if err := s.revokeUserOAuth(ctx, c, userID, "", at); err != nil {
		return err
	}
	return s.revokeRefreshTokens(ctx, c, userID, "", "", at)
}

// ListUserSessions implements torii.SessionStore. Ties on created_at are
// broken by id so that the order is stable from one call to the next.
func (s *Store) ListUserSessions(ctx context.Context, userID int64, now time.Time) ([]torii.Session, error) {
	rows, err := s.reader().query(ctx, `SELECT `+sessionReadCols+` FROM sessions
		WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ?
		ORDER BY created_at DESC, id DESC`, userID, s.f.t(now))
	if err != nil {
		return nil, s.f.err("list user sessions", err)
	}
	defer rows.Close()
	list := []torii.Session{}
	for rows.Next() {
		ss, err := scanSession(rows)
		if err != nil {
			return nil, s.f.err("list user sessions", err)
		}
		list = append(list, ss)
	}
	return list, s.f.err("list user sessions", rows.Err())
}

// DeleteExpiredSessions implements torii.SessionStore.
func (s *Store) DeleteExpiredSessions(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.writer().exec(ctx, `DELETE FROM sessions WHERE expires_at < ? OR revoked_at < ?`,
		s.f.t(before), s.f.t(before))
	return s.affected("delete expired sessions", res, err)
}

// CreateSessionAudited implements torii.SessionStore. On SQLite concurrent
// calls are group-committed (groupcommit.go).
func (s *Store) CreateSessionAudited(ctx context.Context, ss torii.Session, e torii.AuditEvent) error {
	return s.createSessionAudited(ctx, ss, e)
}
