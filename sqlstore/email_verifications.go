package sqlstore

import (
	"context"
	"time"

	"github.com/toriihq/torii"
)

// CreateEmailVerification implements torii.EmailVerificationStore. The
// user is read with FOR SHARE on PostgreSQL, so a deletion committed
// meanwhile is waited for and seen.
func (s *Store) CreateEmailVerification(ctx context.Context, v torii.EmailVerification, m torii.OutboxMail) error {
	if err := checkMail(m); err != nil {
		return err
	}
	return s.inTx(ctx, func(c conn) error {
		var id int64
		err := c.queryRow(ctx, `SELECT id FROM users WHERE id = ? AND deleted_at IS NULL`+s.f.forShare, v.UserID).Scan(&id)
		if err != nil {
			return s.f.err("create email verification", err)
		}
		_, err = c.exec(ctx, `INSERT INTO email_verifications (id, user_id, email, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?)`, v.ID, v.UserID, v.Email, s.f.t(v.CreatedAt), s.f.t(v.ExpiresAt))
		if err != nil {
			return s.f.err("create email verification", err)
		}
		_, err = s.insertMail(ctx, c, m)
		return err
	})
}

// ConsumeEmailVerification implements torii.EmailVerificationStore. The
// token row is locked (PostgreSQL) and its used_at checked again by the
// UPDATE, so two requests racing with one link verify once.
func (s *Store) ConsumeEmailVerification(ctx context.Context, id string, now time.Time) (torii.User, error) {
	var u torii.User
	err := s.inTx(ctx, func(c conn) error {
		var userID int64
		var email string
		err := c.queryRow(ctx, `SELECT user_id, email FROM email_verifications
			WHERE id = ? AND used_at IS NULL AND expires_at > ?`+s.f.forUpdate, id, s.f.t(now)).Scan(&userID, &email)
		if err != nil {
			return s.f.err("consume email verification", err)
		}
		if u, err = s.lockUser(ctx, c, userID); err != nil {
			return err
		}
		// The token proves the address it was sent to, and no other.
		if u.Email != email {
			return torii.ErrNotFound
		}
		res, err := c.exec(ctx, `UPDATE email_verifications SET used_at = ? WHERE id = ? AND used_at IS NULL`, s.f.t(now), id)
		if err := s.changed("consume email verification", res, err); err != nil {
			return err
		}
		if u.EmailVerified {
			return nil
		}
		u.EmailVerified, u.UpdatedAt = true, ts(now)
		_, err = c.exec(ctx, `UPDATE users SET email_verified = ?, updated_at = ? WHERE id = ?`, true, s.f.t(now), u.ID)
		return s.f.err("consume email verification", err)
	})
	if err != nil {
		return torii.User{}, err
	}
	return u, nil
}

// DeleteExpiredEmailVerifications implements torii.EmailVerificationStore.
func (s *Store) DeleteExpiredEmailVerifications(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.writer().exec(ctx, `DELETE FROM email_verifications WHERE expires_at < ?`, s.f.t(before))
	return s.affected("delete expired email verifications", res, err)
}
