package sqlstore

import (
	"context"
	"time"

	"github.com/toriihq/torii"
)

// CreateEmailChange implements torii.EmailChangeStore.
func (s *Store) CreateEmailChange(ctx context.Context, ch torii.EmailChange, mails []torii.OutboxMail) error {
	for _, m := range mails {
		if err := checkMail(m); err != nil {
			return err
		}
	}
	return s.inTx(ctx, func(c conn) error {
		var email string
		err := c.queryRow(ctx, `SELECT email FROM users WHERE id = ? AND deleted_at IS NULL`+s.f.forShare, ch.UserID).Scan(&email)
		if err != nil {
			return s.f.err("create email change", err)
		}
		if email != ch.OldEmail {
			return torii.ErrNotFound
		}
		if err := s.emailFree(ctx, c, ch.NewEmail); err != nil {
			return err
		}
		_, err = c.exec(ctx, `INSERT INTO email_changes (id, user_id, old_email, new_email, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?)`, ch.ID, ch.UserID, ch.OldEmail, torii.NormalizeEmail(ch.NewEmail),
			s.f.t(ch.CreatedAt), s.f.t(ch.ExpiresAt))
		if err != nil {
			return s.f.err("create email change", err)
		}
		for _, m := range mails {
			if _, err := s.insertMail(ctx, c, m); err != nil {
				return err
			}
		}
		return nil
	})
}

// emailFree returns ErrConflict if a live user has email.
func (s *Store) emailFree(ctx context.Context, c conn, email string) error {
	var n int
	err := c.queryRow(ctx, `SELECT COUNT(*) FROM users WHERE email = ? AND deleted_at IS NULL`, torii.NormalizeEmail(email)).Scan(&n)
	if err != nil {
		return s.f.err("email free", err)
	}
	if n > 0 {
		return torii.ErrConflict
	}
	return nil
}

// ConsumeEmailChange implements torii.EmailChangeStore. The row is
// locked (PostgreSQL) and used_at checked again by the UPDATE, so two
// requests racing with one link change the address once.
func (s *Store) ConsumeEmailChange(ctx context.Context, id string, now time.Time) (torii.EmailChange, torii.User, error) {
	var (
		ch torii.EmailChange
		u  torii.User
	)
	err := s.inTx(ctx, func(c conn) error {
		err := c.queryRow(ctx, `SELECT id, user_id, old_email, new_email, created_at, expires_at FROM email_changes
			WHERE id = ? AND used_at IS NULL AND expires_at > ?`+s.f.forUpdate, id, s.f.t(now)).
			Scan(&ch.ID, &ch.UserID, &ch.OldEmail, &ch.NewEmail, timeCol{&ch.CreatedAt}, timeCol{&ch.ExpiresAt})
		if err != nil {
			return s.f.err("consume email change", err)
		}
		if u, err = s.lockUser(ctx, c, ch.UserID); err != nil {
			return err
		}
		if u.Email != ch.OldEmail {
			return torii.ErrNotFound
		}
		if err := s.emailFree(ctx, c, ch.NewEmail); err != nil {
			return err
		}
		res, err := c.exec(ctx, `UPDATE email_changes SET used_at = ? WHERE user_id = ? AND used_at IS NULL`, s.f.t(now), u.ID)
		if err := s.changed("consume email change", res, err); err != nil {
			return err
		}
		u.Email, u.EmailVerified, u.UpdatedAt = ch.NewEmail, true, ts(now)
		_, err = c.exec(ctx, `UPDATE users SET email = ?, email_verified = ?, updated_at = ? WHERE id = ?`,
			u.Email, true, s.f.t(now), u.ID)
		return s.f.err("consume email change", err)
	})
	if err != nil {
		return torii.EmailChange{}, torii.User{}, err
	}
	t := ts(now)
	ch.UsedAt = &t
	return ch, u, nil
}

// DeleteExpiredEmailChanges implements torii.EmailChangeStore.
func (s *Store) DeleteExpiredEmailChanges(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.writer().exec(ctx, `DELETE FROM email_changes WHERE expires_at < ?`, s.f.t(before))
	return s.affected("delete expired email changes", res, err)
}
