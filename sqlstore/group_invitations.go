package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/toriihq/torii"
)

const invitationCols = `i.id, i.group_id, i.user_id, r.name, i.invited_by, i.created_at, i.expires_at`

// invitationFrom joins the role's name, for invitationCols.
const invitationFrom = ` FROM group_invitations i JOIN group_roles r ON r.id = i.group_role_id`

func scanInvitation(sc scanner) (torii.GroupInvitation, error) {
	var inv torii.GroupInvitation
	err := sc.Scan(&inv.ID, &inv.GroupID, &inv.UserID, &inv.Role, nullIntCol{&inv.InvitedBy}, timeCol{&inv.CreatedAt}, timeCol{&inv.ExpiresAt})
	return inv, err
}

// CreateGroupInvitation implements torii.GroupInvitationStore. The group's
// row is locked first, so that two invitations racing on PostgreSQL cannot
// both pass the limit.
func (s *Store) CreateGroupInvitation(ctx context.Context, inv torii.GroupInvitation, max int) (torii.GroupInvitation, error) {
	if inv.CreatedAt.IsZero() {
		inv.CreatedAt = s.now()
	}
	inv.CreatedAt, inv.ExpiresAt = ts(inv.CreatedAt), ts(inv.ExpiresAt)
	err := s.inTx(ctx, func(c conn) error {
		var roleID int64
		err := c.queryRow(ctx, `SELECT id FROM group_roles WHERE name = ?`, inv.Role).Scan(&roleID)
		if errors.Is(err, sql.ErrNoRows) {
			return torii.Invalid(map[string]string{"role": fmt.Sprintf("unknown group role %q", inv.Role)})
		} else if err != nil {
			return s.f.err("create group invitation", err)
		}
		var gid int64
		if err := c.queryRow(ctx, `SELECT id FROM groups WHERE id = ?`+s.f.forUpdate, inv.GroupID).Scan(&gid); err != nil {
			return s.f.err("create group invitation", err)
		}
		if _, err := c.exec(ctx, `DELETE FROM group_invitations WHERE group_id = ? AND expires_at <= ?`,
			inv.GroupID, s.f.t(inv.CreatedAt)); err != nil {
			return s.f.err("create group invitation", err)
		}
		// A renewal does not add a row, so it never hits the limit.
		var others int
		if err := c.queryRow(ctx, `SELECT count(*) FROM group_invitations WHERE group_id = ? AND user_id <> ?`,
			inv.GroupID, inv.UserID).Scan(&others); err != nil {
			return s.f.err("create group invitation", err)
		}
		if others >= max {
			return torii.ErrInvitationLimit
		}
		err = c.queryRow(ctx, `INSERT INTO group_invitations (group_id, user_id, group_role_id, invited_by, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (group_id, user_id) DO UPDATE SET group_role_id = excluded.group_role_id,
				invited_by = excluded.invited_by, created_at = excluded.created_at, expires_at = excluded.expires_at
			RETURNING id`,
			inv.GroupID, inv.UserID, roleID, nullInt(inv.InvitedBy), s.f.t(inv.CreatedAt), s.f.t(inv.ExpiresAt)).Scan(&inv.ID)
		return s.f.err("create group invitation", err)
	})
	if err != nil {
		return torii.GroupInvitation{}, err
	}
	return inv, nil
}

// GroupInvitationByID implements torii.GroupInvitationStore.
func (s *Store) GroupInvitationByID(ctx context.Context, id int64) (torii.GroupInvitation, error) {
	inv, err := scanInvitation(s.reader().queryRow(ctx, `SELECT `+invitationCols+invitationFrom+` WHERE i.id = ?`, id))
	return inv, s.f.err("group invitation by id", err)
}

// GroupInvitations implements torii.GroupInvitationStore.
func (s *Store) GroupInvitations(ctx context.Context, groupID int64, now time.Time) ([]torii.GroupInvitation, error) {
	return s.listInvitations(ctx, "group invitations", `SELECT `+invitationCols+invitationFrom+`
		WHERE i.group_id = ? AND i.expires_at > ? ORDER BY i.id`, groupID, s.f.t(now))
}

// invitationOfUser limits invitations to those addressed to a live
// account: created at or after it, so an invitation to an id nobody held
// then never reaches whoever gets that id later.
const invitationOfUser = ` JOIN users u ON u.id = i.user_id AND u.deleted_at IS NULL AND u.created_at <= i.created_at`

// UserGroupInvitations implements torii.GroupInvitationStore.
func (s *Store) UserGroupInvitations(ctx context.Context, userID int64, now time.Time) ([]torii.GroupInvitation, error) {
	return s.listInvitations(ctx, "user group invitations", `SELECT `+invitationCols+invitationFrom+invitationOfUser+`
		WHERE i.user_id = ? AND i.expires_at > ? ORDER BY i.id`, userID, s.f.t(now))
}

func (s *Store) listInvitations(ctx context.Context, op, q string, args ...any) ([]torii.GroupInvitation, error) {
	rows, err := s.reader().query(ctx, q, args...)
	if err != nil {
		return nil, s.f.err(op, err)
	}
	defer rows.Close()
	out := []torii.GroupInvitation{}
	for rows.Next() {
		inv, err := scanInvitation(rows)
		if err != nil {
			return nil, s.f.err(op, err)
		}
		out = append(out, inv)
	}
	return out, s.f.err(op, rows.Err())
}

// AcceptGroupInvitation implements torii.GroupInvitationStore. The user's
// row is locked, as SetGroupMember does, so a deactivation or deletion
// racing the acceptance is seen.
func (s *Store) AcceptGroupInvitation(ctx context.Context, id, userID int64, now time.Time) (torii.GroupMember, error) {
	var m torii.GroupMember
	err := s.inTx(ctx, func(c conn) error {
		if _, err := s.lockUser(ctx, c, userID); err != nil {
			return err
		}
		inv, err := scanInvitation(c.queryRow(ctx, `SELECT `+invitationCols+invitationFrom+invitationOfUser+`
			WHERE i.id = ? AND i.user_id = ? AND i.expires_at > ?`, id, userID, s.f.t(now)))
		if err != nil {
			return s.f.err("accept group invitation", err)
		}
		at := s.f.t(now)
		if _, err := c.exec(ctx, `INSERT INTO group_members (group_id, user_id, group_role_id, created_at, updated_at)
			SELECT group_id, user_id, group_role_id, ?, ? FROM group_invitations WHERE id = ?
			ON CONFLICT (group_id, user_id) DO NOTHING`, at, at, id); err != nil {
			return s.f.err("accept group invitation", err)
		}
		if _, err := c.exec(ctx, `DELETE FROM group_invitations WHERE id = ?`, id); err != nil {
			return s.f.err("accept group invitation", err)
		}
		m = torii.GroupMember{GroupID: inv.GroupID, UserID: userID}
		err = c.queryRow(ctx, `SELECT r.name, m.created_at FROM group_members m
			JOIN group_roles r ON r.id = m.group_role_id
			WHERE m.group_id = ? AND m.user_id = ?`, inv.GroupID, userID).Scan(&m.Role, timeCol{&m.CreatedAt})
		return s.f.err("accept group invitation", err)
	})
	if err != nil {
		return torii.GroupMember{}, err
	}
	return m, nil
}

// DeleteGroupInvitation implements torii.GroupInvitationStore.
func (s *Store) DeleteGroupInvitation(ctx context.Context, id int64) (torii.GroupInvitation, error) {
	var inv torii.GroupInvitation
	err := s.inTx(ctx, func(c conn) error {
		var err error
		inv, err = scanInvitation(c.queryRow(ctx, `SELECT `+invitationCols+invitationFrom+` WHERE i.id = ?`, id))
		if err != nil {
			return s.f.err("delete group invitation", err)
		}
		res, err := c.exec(ctx, `DELETE FROM group_invitations WHERE id = ?`, id)
		return s.changed("delete group invitation", res, err)
	})
	if err != nil {
		return torii.GroupInvitation{}, err
	}
	return inv, nil
}

// DeleteGroupInvitationOf implements torii.GroupInvitationStore.
func (s *Store) DeleteGroupInvitationOf(ctx context.Context, groupID, userID int64) error {
	_, err := s.writer().exec(ctx, `DELETE FROM group_invitations WHERE group_id = ? AND user_id = ?`, groupID, userID)
	return s.f.err("delete group invitation", err)
}

// DeleteExpiredGroupInvitations implements torii.GroupInvitationStore.
func (s *Store) DeleteExpiredGroupInvitations(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.writer().exec(ctx, `DELETE FROM group_invitations WHERE expires_at <= ?`, s.f.t(now))
	return s.affected("delete expired group invitations", res, err)
}
