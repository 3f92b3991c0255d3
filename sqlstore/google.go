package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/toriihq/torii"
)

const oauthStateCols = `id, binding, nonce, verifier, next, link_user_id, created_at, expires_at, reauth`

func scanOAuthState(sc scanner) (torii.OAuthState, error) {
	var st torii.OAuthState
	err := sc.Scan(&st.ID, &st.Binding, &st.Nonce, &st.Verifier, &st.Next, nullIntCol{&st.LinkUserID},
		timeCol{&st.CreatedAt}, timeCol{&st.ExpiresAt}, &st.Reauth)
	return st, err
}

// CreateOAuthState implements torii.GoogleStore.
func (s *Store) CreateOAuthState(ctx context.Context, st torii.OAuthState) error {
	_, err := s.writer().exec(ctx, `INSERT INTO oauth_states (`+oauthStateCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		st.ID, st.Binding, st.Nonce, st.Verifier, st.Next, nullInt(st.LinkUserID), s.f.t(st.CreatedAt), s.f.t(st.ExpiresAt), st.Reauth)
	return s.f.err("create oauth state", err)
}

// ConsumeOAuthState implements torii.GoogleStore. One DELETE … RETURNING
// both checks and spends the state, so two callbacks racing on any number of
// instances cannot both succeed.
func (s *Store) ConsumeOAuthState(ctx context.Context, id, binding string, now time.Time) (torii.OAuthState, error) {
	st, err := scanOAuthState(s.writer().queryRow(ctx, `DELETE FROM oauth_states
		WHERE id = ? AND binding = ? AND expires_at > ? RETURNING `+oauthStateCols,
		id, binding, s.f.t(now)))
	return st, s.f.err("consume oauth state", err)
}

// DeleteExpiredOAuthStates implements torii.GoogleStore.
func (s *Store) DeleteExpiredOAuthStates(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.writer().exec(ctx, `DELETE FROM oauth_states WHERE expires_at < ?`, s.f.t(before))
	return s.affected("delete expired oauth states", res, err)
}

// UserByIdentity implements torii.GoogleStore: the sign-in path of every
// returning Google user, so one indexed join instead of two reads.
func (s *Store) UserByIdentity(ctx context.Context, issuer, subject string) (torii.User, torii.Identity, error) {
	row := s.reader().queryRow(ctx, `SELECT i.id, i.user_id, i.issuer, i.subject, i.email, i.picture, i.created_at,
		u.id, u.email, u.email_verified, u.name, u.avatar_url, u.password_hash, u.status,
		u.is_first_login, u.last_login_at, u.created_at, u.updated_at, u.deleted_at, u.tokens_valid_after
		FROM identities i JOIN users u ON u.id = i.user_id WHERE i.issuer = ? AND i.subject = ?`, issuer, subject)
	var (
		id     torii.Identity
		u      torii.User
		pw     sql.NullString
		status string
	)
	err := row.Scan(&id.ID, &id.UserID, &id.Issuer, &id.Subject, &id.Email, &id.Picture, timeCol{&id.CreatedAt},
		&u.ID, &u.Email, &u.EmailVerified, &u.Name, &u.AvatarURL, &pw, &status,
		&u.IsFirstLogin, nullTimeCol{&u.LastLoginAt}, timeCol{&u.CreatedAt}, timeCol{&u.UpdatedAt},
		nullTimeCol{&u.DeletedAt}, nullTimeCol{&u.TokensValidAfter})
	if err != nil {
		return torii.User{}, torii.Identity{}, s.f.err("user by identity", err)
	}
	u.PasswordHash, u.Status = pw.String, torii.UserStatus(status)
	return u, id, nil
}

// CreateUserWithIdentity implements torii.GoogleStore.
func (s *Store) CreateUserWithIdentity(ctx context.Context, u torii.User, id torii.Identity) (torii.User, torii.Identity, error) {
	if u.Status == "" {
		u.Status = torii.StatusActive
	}
	if u.CreatedAt.IsZero() {
		u.CreatedAt = s.now()
	}
	u.UpdatedAt = u.CreatedAt
	if id.CreatedAt.IsZero() {
		id.CreatedAt = u.CreatedAt
	}
	err := s.inTx(ctx, func(c conn) error {
		var err error
		if u, err = s.insertUser(ctx, c, u); err != nil {
			return err
		}
		id.UserID = u.ID
		id, err = s.insertIdentity(ctx, c, id)
		return err
	})
	if err != nil {
		return torii.User{}, torii.Identity{}, err
	}
	return u, id, nil
}

// LinkIdentity implements torii.GoogleStore. The user's row is locked
// first, so the decision of security.md D.22 is taken on the email_verified
// flag as it is when the link is written, not as it was read earlier.
func (s *Store) LinkIdentity(ctx context.Context, l torii.IdentityLink) (torii.LinkResult, error) {
	at := ts(l.At)
	if l.At.IsZero() {
		at = ts(s.now())
	}
	var res torii.LinkResult
	err := s.inTx(ctx, func(c conn) error {
		u, err := s.lockUser(ctx, c, l.Identity.UserID)
		if err != nil {
			return err
		}
		res = torii.LinkResult{}
		changed := false
		if l.ResetUnverified && !u.EmailVerified {
			// security.md D.22: everything whoever pre-registered the
			// address could hold dies with this transaction.
			if res, err = s.resetUnverified(ctx, c, u.ID, at); err != nil {
				return err
			}
			u.PasswordHash, u.TokensValidAfter, changed = "", laterEpoch(u.TokensValidAfter, at), true
		}
		id := l.Identity
		if id.CreatedAt.IsZero() {
			id.CreatedAt = at
		}
		if id, err = s.insertIdentity(ctx, c, id); err != nil {
			return err
		}
		res.Identity = id
		if l.VerifyEmail && !u.EmailVerified {
			u.EmailVerified, changed = true, true
		}
		if changed {
			u.UpdatedAt = at
			if _, err := c.exec(ctx, `UPDATE users SET email_verified = ?, password_hash = ?, updated_at = ?,
				tokens_valid_after = ? WHERE id = ?`,
				u.EmailVerified, nullString(u.PasswordHash), s.f.t(at), s.f.nt(u.TokensValidAfter), u.ID); err != nil {
				return s.f.err("link identity", err)
			}
		}
		res.User = u
		return nil
	})
	if err != nil {
		return torii.LinkResult{}, err
	}
	return res, nil
}
