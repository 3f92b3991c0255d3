package sqlstore

import (
	"context"
	"time"

	"github.com/toriihq/torii"
)

// ReauthSession implements torii.ProofStore.
func (s *Store) ReauthSession(ctx context.Context, id string, at time.Time) error {
	res, err := s.writer().exec(ctx, `UPDATE sessions SET auth_at = ?
		WHERE id = ? AND revoked_at IS NULL AND (auth_at IS NULL OR auth_at < ?)`,
		s.f.t(at), id, s.f.t(at))
	n, err := s.affected("reauth session", res, err)
	if err != nil || n > 0 {
		return err
	}
	// Nothing changed: a later auth_at is already there, or the session
	// is unknown or revoked.
	var revoked *time.Time
	err = s.writer().queryRow(ctx, `SELECT revoked_at FROM sessions WHERE id = ?`, id).Scan(nullTimeCol{&revoked})
	if err != nil {
		return s.f.err("reauth session", err)
	}
	if revoked != nil {
		return torii.ErrNotFound
	}
	return nil
}

// resetUnverified is the store's half of security.md D.22, inside
// LinkIdentity's transaction: it revokes the user's sessions and refresh
// tokens and deletes every identity the user has (all of them were linked
// while the address was unverified). The caller clears the password and
// moves the token epoch in its own UPDATE of the user.
func (s *Store) resetUnverified(ctx context.Context, c conn, userID int64, at time.Time) (torii.LinkResult, error) {
	res := torii.LinkResult{Reset: true, PasswordCleared: true}
	var n int64
	if err := c.queryRow(ctx, `SELECT COUNT(*) FROM sessions WHERE user_id = ? AND revoked_at IS NULL`, userID).Scan(&n); err != nil {
		return res, s.f.err("reset unverified", err)
	}
	res.SessionsRevoked = n
	if err := s.revokeAll(ctx, c, userID, at); err != nil {
		return res, err
	}
	rows, err := c.query(ctx, `DELETE FROM identities WHERE user_id = ? RETURNING `+identityCols, userID)
	if err != nil {
		return res, s.f.err("reset unverified", err)
	}
	defer rows.Close()
	for rows.Next() {
		id, err := scanIdentity(rows)
		if err != nil {
			return res, s.f.err("reset unverified", err)
		}
		res.IdentitiesRemoved = append(res.IdentitiesRemoved, id)
	}
	return res, s.f.err("reset unverified", rows.Err())
}
