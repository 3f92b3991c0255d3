package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/toriihq/torii"
)

// DeleteAccount implements torii.LeavingStore.
func (s *Store) DeleteAccount(ctx context.Context, id int64, at time.Time, eraseMessages bool) (torii.User, error) {
	var old torii.User
	err := s.inTx(ctx, func(c conn) error {
		var err error
		if old, err = s.lockUser(ctx, c, id); err != nil {
			return err
		}
		if err := s.revokeAll(ctx, c, id, at); err != nil {
			return err
		}
		for _, q := range []string{
			`DELETE FROM identities WHERE user_id = ?`,
			`DELETE FROM group_members WHERE user_id = ?`,
			`DELETE FROM admin_role_user WHERE user_id = ?`,
			`DELETE FROM password_resets WHERE user_id = ?`,
			`DELETE FROM email_changes WHERE user_id = ?`,
			`DELETE FROM email_verifications WHERE user_id = ?`,
			`DELETE FROM group_invitations WHERE user_id = ?`,
			`DELETE FROM user_avatars WHERE user_id = ?`,
		} {
			if _, err := c.exec(ctx, q, id); err != nil {
				return s.f.err("delete account", err)
			}
		}
		if eraseMessages {
			if _, err := c.exec(ctx, `UPDATE messages SET body = '' WHERE user_id = ?`, id); err != nil {
				return s.f.err("delete account", err)
			}
		}
		placeholder := fmt.Sprintf("deleted-%d@%s", id, torii.DeletedEmailDomain)
		_, err = c.exec(ctx, `UPDATE users SET email = ?, email_verified = ?, name = '', avatar_url = '',
			password_hash = NULL, status = ?, updated_at = ?, deleted_at = ?, tokens_valid_after = ? WHERE id = ?`,
			placeholder, false, string(torii.StatusInactive), s.f.t(at), s.f.t(at), s.f.nt(laterEpoch(old.TokensValidAfter, at)), id)
		return s.f.err("delete account", err)
	})
	if err != nil {
		return torii.User{}, err
	}
	return old, nil
}

// UserMessages implements torii.LeavingStore.
func (s *Store) UserMessages(ctx context.Context, userID, after int64, limit int) ([]torii.Message, error) {
	limit = min(max(limit, 1), 1000)
	rows, err := s.reader().query(ctx, `SELECT `+messageCols+` FROM messages
		WHERE user_id = ? AND id > ? ORDER BY id LIMIT ?`, userID, after, limit)
	if err != nil {
		return nil, s.f.err("user messages", err)
	}
	defer rows.Close()
	out := []torii.Message{}
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, s.f.err("user messages", err)
		}
		out = append(out, m)
	}
	return out, s.f.err("user messages", rows.Err())
}
