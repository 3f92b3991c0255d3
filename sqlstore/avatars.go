package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/toriihq/torii"
)

// SetAvatar implements torii.AvatarStore.
func (s *Store) SetAvatar(ctx context.Context, userID int64, data []byte, url string, at time.Time) (torii.User, error) {
	var u torii.User
	err := s.inTx(ctx, func(c conn) error {
		var err error
		if u, err = s.lockUser(ctx, c, userID); err != nil {
			return err
		}
		_, err = c.exec(ctx, `INSERT INTO user_avatars (user_id, data, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (user_id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at`,
			userID, data, s.f.t(at))
		if err != nil {
			return s.f.err("set avatar", err)
		}
		u.AvatarURL, u.UpdatedAt = url, ts(at)
		_, err = c.exec(ctx, `UPDATE users SET avatar_url = ?, updated_at = ? WHERE id = ?`, url, s.f.t(at), userID)
		return s.f.err("set avatar", err)
	})
	if err != nil {
		return torii.User{}, err
	}
	return u, nil
}

// DeleteAvatar implements torii.AvatarStore.
func (s *Store) DeleteAvatar(ctx context.Context, userID int64, at time.Time) (torii.User, error) {
	var u torii.User
	err := s.inTx(ctx, func(c conn) error {
		var err error
		if u, err = s.lockUser(ctx, c, userID); err != nil {
			return err
		}
		if _, err := c.exec(ctx, `DELETE FROM user_avatars WHERE user_id = ?`, userID); err != nil {
			return s.f.err("delete avatar", err)
		}
		if !strings.HasPrefix(u.AvatarURL, torii.AvatarPathPrefix) {
			return nil
		}
		// The picture of the identity linked last, if it has one, comes
		// back at once (not only at the provider's next sign-in).
		var pic string
		err = c.queryRow(ctx, `SELECT picture FROM identities WHERE user_id = ? AND picture <> ''
			ORDER BY id DESC LIMIT 1`, userID).Scan(&pic)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return s.f.err("delete avatar", err)
		}
		u.AvatarURL, u.UpdatedAt = pic, ts(at)
		_, err = c.exec(ctx, `UPDATE users SET avatar_url = ?, updated_at = ? WHERE id = ?`, pic, s.f.t(at), userID)
		return s.f.err("delete avatar", err)
	})
	if err != nil {
		return torii.User{}, err
	}
	return u, nil
}

// Avatar implements torii.AvatarStore.
func (s *Store) Avatar(ctx context.Context, userID int64) ([]byte, time.Time, error) {
	var data []byte
	var at time.Time
	err := s.reader().queryRow(ctx, `SELECT a.data, a.updated_at FROM user_avatars a JOIN users u ON u.id = a.user_id
		WHERE a.user_id = ? AND u.deleted_at IS NULL`, userID).Scan(&data, timeCol{&at})
	return data, at, s.f.err("avatar", err)
}
