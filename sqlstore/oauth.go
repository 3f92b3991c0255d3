package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/toriihq/torii"
)

// The OpenID Provider's tables (migration 00010). Lists are stored as JSON
// arrays in TEXT columns: they are read and written whole, never queried.

func jsonList[T any](list []T) string {
	if list == nil {
		list = []T{}
	}
	b, _ := json.Marshal(list)
	return string(b)
}

// jsonCol scans a JSON array column into *dst.
type jsonCol[T any] struct{ dst *[]T }

func (c jsonCol[T]) Scan(v any) error {
	var b []byte
	switch x := v.(type) {
	case string:
		b = []byte(x)
	case []byte:
		b = x
	case nil:
		*c.dst = []T{}
		return nil
	default:
		return fmt.Errorf("sqlstore: JSON column of type %T", v)
	}
	out := []T{}
	if err := json.Unmarshal(b, &out); err != nil {
		return fmt.Errorf("sqlstore: JSON column: %w", err)
	}
	*c.dst = out
	return nil
}

// --- clients ---

const oauthClientCols = `id, name, secret_hash, redirect_uris, post_logout_uris, public, trusted, group_ids, created_by, created_at, updated_at`

func scanOAuthClient(sc scanner) (torii.OAuthClient, error) {
	var (
		c      torii.OAuthClient
		secret sql.NullString
	)
	err := sc.Scan(&c.ID, &c.Name, &secret, jsonCol[string]{&c.RedirectURIs}, jsonCol[string]{&c.PostLogoutURIs},
		&c.Public, &c.Trusted, jsonCol[int64]{&c.GroupIDs}, nullIntCol{&c.CreatedBy}, timeCol{&c.CreatedAt}, timeCol{&c.UpdatedAt})
	c.SecretHash = secret.String
	return c, err
}

// CreateOAuthClient implements torii.OAuthStore.
func (s *Store) CreateOAuthClient(ctx context.Context, c torii.OAuthClient) (torii.OAuthClient, error) {
	if c.ID == "" {
		return c, torii.Invalid(map[string]string{"id": "is required"})
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = time.Now()
	}
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = c.CreatedAt
	}
	c.CreatedAt, c.UpdatedAt = ts(c.CreatedAt), ts(c.UpdatedAt)
	_, err := s.writer().exec(ctx, `INSERT INTO oauth_clients (`+oauthClientCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.Name, nullString(c.SecretHash), jsonList(c.RedirectURIs), jsonList(c.PostLogoutURIs),
		c.Public, c.Trusted, jsonList(c.GroupIDs), nullInt(c.CreatedBy), s.f.t(c.CreatedAt), s.f.t(c.UpdatedAt))
	if err != nil {
		return torii.OAuthClient{}, s.f.err("create oauth client", err)
	}
	return s.oauthClient(ctx, s.writer(), c.ID)
}

func (s *Store) oauthClient(ctx context.Context, c conn, id string) (torii.OAuthClient, error) {
	cl, err := scanOAuthClient(c.queryRow(ctx, `SELECT `+oauthClientCols+` FROM oauth_clients WHERE id = ?`, id))
	return cl, s.f.err("oauth client by id", err)
}

// OAuthClientByID implements torii.OAuthStore.
func (s *Store) OAuthClientByID(ctx context.Context, id string) (torii.OAuthClient, error) {
	return s.oauthClient(ctx, s.reader(), id)
}

// ListOAuthClients implements torii.OAuthStore.
func (s *Store) ListOAuthClients(ctx context.Context) ([]torii.OAuthClient, error) {
	rows, err := s.reader().query(ctx, `SELECT `+oauthClientCols+` FROM oauth_clients ORDER BY created_at, id`)
	if err != nil {
		return nil, s.f.err("list oauth clients", err)
	}
	defer rows.Close()
	list := []torii.OAuthClient{}
	for rows.Next() {
		c, err := scanOAuthClient(rows)
		if err != nil {
			return nil, s.f.err("list oauth clients", err)
		}
		list = append(list, c)
	}
	return list, s.f.err("list oauth clients", rows.Err())
}

// UpdateOAuthClient implements torii.OAuthStore.
func (s *Store) UpdateOAuthClient(ctx context.Context, id string, update func(*torii.OAuthClient) error) (torii.OAuthClient, error) {
	var out torii.OAuthClient
	err := s.inTx(ctx, func(c conn) error {
		old, err := scanOAuthClient(c.queryRow(ctx, `SELECT `+oauthClientCols+` FROM oauth_clients WHERE id = ?`+s.f.forUpdate, id))
		if err != nil {
			return s.f.err("update oauth client", err)
		}
		cl := old
		cl.RedirectURIs = append([]string(nil), old.RedirectURIs...)
		cl.PostLogoutURIs = append([]string(nil), old.PostLogoutURIs...)
		cl.GroupIDs = append([]int64(nil), old.GroupIDs...)
		if err := update(&cl); err != nil {
			return err
		}
		cl.ID, cl.CreatedAt, cl.CreatedBy = old.ID, old.CreatedAt, old.CreatedBy
		if cl.UpdatedAt.IsZero() || cl.UpdatedAt.Equal(old.UpdatedAt) {
			cl.UpdatedAt = time.Now()
		}
		cl.UpdatedAt = ts(cl.UpdatedAt)
		_, err = c.exec(ctx, `UPDATE oauth_clients SET name = ?, secret_hash = ?, redirect_uris = ?, post_logout_uris = ?,
			public = ?, trusted = ?, group_ids = ?, updated_at = ? WHERE id = ?`,
			cl.Name, nullString(cl.SecretHash), jsonList(cl.RedirectURIs), jsonList(cl.PostLogoutURIs),
			cl.Public, cl.Trusted, jsonList(cl.GroupIDs), s.f.t(cl.UpdatedAt), id)
		if err != nil {
			return s.f.err("update oauth client", err)
		}
		out, err = s.oauthClient(ctx, c, id)
		return err
	})
	return out, err
}

// DeleteOAuthClient implements torii.OAuthStore; the foreign keys cascade
// to consents, requests, codes and tokens.
func (s *Store) DeleteOAuthClient(ctx context.Context, id string) error {
	res, err := s.writer().exec(ctx, `DELETE FROM oauth_clients WHERE id = ?`, id)
	return s.changed("delete oauth client", res, err)
}

// --- consents ---

const oauthConsentCols = `user_id, client_id, scopes, created_at, updated_at`

func scanOAuthConsent(sc scanner) (torii.OAuthConsent, error) {
	var c torii.OAuthConsent
	err := sc.Scan(&c.UserID, &c.ClientID, jsonCol[string]{&c.Scopes}, timeCol{&c.CreatedAt}, timeCol{&c.UpdatedAt})
	return c, err
}

// SaveOAuthConsent implements torii.OAuthStore.
func (s *Store) SaveOAuthConsent(ctx context.Context, c torii.OAuthConsent) error {
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = c.CreatedAt
	}
	_, err := s.writer().exec(ctx, `INSERT INTO oauth_consents (`+oauthConsentCols+`) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (user_id, client_id) DO UPDATE SET scopes = excluded.scopes, updated_at = excluded.updated_at`,
		c.UserID, c.ClientID, jsonList(c.Scopes), s.f.t(c.CreatedAt), s.f.t(c.UpdatedAt))
	return s.f.err("save oauth consent", err)
}

// OAuthConsent implements torii.OAuthStore.
func (s *Store) OAuthConsent(ctx context.Context, userID int64, clientID string) (torii.OAuthConsent, error) {
	c, err := scanOAuthConsent(s.reader().queryRow(ctx, `SELECT `+oauthConsentCols+` FROM oauth_consents
		WHERE user_id = ? AND client_id = ?`, userID, clientID))
	return c, s.f.err("oauth consent", err)
}

// ListOAuthConsents implements torii.OAuthStore.
func (s *Store) ListOAuthConsents(ctx context.Context, userID int64) ([]torii.OAuthConsent, error) {
	rows, err := s.reader().query(ctx, `SELECT `+oauthConsentCols+` FROM oauth_consents
		WHERE user_id = ? ORDER BY updated_at DESC, client_id`, userID)
	if err != nil {
		return nil, s.f.err("list oauth consents", err)
	}
	defer rows.Close()
	list := []torii.OAuthConsent{}
	for rows.Next() {
		c, err := scanOAuthConsent(rows)
		if err != nil {
			return nil, s.f.err("list oauth consents", err)
		}
		list = append(list, c)
	}
	return list, s.f.err("list oauth consents", rows.Err())
}

// DeleteOAuthConsent implements torii.OAuthStore.
func (s *Store) DeleteOAuthConsent(ctx context.Context, userID int64, clientID string, at time.Time) error {
	return s.inTx(ctx, func(c conn) error {
		res, err := c.exec(ctx, `DELETE FROM oauth_consents WHERE user_id = ? AND client_id = ?`, userID, clientID)
		if err := s.changed("delete oauth consent", res, err); err != nil {
			return err
		}
		return s.revokeUserOAuth(ctx, c, userID, clientID, at)
	})
}

// --- authorization requests and codes ---

const oauthRequestCols = `id, client_id, redirect_uri, state, nonce, scopes, response_type, response_mode,
	code_challenge, code_challenge_method, prompt, max_age, login_hint, hint_subject, user_id, session_id, auth_time, amr, done,
	created_at, expires_at`

func scanOAuthRequest(sc scanner) (torii.OAuthAuthRequest, error) {
	var (
		r       torii.OAuthAuthRequest
		user    sql.NullInt64
		session sql.NullString
		auth    *time.Time
	)
	err := sc.Scan(&r.ID, &r.ClientID, &r.RedirectURI, &r.State, &r.Nonce, jsonCol[string]{&r.Scopes},
		&r.ResponseType, &r.ResponseMode, &r.CodeChallenge, &r.CodeChallengeMethod, jsonCol[string]{&r.Prompt},
		nullIntCol{&r.MaxAge}, &r.LoginHint, &r.HintSubject, &user, &session, nullTimeCol{&auth}, jsonCol[string]{&r.AMR}, &r.Done,
		timeCol{&r.CreatedAt}, timeCol{&r.ExpiresAt})
	r.UserID, r.SessionID = user.Int64, session.String
	if auth != nil {
		r.AuthTime = *auth
	}
	return r, err
}

func (s *Store) oauthRequestArgs(r torii.OAuthAuthRequest) []any {
	var user any
	if r.UserID != 0 {
		user = r.UserID
	}
	var auth *time.Time
	if !r.AuthTime.IsZero() {
		auth = &r.AuthTime
	}
	return []any{r.ID, r.ClientID, r.RedirectURI, r.State, r.Nonce, jsonList(r.Scopes), r.ResponseType, r.ResponseMode,
		r.CodeChallenge, r.CodeChallengeMethod, jsonList(r.Prompt), nullInt(r.MaxAge), r.LoginHint, r.HintSubject, user,
		nullString(r.SessionID), s.f.nt(auth), jsonList(r.AMR), r.Done, s.f.t(r.CreatedAt), s.f.t(r.ExpiresAt)}
}

// CreateOAuthAuthRequest implements torii.OAuthStore.
func (s *Store) CreateOAuthAuthRequest(ctx context.Context, r torii.OAuthAuthRequest) error {
	if r.ID == "" {
		return torii.Invalid(map[string]string{"id": "is required"})
	}
	_, err := s.writer().exec(ctx, `INSERT INTO oauth_auth_requests (`+oauthRequestCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, s.oauthRequestArgs(r)...)
	return s.f.err("create oauth auth request", err)
}

// OAuthAuthRequestByID implements torii.OAuthStore.
func (s *Store) OAuthAuthRequestByID(ctx context.Context, id string) (torii.OAuthAuthRequest, error) {
	r, err := scanOAuthRequest(s.reader().queryRow(ctx, `SELECT `+oauthRequestCols+` FROM oauth_auth_requests WHERE id = ?`, id))
	return r, s.f.err("oauth auth request by id", err)
}

// UpdateOAuthAuthRequest implements torii.OAuthStore.
func (s *Store) UpdateOAuthAuthRequest(ctx context.Context, id string, update func(*torii.OAuthAuthRequest) error) (torii.OAuthAuthRequest, error) {
	var out torii.OAuthAuthRequest
	err := s.inTx(ctx, func(c conn) error {
		old, err := scanOAuthRequest(c.queryRow(ctx, `SELECT `+oauthRequestCols+` FROM oauth_auth_requests WHERE id = ?`+s.f.forUpdate, id))
		if err != nil {
			return s.f.err("update oauth auth request", err)
		}
		r := old
		r.Scopes = append([]string(nil), old.Scopes...)
		r.Prompt = append([]string(nil), old.Prompt...)
		r.AMR = append([]string(nil), old.AMR...)
		if err := update(&r); err != nil {
			return err
		}
		r.ID, r.ClientID, r.RedirectURI, r.CreatedAt = old.ID, old.ClientID, old.RedirectURI, old.CreatedAt
		r.CodeChallenge, r.CodeChallengeMethod = old.CodeChallenge, old.CodeChallengeMethod
		args := s.oauthRequestArgs(r)
		cols := strings.Split(oauthRequestCols, ",")
		sets := make([]string, 0, len(cols)-1)
		for _, col := range cols[1:] {
			sets = append(sets, strings.TrimSpace(col)+" = ?")
		}
		_, err = c.exec(ctx, `UPDATE oauth_auth_requests SET `+strings.Join(sets, ", ")+` WHERE id = ?`, append(args[1:], id)...)
		if err != nil {
			return s.f.err("update oauth auth request", err)
		}
		out, err = scanOAuthRequest(c.queryRow(ctx, `SELECT `+oauthRequestCols+` FROM oauth_auth_requests WHERE id = ?`, id))
		return s.f.err("update oauth auth request", err)
	})
	return out, err
}

// DeleteOAuthAuthRequest implements torii.OAuthStore.
func (s *Store) DeleteOAuthAuthRequest(ctx context.Context, id string) error {
	res, err := s.writer().exec(ctx, `DELETE FROM oauth_auth_requests WHERE id = ?`, id)
	return s.changed("delete oauth auth request", res, err)
}

// CreateOAuthCode implements torii.OAuthStore.
func (s *Store) CreateOAuthCode(ctx context.Context, code torii.OAuthCode) error {
	if code.ID == "" {
		return torii.Invalid(map[string]string{"id": "is required"})
	}
	return s.inTx(ctx, func(c conn) error {
		var done bool
		err := c.queryRow(ctx, `SELECT done FROM oauth_auth_requests WHERE id = ?`+s.f.forUpdate, code.AuthRequestID).Scan(&done)
		if err != nil {
			return s.f.err("create oauth code", err)
		}
		if !done {
			return torii.Errorf(torii.EConflict, "The authorization request is not complete.")
		}
		_, err = c.exec(ctx, `INSERT INTO oauth_codes (id, auth_request_id, client_id, created_at, expires_at, spent_at)
			VALUES (?, ?, ?, ?, ?, ?)`, code.ID, code.AuthRequestID, code.ClientID,
			s.f.t(code.CreatedAt), s.f.t(code.ExpiresAt), s.f.nt(code.SpentAt))
		return s.f.err("create oauth code", err)
	})
}

// SpendOAuthCode implements torii.OAuthStore. The code's row is locked
// (FOR UPDATE on PostgreSQL; SQLite has one writer), so of two spends the
// second sees the first's spent_at.
func (s *Store) SpendOAuthCode(ctx context.Context, id string, at time.Time) (torii.OAuthAuthRequest, error) {
	var (
		r      torii.OAuthAuthRequest
		reused bool
	)
	err := s.inTx(ctx, func(c conn) error {
		var (
			reqID   string
			expires time.Time
			spent   *time.Time
		)
		err := c.queryRow(ctx, `SELECT auth_request_id, expires_at, spent_at FROM oauth_codes WHERE id = ?`+s.f.forUpdate, id).
			Scan(&reqID, timeCol{&expires}, nullTimeCol{&spent})
		if err != nil {
			return s.f.err("spend oauth code", err)
		}
		if spent != nil {
			// Committed, not rolled back: the grant stays revoked.
			reused = true
			return s.revokeGrant(ctx, c, reqID, at)
		}
		if !at.Before(expires) {
			return torii.ErrNotFound
		}
		if _, err := c.exec(ctx, `UPDATE oauth_codes SET spent_at = ? WHERE id = ?`, s.f.t(at), id); err != nil {
			return s.f.err("spend oauth code", err)
		}
		r, err = scanOAuthRequest(c.queryRow(ctx, `SELECT `+oauthRequestCols+` FROM oauth_auth_requests WHERE id = ?`, reqID))
		return s.f.err("spend oauth code", err)
	})
	switch {
	case err != nil:
		return torii.OAuthAuthRequest{}, err
	case reused:
		return torii.OAuthAuthRequest{}, torii.ErrOAuthCodeReused
	}
	return r, nil
}

// --- tokens ---

const oauthTokenCols = `id, kind, client_id, user_id, grant_id, parent_id, scopes, auth_time, amr, created_at, expires_at, spent_at, revoked_at`

func scanOAuthToken(sc scanner) (torii.OAuthToken, error) {
	var (
		t      torii.OAuthToken
		parent sql.NullString
	)
	err := sc.Scan(&t.ID, &t.Kind, &t.ClientID, &t.UserID, &t.GrantID, &parent, jsonCol[string]{&t.Scopes},
		timeCol{&t.AuthTime}, jsonCol[string]{&t.AMR}, timeCol{&t.CreatedAt}, timeCol{&t.ExpiresAt},
		nullTimeCol{&t.SpentAt}, nullTimeCol{&t.RevokedAt})
	t.ParentID = parent.String
	return t, err
}

func (s *Store) insertOAuthToken(ctx context.Context, c conn, t torii.OAuthToken) error {
	if t.ID == "" || (t.Kind != torii.OAuthAccess && t.Kind != torii.OAuthRefresh) {
		return torii.Invalid(map[string]string{"id": "is required", "kind": "must be access or refresh"})
	}
	_, err := c.exec(ctx, `INSERT INTO oauth_tokens (`+oauthTokenCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.ID, t.Kind, t.ClientID, t.UserID, t.GrantID, nullString(t.ParentID), jsonList(t.Scopes), s.f.t(t.AuthTime),
		jsonList(t.AMR), s.f.t(t.CreatedAt), s.f.t(t.ExpiresAt), s.f.nt(t.SpentAt), s.f.nt(t.RevokedAt))
	return s.f.err("insert oauth token", err)
}

// CreateOAuthTokens implements torii.OAuthStore. The user is read FOR
// SHARE on PostgreSQL, so a deactivation racing the issue either commits
// first (and the user is seen inactive: ErrUserInactive) or waits and
// revokes the new tokens with the others.
func (s *Store) CreateOAuthTokens(ctx context.Context, tokens ...torii.OAuthToken) error {
	return s.inTx(ctx, func(c conn) error {
		for _, t := range tokens {
			if err := s.lockActiveUser(ctx, c, t.UserID); err != nil {
				return err
			}
			if err := s.insertOAuthToken(ctx, c, t); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Store) lockActiveUser(ctx context.Context, c conn, userID int64) error {
	var status string
	err := c.queryRow(ctx, `SELECT status FROM users WHERE id = ? AND deleted_at IS NULL`+s.f.forShare, userID).Scan(&status)
	if err != nil {
		return s.f.err("lock user", err)
	}
	if status != string(torii.StatusActive) {
		return torii.ErrUserInactive
	}
	return nil
}

// OAuthTokenByID implements torii.OAuthStore.
func (s *Store) OAuthTokenByID(ctx context.Context, id string) (torii.OAuthToken, error) {
	t, err := scanOAuthToken(s.reader().queryRow(ctx, `SELECT `+oauthTokenCols+` FROM oauth_tokens WHERE id = ?`, id))
	return t, s.f.err("oauth token by id", err)
}

// RotateOAuthRefreshToken implements torii.OAuthStore; the token's row is
// locked as SpendOAuthCode locks a code's.
func (s *Store) RotateOAuthRefreshToken(ctx context.Context, id string, next []torii.OAuthToken, at time.Time) (torii.OAuthToken, error) {
	var (
		old    torii.OAuthToken
		reused bool
	)
	err := s.inTx(ctx, func(c conn) error {
		// The user is locked before the token, in the order a
		// deactivation takes them (user, then its tokens), so the two
		// cannot deadlock on PostgreSQL.
		var userID int64
		if err := c.queryRow(ctx, `SELECT user_id FROM oauth_tokens WHERE id = ?`, id).Scan(&userID); err != nil {
			return s.f.err("rotate oauth refresh token", err)
		}
		active := s.lockActiveUser(ctx, c, userID)
		if active != nil && !errors.Is(active, torii.ErrUserInactive) {
			return active
		}
		var err error
		old, err = scanOAuthToken(c.queryRow(ctx, `SELECT `+oauthTokenCols+` FROM oauth_tokens WHERE id = ?`+s.f.forUpdate, id))
		if err != nil {
			return s.f.err("rotate oauth refresh token", err)
		}
		if old.Kind != torii.OAuthRefresh {
			return torii.ErrNotFound
		}
		if old.SpentAt != nil {
			reused = true
			return s.revokeGrant(ctx, c, old.GrantID, at)
		}
		if !old.Usable(at) {
			return torii.ErrNotFound
		}
		if active != nil {
			return active
		}
		spent := ts(at)
		if _, err := c.exec(ctx, `UPDATE oauth_tokens SET spent_at = ? WHERE id = ?`, s.f.t(spent), id); err != nil {
			return s.f.err("spend oauth refresh token", err)
		}
		for _, t := range next {
			t.ClientID, t.UserID, t.GrantID, t.ParentID = old.ClientID, old.UserID, old.GrantID, old.ID
			t.SpentAt, t.RevokedAt = nil, nil
			if err := s.insertOAuthToken(ctx, c, t); err != nil {
				return err
			}
		}
		old.SpentAt = &spent
		return nil
	})
	switch {
	case err != nil:
		return torii.OAuthToken{}, err
	case reused:
		return old, torii.ErrRefreshTokenReused
	}
	return old, nil
}

// RevokeOAuthGrant implements torii.OAuthStore.
func (s *Store) RevokeOAuthGrant(ctx context.Context, grantID string, at time.Time) (int64, error) {
	res, err := s.writer().exec(ctx, `UPDATE oauth_tokens SET revoked_at = ? WHERE grant_id = ? AND revoked_at IS NULL`,
		s.f.t(at), grantID)
	return s.affected("revoke oauth grant", res, err)
}

func (s *Store) revokeGrant(ctx context.Context, c conn, grantID string, at time.Time) error {
	_, err := c.exec(ctx, `UPDATE oauth_tokens SET revoked_at = ? WHERE grant_id = ? AND revoked_at IS NULL`,
		s.f.t(at), grantID)
	return s.f.err("revoke oauth grant", err)
}

// RevokeUserOAuthTokens implements torii.OAuthStore.
func (s *Store) RevokeUserOAuthTokens(ctx context.Context, userID int64, clientID string, at time.Time) (int64, error) {
	q, args := s.revokeUserOAuthQuery(userID, clientID, at)
	res, err := s.writer().exec(ctx, q, args...)
	return s.affected("revoke user oauth tokens", res, err)
}

// revokeUserOAuth revokes a user's app tokens (of one client when clientID
// is not "") inside a transaction: deactivation, deletion, consent removal.
func (s *Store) revokeUserOAuth(ctx context.Context, c conn, userID int64, clientID string, at time.Time) error {
	q, args := s.revokeUserOAuthQuery(userID, clientID, at)
	_, err := c.exec(ctx, q, args...)
	return s.f.err("revoke user oauth tokens", err)
}

func (s *Store) revokeUserOAuthQuery(userID int64, clientID string, at time.Time) (string, []any) {
	q, args := `UPDATE oauth_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL`, []any{s.f.t(at), userID}
	if clientID != "" {
		q, args = q+` AND client_id = ?`, append(args, clientID)
	}
	return q, args
}

// OAuthTokenClients implements torii.OAuthStore.
func (s *Store) OAuthTokenClients(ctx context.Context, userID int64, now time.Time) ([]string, error) {
	rows, err := s.reader().query(ctx, `SELECT DISTINCT client_id FROM oauth_tokens
		WHERE user_id = ? AND revoked_at IS NULL AND spent_at IS NULL AND expires_at > ? ORDER BY client_id`,
		userID, s.f.t(now))
	if err != nil {
		return nil, s.f.err("oauth token clients", err)
	}
	defer rows.Close()
	list := []string{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, s.f.err("oauth token clients", err)
		}
		list = append(list, id)
	}
	return list, s.f.err("oauth token clients", rows.Err())
}

// DeleteExpiredOAuth implements torii.OAuthStore.
func (s *Store) DeleteExpiredOAuth(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := s.inTx(ctx, func(c conn) error {
		for _, q := range []string{
			`DELETE FROM oauth_codes WHERE expires_at < ?`,
			`DELETE FROM oauth_auth_requests WHERE expires_at < ?`,
			`DELETE FROM oauth_tokens WHERE expires_at < ?`,
		} {
			res, err := c.exec(ctx, q, s.f.t(before))
			k, err := s.affected("delete expired oauth", res, err)
			if err != nil {
				return err
			}
			n += k
		}
		return nil
	})
	return n, err
}
