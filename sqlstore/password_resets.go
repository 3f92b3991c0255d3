package sqlstore

import (
	"context"
	"time"

	"github.com/toriihq/torii"
)

// CreatePasswordReset implements torii.PasswordResetStore. The user is
// read with FOR SHARE on PostgreSQL, so a deletion committed meanwhile is
// waited for and seen.
func (s *Store) CreatePasswordReset(ctx context.Context, r torii.PasswordReset, m *torii.OutboxMail) error {
	if m != nil {
		if err := checkMail(*m); err != nil {
			return err
		}
	}
	if r.Via != torii.ResetViaMail && r.Via != torii.ResetViaAdmin {
		return torii.Invalid(map[string]string{"via": "must be mail or admin"})
	}
	return s.inTx(ctx, func(c conn) error {
		var id int64
		err := c.queryRow(ctx, `SELECT id FROM users WHERE id = ? AND deleted_at IS NULL`+s.f.forShare, r.UserID).Scan(&id)
		if err != nil {
			return s.f.err("create password reset", err)
		}
		_, err = c.exec(ctx, `INSERT INTO password_resets (id, user_id, email, via, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?)`, r.ID, r.UserID, r.Email, r.Via, s.f.t(r.CreatedAt), s.f.t(r.ExpiresAt))
		if err != nil {
			return s.f.err("create password reset", err)
		}
		if m == nil {
			return nil
		}
		_, err = s.insertMail(ctx, c, *m)
		return err
	})
}

// passwordResetUsable selects a reset that is unused, unexpired and still
// for its user's live address.
const passwordResetUsable = `SELECT r.id, r.user_id, r.email, r.via, r.created_at, r.expires_at
	FROM password_resets r JOIN users u ON u.id = r.user_id
	WHERE r.id = ? AND r.used_at IS NULL AND r.expires_at > ? AND u.deleted_at IS NULL AND u.email = r.email`

func scanPasswordReset(sc scanner) (torii.PasswordReset, error) {
	var r torii.PasswordReset
	err := sc.Scan(&r.ID, &r.UserID, &r.Email, &r.Via, timeCol{&r.CreatedAt}, timeCol{&r.ExpiresAt})
	return r, err
}

// PasswordResetByID implements torii.PasswordResetStore.
func (s *Store) PasswordResetByID(ctx context.Context, id string, now time.Time) (torii.PasswordReset, error) {
	r, err := scanPasswordReset(s.reader().queryRow(ctx, passwordResetUsable, id, s.f.t(now)))
	return r, s.f.err("password reset", err)
}

// ConsumePasswordReset implements torii.PasswordResetStore. The reset row
// is locked (PostgreSQL) and used_at checked again by the UPDATE, so two
// requests racing with one link set one password.
func (s *Store) ConsumePasswordReset(ctx context.Context, id, hash string, now time.Time) (torii.PasswordResetDone, error) {
	var done torii.PasswordResetDone
	err := s.inTx(ctx, func(c conn) error {
		r, err := scanPasswordReset(c.queryRow(ctx, passwordResetUsable+s.f.forUpdate, id, s.f.t(now)))
		if err != nil {
			return s.f.err("consume password reset", err)
		}
		u, err := s.lockUser(ctx, c, r.UserID)
		if err != nil {
			return err
		}
		res, err := c.exec(ctx, `UPDATE password_resets SET used_at = ? WHERE user_id = ? AND used_at IS NULL`, s.f.t(now), u.ID)
		if err := s.changed("consume password reset", res, err); err != nil {
			return err
		}
		if r.Via == torii.ResetViaMail && !u.EmailVerified {
			// The address is proved only now: whatever was linked before
			// may be someone else's (security.md D.22).
			if done.IdentitiesRemoved, err = s.removeIdentities(ctx, c, u.ID); err != nil {
				return err
			}
			u.EmailVerified, done.Verified = true, true
		}
		u.PasswordHash, u.UpdatedAt = hash, ts(now)
		u.TokensValidAfter = laterEpoch(u.TokensValidAfter, now)
		_, err = c.exec(ctx, `UPDATE users SET password_hash = ?, email_verified = ?, updated_at = ?, tokens_valid_after = ?
			WHERE id = ?`, hash, u.EmailVerified, s.f.t(now), s.f.nt(u.TokensValidAfter), u.ID)
		if err != nil {
			return s.f.err("consume password reset", err)
		}
		var n int
		err = c.queryRow(ctx, `SELECT COUNT(*) FROM sessions WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ?`,
			u.ID, s.f.t(now)).Scan(&n)
		if err != nil {
			return s.f.err("consume password reset", err)
		}
		done.User, done.SessionsRevoked = u, n
		return s.revokeAll(ctx, c, u.ID, now)
	})
	if err != nil {
		return torii.PasswordResetDone{}, err
	}
	return done, nil
}

// removeIdentities deletes every identity of a user inside a transaction
// and returns them.
func (s *Store) removeIdentities(ctx context.Context, c conn, userID int64) ([]torii.Identity, error) {
	rows, err := c.query(ctx, `DELETE FROM identities WHERE user_id = ? RETURNING `+identityCols, userID)
	if err != nil {
		return nil, s.f.err("remove identities", err)
	}
	defer rows.Close()
	var out []torii.Identity
	for rows.Next() {
		id, err := scanIdentity(rows)
		if err != nil {
			return nil, s.f.err("remove identities", err)
		}
		out = append(out, id)
	}
	return out, s.f.err("remove identities", rows.Err())
}

// DeleteExpiredPasswordResets implements torii.PasswordResetStore.
func (s *Store) DeleteExpiredPasswordResets(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.writer().exec(ctx, `DELETE FROM password_resets WHERE expires_at < ?`, s.f.t(before))
	return s.affected("delete expired password resets", res, err)
}
