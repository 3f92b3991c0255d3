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
		_, err = c.exec(ctx, `INSERT INTO email_changes (id, user_id, old_email, new_email, via, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, ch.ID, ch.UserID, ch.OldEmail, torii.NormalizeEmail(ch.NewEmail),
			emailChangeVia(ch.Via), s.f.t(ch.CreatedAt), s.f.t(ch.ExpiresAt))
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
		var err error
		ch, err = scanEmailChange(c.queryRow(ctx, `SELECT `+emailChangeCols+` FROM email_changes
			WHERE id = ? AND used_at IS NULL AND expires_at > ?`+s.f.forUpdate, id, s.f.t(now)))
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

const emailChangeCols = `id, user_id, old_email, new_email, via, created_at, expires_at`

func scanEmailChange(sc scanner) (torii.EmailChange, error) {
	var ch torii.EmailChange
	err := sc.Scan(&ch.ID, &ch.UserID, &ch.OldEmail, &ch.NewEmail, &ch.Via, timeCol{&ch.CreatedAt}, timeCol{&ch.ExpiresAt})
	return ch, err
}

// emailChangeVia defaults an empty Via to mail, the only way before
// 00015.
func emailChangeVia(via string) string {
	if via == "" {
		return torii.EmailChangeViaMail
	}
	return via
}

// pendingEmailChanges is the condition of a live change (c: the change,
// u: its user), with now as its one parameter.
const pendingEmailChanges = `c.used_at IS NULL AND c.expires_at > ? AND u.deleted_at IS NULL AND u.email = c.old_email`

// PendingEmailChanges implements torii.EmailChangeStore.
func (s *Store) PendingEmailChanges(ctx context.Context, userID int64, now time.Time, limit int) ([]torii.EmailChange, error) {
	limit = min(max(limit, 1), 1000)
	q := `SELECT c.id, c.user_id, c.old_email, c.new_email, c.via, c.created_at, c.expires_at
		FROM email_changes c JOIN users u ON u.id = c.user_id WHERE ` + pendingEmailChanges
	args := []any{s.f.t(now)}
	if userID != 0 {
		q += ` AND c.user_id = ?`
		args = append(args, userID)
	}
	rows, err := s.reader().query(ctx, q+` ORDER BY c.created_at DESC, c.id LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, s.f.err("pending email changes", err)
	}
	defer rows.Close()
	out := []torii.EmailChange{}
	for rows.Next() {
		ch, err := scanEmailChange(rows)
		if err != nil {
			return nil, s.f.err("pending email changes", err)
		}
		out = append(out, ch)
	}
	return out, s.f.err("pending email changes", rows.Err())
}

// ReissueEmailChange implements torii.EmailChangeStore. The user's row is
// locked first, so a confirmation racing with it either comes first (and
// nothing is live any more) or finds the new hash only.
func (s *Store) ReissueEmailChange(ctx context.Context, userID int64, newID string, now, expires time.Time) (torii.EmailChange, error) {
	var ch torii.EmailChange
	err := s.inTx(ctx, func(c conn) error {
		if _, err := s.lockUser(ctx, c, userID); err != nil {
			return err
		}
		var err error
		ch, err = scanEmailChange(c.queryRow(ctx, `SELECT c.id, c.user_id, c.old_email, c.new_email, c.via, c.created_at, c.expires_at
			FROM email_changes c JOIN users u ON u.id = c.user_id WHERE `+pendingEmailChanges+` AND c.user_id = ?
			ORDER BY c.created_at DESC, c.id LIMIT 1`, s.f.t(now), userID))
		if err != nil {
			return s.f.err("reissue email change", err)
		}
		res, err := c.exec(ctx, `UPDATE email_changes SET id = ?, via = ?, expires_at = ? WHERE id = ?`,
			newID, torii.EmailChangeViaAdmin, s.f.t(expires), ch.ID)
		if err := s.changed("reissue email change", res, err); err != nil {
			return err
		}
		ch.ID, ch.Via, ch.ExpiresAt = newID, torii.EmailChangeViaAdmin, ts(expires)
		return nil
	})
	if err != nil {
		return torii.EmailChange{}, err
	}
	return ch, nil
}
