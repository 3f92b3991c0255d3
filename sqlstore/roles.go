package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/toriihq/torii"
)

// UserRoles implements torii.RoleStore. A user without roles, or no user at
// all, gets an empty list.
func (s *Store) UserRoles(ctx context.Context, userID int64) ([]string, error) {
	rows, err := s.reader().query(ctx, `SELECT r.name FROM admin_role_user ru
		JOIN admin_roles r ON r.id = ru.admin_role_id
		WHERE ru.user_id = ? ORDER BY r.name`, userID)
	if err != nil {
		return nil, s.f.err("user roles", err)
	}
	defer rows.Close()
	roles := []string{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, s.f.err("user roles", err)
		}
		roles = append(roles, name)
	}
	return roles, s.f.err("user roles", rows.Err())
}

// SetUserRoles implements torii.RoleStore. Roles the user keeps keep their
// grant time; ErrNotFound if the user does not exist or is deleted.
func (s *Store) SetUserRoles(ctx context.Context, userID int64, roles []string) error {
	return s.inTx(ctx, func(c conn) error {
		if _, err := s.lockUser(ctx, c, userID); err != nil {
			return err
		}
		want := map[int64]bool{}
		for _, name := range roles {
			id, err := s.roleID(ctx, c, name)
			if err != nil {
				return err
			}
			want[id] = true
		}
		rows, err := c.query(ctx, `SELECT admin_role_id FROM admin_role_user WHERE user_id = ?`, userID)
		if err != nil {
			return s.f.err("set user roles", err)
		}
		var have []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return s.f.err("set user roles", err)
			}
			have = append(have, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return s.f.err("set user roles", err)
		}
		for _, id := range have {
			if want[id] {
				delete(want, id) // already granted
				continue
			}
			if _, err := c.exec(ctx, `DELETE FROM admin_role_user WHERE user_id = ? AND admin_role_id = ?`,
				userID, id); err != nil {
				return s.f.err("set user roles", err)
			}
		}
		for id := range want {
			if err := s.grant(ctx, c, userID, id); err != nil {
				return err
			}
		}
		return nil
	})
}

// AddUserRole implements torii.RoleStore. ErrNotFound if the user does not
// exist or is deleted.
func (s *Store) AddUserRole(ctx context.Context, userID int64, role string) error {
	return s.inTx(ctx, func(c conn) error {
		if _, err := s.lockUser(ctx, c, userID); err != nil {
			return err
		}
		id, err := s.roleID(ctx, c, role)
		if err != nil {
			return err
		}
		return s.grant(ctx, c, userID, id)
	})
}

// grant adds one role, doing nothing if the user has it.
func (s *Store) grant(ctx context.Context, c conn, userID, roleID int64) error {
	_, err := c.exec(ctx, `INSERT INTO admin_role_user (user_id, admin_role_id, created_at)
		VALUES (?, ?, ?) ON CONFLICT (user_id, admin_role_id) DO NOTHING`,
		userID, roleID, s.f.t(s.now()))
	return s.f.err("grant role", err)
}

// roleID resolves a role name; an unknown name is the caller's mistake, so
// it is a VALIDATION_ERROR rather than a NOT_FOUND.
func (s *Store) roleID(ctx context.Context, c conn, name string) (int64, error) {
	var id int64
	err := c.queryRow(ctx, `SELECT id FROM admin_roles WHERE name = ?`, name).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, torii.Invalid(map[string]string{"roles": fmt.Sprintf("unknown role %q", name)})
	}
	return id, s.f.err("role id", err)
}

// CountRoleHolders implements torii.RoleStore.
func (s *Store) CountRoleHolders(ctx context.Context, role string) (int, error) {
	var n int
	err := s.reader().queryRow(ctx, `SELECT COUNT(*) FROM admin_role_user ru
		JOIN admin_roles r ON r.id = ru.admin_role_id
		JOIN users u ON u.id = ru.user_id
		WHERE r.name = ? AND u.deleted_at IS NULL`, role).Scan(&n)
	return n, s.f.err("count role holders", err)
}
