package sqlstore

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/toriihq/torii"
)

const userCols = `id, email, email_verified, name, avatar_url, password_hash, status,
	is_first_login, last_login_at, created_at, updated_at, deleted_at, tokens_valid_after`

func scanUser(sc scanner) (torii.User, error) {
	var (
		u      torii.User
		pw     sql.NullString
		status string
	)
	err := sc.Scan(&u.ID, &u.Email, &u.EmailVerified, &u.Name, &u.AvatarURL, &pw, &status,
		&u.IsFirstLogin, nullTimeCol{&u.LastLoginAt}, timeCol{&u.CreatedAt}, timeCol{&u.UpdatedAt},
		nullTimeCol{&u.DeletedAt}, nullTimeCol{&u.TokensValidAfter})
	u.PasswordHash = pw.String
	u.Status = torii.UserStatus(status)
	return u, err
}

// cleanUser brings u to the form in which it is stored, so that what a
// method returns is exactly what a later read returns.
func cleanUser(u torii.User) (torii.User, error) {
	u.Email = torii.NormalizeEmail(u.Email)
	if !u.Status.Valid() {
		return u, torii.Invalid(map[string]string{"status": "must be active or inactive"})
	}
	u.CreatedAt, u.UpdatedAt = ts(u.CreatedAt), ts(u.UpdatedAt)
	u.LastLoginAt, u.DeletedAt = tsPtr(u.LastLoginAt), tsPtr(u.DeletedAt)
	u.TokensValidAfter = tsPtr(u.TokensValidAfter)
	return u, nil
}

func tsPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := ts(*t)
	return &v
}

// nullString stores "" as NULL (a user without a password has none).
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// CreateUser implements torii.UserStore. An empty Status means active. The
// email is stored normalised (torii.NormalizeEmail).
func (s *Store) CreateUser(ctx context.Context, u torii.User) (torii.User, error) {
	if u.Status == "" {
		u.Status = torii.StatusActive
	}
	if u.CreatedAt.IsZero() {
		u.CreatedAt = s.now()
	}
	u.UpdatedAt = u.CreatedAt
	return s.insertUser(ctx, s.writer(), u)
}

// insertUser inserts a user on c (a pool or a transaction), applying
// CreateUser's defaults.
func (s *Store) insertUser(ctx context.Context, c conn, u torii.User) (torii.User, error) {
	u, err := cleanUser(u)
	if err != nil {
		return torii.User{}, err
	}
	err = c.queryRow(ctx, `INSERT INTO users (email, email_verified, name, avatar_url,
		password_hash, status, is_first_login, last_login_at, created_at, updated_at, deleted_at,
		tokens_valid_after)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		u.Email, u.EmailVerified, u.Name, u.AvatarURL, nullString(u.PasswordHash), string(u.Status),
		u.IsFirstLogin, s.f.nt(u.LastLoginAt), s.f.t(u.CreatedAt), s.f.t(u.UpdatedAt), s.f.nt(u.DeletedAt),
		s.f.nt(u.TokensValidAfter),
	).Scan(&u.ID)
	if err != nil {
		return torii.User{}, s.f.err("create user", err)
	}
	return u, nil
}

// UserByID implements torii.UserStore.
func (s *Store) UserByID(ctx context.Context, id int64) (torii.User, error) {
	u, err := scanUser(s.reader().queryRow(ctx,
		`SELECT `+userCols+` FROM users WHERE id = ? AND deleted_at IS NULL`, id))
	return u, s.f.err("user by id", err)
}

// UserByEmail implements torii.UserStore. Emails are stored normalised, so
// the lookup compares the normalised form exactly (never lower() in SQL,
// which folds Unicode on PostgreSQL: U+212A KELVIN SIGN would match "k").
// The condition matches the partial unique index users_email_exact_live.
func (s *Store) UserByEmail(ctx context.Context, email string) (torii.User, error) {
	u, err := scanUser(s.reader().queryRow(ctx,
		`SELECT `+userCols+` FROM users WHERE email = ? AND deleted_at IS NULL`,
		torii.NormalizeEmail(email)))
	return u, s.f.err("user by email", err)
}

// lockUser reads a live user inside a transaction, locking its row on
// PostgreSQL so that concurrent read-modify-writes of one user take turns.
func (s *Store) lockUser(ctx context.Context, c conn, id int64) (torii.User, error) {
	u, err := scanUser(c.queryRow(ctx,
		`SELECT `+userCols+` FROM users WHERE id = ? AND deleted_at IS NULL`+s.f.forUpdate, id))
	return u, s.f.err("lock user", err)
}

// UpdateUser implements torii.UserStore. update must not call the store: on
// SQLite the transaction holds the only writer connection.
//
// UpdatedAt is written as update leaves it: the caller owns the clock and
// sets it. If the update deactivates or deletes the user, its sessions are
// revoked at the new UpdatedAt in the same transaction, as SetUserStatus
// does, so that data-model.md's rule holds whichever method deactivates;
// deactivation also moves the token epoch to the new UpdatedAt.
func (s *Store) UpdateUser(ctx context.Context, id int64, update func(*torii.User) error) (torii.User, error) {
	var u torii.User
	err := s.inTx(ctx, func(c conn) error {
		old, err := s.lockUser(ctx, c, id)
		if err != nil {
			return err
		}
		u = old
		if err := update(&u); err != nil {
			return err
		}
		u.ID, u.CreatedAt = old.ID, old.CreatedAt
		if u, err = cleanUser(u); err != nil {
			return err
		}
		deactivated := old.Status == torii.StatusActive && u.Status == torii.StatusInactive
		if deactivated {
			// As SetUserStatus: access tokens issued before stay dead.
			u.TokensValidAfter = laterEpoch(u.TokensValidAfter, u.UpdatedAt)
		}
		_, err = c.exec(ctx, `UPDATE users SET email = ?, email_verified = ?, name = ?, avatar_url = ?,
			password_hash = ?, status = ?, is_first_login = ?, last_login_at = ?, updated_at = ?,
			deleted_at = ?, tokens_valid_after = ? WHERE id = ?`,
			u.Email, u.EmailVerified, u.Name, u.AvatarURL, nullString(u.PasswordHash), string(u.Status),
			u.IsFirstLogin, s.f.nt(u.LastLoginAt), s.f.t(u.UpdatedAt), s.f.nt(u.DeletedAt),
			s.f.nt(u.TokensValidAfter), id)
		if err != nil {
			return s.f.err("update user", err)
		}
		if deactivated || (old.DeletedAt == nil && u.DeletedAt != nil) {
			return s.revokeAll(ctx, c, id, u.UpdatedAt)
		}
		return nil
	})
	if err != nil {
		return torii.User{}, err
	}
	return u, nil
}

// SetUserStatus implements torii.UserStore. It also sets UpdatedAt to at;
// deactivation moves the token epoch (TokensValidAfter) to at, so access
// tokens issued before stay dead even if the user is activated again.
func (s *Store) SetUserStatus(ctx context.Context, id int64, status torii.UserStatus, at time.Time) (torii.User, error) {
	if !status.Valid() {
		return torii.User{}, torii.Invalid(map[string]string{"status": "must be active or inactive"})
	}
	var u torii.User
	err := s.inTx(ctx, func(c conn) error {
		var err error
		if u, err = s.lockUser(ctx, c, id); err != nil {
			return err
		}
		u.Status, u.UpdatedAt = status, ts(at)
		if status == torii.StatusInactive {
			u.TokensValidAfter = laterEpoch(u.TokensValidAfter, at)
		}
		if _, err := c.exec(ctx, `UPDATE users SET status = ?, updated_at = ?, tokens_valid_after = ? WHERE id = ?`,
			string(status), s.f.t(at), s.f.nt(u.TokensValidAfter), id); err != nil {
			return s.f.err("set user status", err)
		}
		if status == torii.StatusInactive {
			return s.revokeAll(ctx, c, id, at)
		}
		return nil
	})
	if err != nil {
		return torii.User{}, err
	}
	return u, nil
}

// ListUsers implements torii.UserStore. Deleted users are left out. The
// query is a substring of the email or name, matched case-insensitively;
// % and _ in it match themselves.
func (s *Store) ListUsers(ctx context.Context, f torii.UserFilter) ([]torii.User, error) {
	q := `SELECT ` + userCols + ` FROM users WHERE deleted_at IS NULL AND id > ?`
	args := []any{f.AfterID}
	if f.Query != "" {
		// Emails are stored normalised: the query is normalised the same
		// way and compared as is (lower() would fold Unicode on
		// PostgreSQL). SQLite's LIKE ignores ASCII case, PostgreSQL's does
		// not; both sides are ASCII-lowered, so they agree.
		q += ` AND (email LIKE ? ESCAPE '\' OR lower(name) LIKE lower(?) ESCAPE '\')`
		args = append(args, "%"+likeEscaper.Replace(torii.NormalizeEmail(f.Query))+"%",
			"%"+likeEscaper.Replace(f.Query)+"%")
	}
	if f.Status != "" {
		q += ` AND status = ?`
		args = append(args, string(f.Status))
	}
	q += ` ORDER BY id LIMIT ?`
	args = append(args, limit(f.Limit))
	rows, err := s.reader().query(ctx, q, args...)
	if err != nil {
		return nil, s.f.err("list users", err)
	}
	defer rows.Close()
	users := []torii.User{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, s.f.err("list users", err)
		}
		users = append(users, u)
	}
	return users, s.f.err("list users", rows.Err())
}

// likeEscaper makes LIKE's wildcards literal (with ESCAPE '\').
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// CountUsers implements torii.UserStore.
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := s.reader().queryRow(ctx, `SELECT COUNT(*) FROM users WHERE deleted_at IS NULL`).Scan(&n)
	return n, s.f.err("count users", err)
}

// laterEpoch moves a token epoch forward to at, never back.
func laterEpoch(old *time.Time, at time.Time) *time.Time {
	at = ts(at)
	if old != nil && !old.Before(at) {
		return old
	}
	return &at
}
