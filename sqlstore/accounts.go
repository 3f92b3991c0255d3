package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/toriihq/torii"
)

// CreateAccount implements torii.AccountStore. The group is written with
// INSERT … ON CONFLICT DO NOTHING, never a failing INSERT: on PostgreSQL
// a failed statement would abort the transaction, and two first sign-ins
// racing to create the default group must both succeed.
func (s *Store) CreateAccount(ctx context.Context, u torii.User, id *torii.Identity, j torii.GroupJoin) (torii.User, error) {
	if u.Status == "" {
		u.Status = torii.StatusActive
	}
	if u.CreatedAt.IsZero() {
		u.CreatedAt = s.now()
	}
	u.UpdatedAt = u.CreatedAt
	err := s.inTx(ctx, func(c conn) error {
		var err error
		if u, err = s.insertUser(ctx, c, u); err != nil {
			return err
		}
		if id != nil {
			link := *id
			link.UserID = u.ID
			if link.CreatedAt.IsZero() {
				link.CreatedAt = u.CreatedAt
			}
			if _, err := s.insertIdentity(ctx, c, link); err != nil {
				return err
			}
		}
		if j.Name == "" {
			return nil
		}
		groupID, err := s.joinGroup(ctx, c, u, j)
		if err != nil {
			return err
		}
		var roleID int64
		err = c.queryRow(ctx, `SELECT id FROM group_roles WHERE name = ?`, j.Role).Scan(&roleID)
		if errors.Is(err, sql.ErrNoRows) {
			return torii.Invalid(map[string]string{"role": fmt.Sprintf("unknown group role %q", j.Role)})
		} else if err != nil {
			return s.f.err("create account", err)
		}
		_, err = c.exec(ctx, `INSERT INTO group_members (group_id, user_id, group_role_id, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?)`, groupID, u.ID, roleID, s.f.t(u.CreatedAt), s.f.t(u.CreatedAt))
		return s.f.err("create account", err)
	})
	if err != nil {
		return torii.User{}, err
	}
	return u, nil
}

// joinGroup returns the id of the group j names: a new one founded by u
// (ErrGroupTaken if the name exists), or an existing one, created if
// missing.
func (s *Store) joinGroup(ctx context.Context, c conn, u torii.User, j torii.GroupJoin) (int64, error) {
	var createdBy any
	if j.Found {
		createdBy = u.ID
	}
	now := s.f.t(u.CreatedAt)
	var id int64
	err := c.queryRow(ctx, `INSERT INTO groups (name, description, created_by, created_at, updated_at)
		VALUES (?, '', ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id`, j.Name, createdBy, now, now).Scan(&id)
	switch {
	case err == nil:
		return id, nil
	case !errors.Is(err, sql.ErrNoRows):
		return 0, s.f.err("create account group", err)
	case j.Found:
		return 0, torii.ErrGroupTaken
	}
	err = c.queryRow(ctx, `SELECT id FROM groups WHERE lower(name) = lower(?)`, j.Name).Scan(&id)
	return id, s.f.err("create account group", err)
}
