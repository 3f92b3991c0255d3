package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/toriihq/torii"
)

const groupCols = `g.id, g.name, g.description, g.created_by, g.created_at, g.updated_at`

func scanGroup(sc scanner, extra ...any) (torii.Group, error) {
	var g torii.Group
	dest := append([]any{&g.ID, &g.Name, &g.Description, nullIntCol{&g.CreatedBy}, timeCol{&g.CreatedAt}, timeCol{&g.UpdatedAt}}, extra...)
	err := sc.Scan(dest...)
	return g, err
}

// CreateGroup implements torii.GroupStore. CreatedAt defaults to now and
// UpdatedAt to CreatedAt.
func (s *Store) CreateGroup(ctx context.Context, g torii.Group) (torii.Group, error) {
	if g.CreatedAt.IsZero() {
		g.CreatedAt = s.now()
	}
	g.CreatedAt = ts(g.CreatedAt)
	if g.UpdatedAt.IsZero() {
		g.UpdatedAt = g.CreatedAt
	}
	g.UpdatedAt = ts(g.UpdatedAt)
	err := s.writer().queryRow(ctx, `INSERT INTO groups (name, description, created_by, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?) RETURNING id`,
		g.Name, g.Description, nullInt(g.CreatedBy), s.f.t(g.CreatedAt), s.f.t(g.UpdatedAt)).Scan(&g.ID)
	if err != nil {
		return torii.Group{}, s.f.err("create group", err)
	}
	return g, nil
}

// GroupByID implements torii.GroupStore.
func (s *Store) GroupByID(ctx context.Context, id int64) (torii.Group, error) {
	g, err := scanGroup(s.reader().queryRow(ctx, `SELECT `+groupCols+` FROM groups g WHERE g.id = ?`, id))
	return g, s.f.err("group by id", err)
}

// GroupByName implements torii.GroupStore.
func (s *Store) GroupByName(ctx context.Context, name string) (torii.Group, error) {
	g, err := scanGroup(s.reader().queryRow(ctx, `SELECT `+groupCols+` FROM groups g WHERE lower(g.name) = lower(?)`, name))
	return g, s.f.err("group by name", err)
}

// ListGroups implements torii.GroupStore.
func (s *Store) ListGroups(ctx context.Context) ([]torii.Group, error) {
	rows, err := s.reader().query(ctx, `SELECT `+groupCols+` FROM groups g ORDER BY g.id`)
	if err != nil {
		return nil, s.f.err("list groups", err)
	}
	defer rows.Close()
	groups := []torii.Group{}
	for rows.Next() {
		g, err := scanGroup(rows)
		if err != nil {
			return nil, s.f.err("list groups", err)
		}
		groups = append(groups, g)
	}
	return groups, s.f.err("list groups", rows.Err())
}

// UserGroups implements torii.GroupStore. A user in no group, or no user at
// all, gets an empty list.
func (s *Store) UserGroups(ctx context.Context, userID int64) ([]torii.Membership, error) {
	rows, err := s.reader().query(ctx, `SELECT `+groupCols+`, r.name FROM group_members m
		JOIN groups g ON g.id = m.group_id
		JOIN group_roles r ON r.id = m.group_role_id
		WHERE m.user_id = ? ORDER BY g.id`, userID)
	if err != nil {
		return nil, s.f.err("user groups", err)
	}
	defer rows.Close()
	ms := []torii.Membership{}
	for rows.Next() {
		var m torii.Membership
		if m.Group, err = scanGroup(rows, &m.Role); err != nil {
			return nil, s.f.err("user groups", err)
		}
		ms = append(ms, m)
	}
	return ms, s.f.err("user groups", rows.Err())
}

// GroupMembers implements torii.GroupStore. A missing group has no members.
func (s *Store) GroupMembers(ctx context.Context, groupID int64) ([]torii.GroupMember, error) {
	rows, err := s.reader().query(ctx, `SELECT m.group_id, m.user_id, r.name, m.created_at FROM group_members m
		JOIN group_roles r ON r.id = m.group_role_id
		WHERE m.group_id = ? ORDER BY m.user_id`, groupID)
	if err != nil {
		return nil, s.f.err("group members", err)
	}
	defer rows.Close()
	ms := []torii.GroupMember{}
	for rows.Next() {
		var m torii.GroupMember
		if err := rows.Scan(&m.GroupID, &m.UserID, &m.Role, timeCol{&m.CreatedAt}); err != nil {
			return nil, s.f.err("group members", err)
		}
		ms = append(ms, m)
	}
	return ms, s.f.err("group members", rows.Err())
}

// GroupRole implements torii.GroupStore.
func (s *Store) GroupRole(ctx context.Context, groupID, userID int64) (string, error) {
	var role string
	err := s.reader().queryRow(ctx, `SELECT r.name FROM group_members m
		JOIN group_roles r ON r.id = m.group_role_id
		WHERE m.group_id = ? AND m.user_id = ?`, groupID, userID).Scan(&role)
	return role, s.f.err("group role", err)
}

// SetGroupMember implements torii.GroupStore. CreatedAt defaults to now; a
// role change keeps the membership's creation time. The user must be live:
// a deleted user is ErrNotFound, as a missing one.
func (s *Store) SetGroupMember(ctx context.Context, m torii.GroupMember) error {
	if m.CreatedAt.IsZero() {
		m.CreatedAt = s.now()
	}
	return s.inTx(ctx, func(c conn) error {
		var roleID int64
		err := c.queryRow(ctx, `SELECT id FROM group_roles WHERE name = ?`, m.Role).Scan(&roleID)
		if errors.Is(err, sql.ErrNoRows) {
			return torii.Invalid(map[string]string{"role": fmt.Sprintf("unknown group role %q", m.Role)})
		}
		if err != nil {
			return s.f.err("set group member", err)
		}
		if _, err := s.lockUser(ctx, c, m.UserID); err != nil {
			return err
		}
		now := s.f.t(m.CreatedAt)
		_, err = c.exec(ctx, `INSERT INTO group_members (group_id, user_id, group_role_id, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (group_id, user_id) DO UPDATE SET group_role_id = excluded.group_role_id, updated_at = excluded.updated_at`,
			m.GroupID, m.UserID, roleID, now, now)
		return s.f.err("set group member", err)
	})
}

// RemoveGroupMember implements torii.GroupStore.
func (s *Store) RemoveGroupMember(ctx context.Context, groupID, userID int64) error {
	res, err := s.writer().exec(ctx, `DELETE FROM group_members WHERE group_id = ? AND user_id = ?`, groupID, userID)
	return s.changed("remove group member", res, err)
}
