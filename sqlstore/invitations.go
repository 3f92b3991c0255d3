package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/toriihq/torii"
)

const userInviteCols = `id, token_hash, email, group_ids, admin, invited_by, created_at, expires_at`

func scanUserInvite(sc scanner) (torii.Invitation, error) {
	var (
		inv    torii.Invitation
		groups string
		by     sql.NullInt64
	)
	err := sc.Scan(&inv.ID, &inv.TokenHash, &inv.Email, &groups, &inv.Admin, &by,
		timeCol{&inv.CreatedAt}, timeCol{&inv.ExpiresAt})
	if err != nil {
		return inv, err
	}
	if by.Valid {
		inv.InvitedBy = &by.Int64
	}
	inv.GroupIDs = []int64{}
	return inv, json.Unmarshal([]byte(groups), &inv.GroupIDs)
}

// CreateInvitation implements torii.InvitationStore.
func (s *Store) CreateInvitation(ctx context.Context, inv torii.Invitation, m *torii.OutboxMail, max int) (torii.Invitation, error) {
	if m != nil {
		if err := checkMail(*m); err != nil {
			return torii.Invitation{}, err
		}
	}
	inv.Email = torii.NormalizeEmail(inv.Email)
	inv.CreatedAt, inv.ExpiresAt = ts(inv.CreatedAt), ts(inv.ExpiresAt)
	if inv.GroupIDs == nil {
		inv.GroupIDs = []int64{}
	}
	groups, err := json.Marshal(inv.GroupIDs)
	if err != nil {
		return torii.Invitation{}, err
	}
	err = s.inTx(ctx, func(c conn) error {
		var n int
		err := c.queryRow(ctx, `SELECT COUNT(*) FROM users WHERE email = ? AND deleted_at IS NULL`, inv.Email).Scan(&n)
		if err != nil {
			return s.f.err("create invitation", err)
		}
		if n > 0 {
			return torii.ErrConflict
		}
		if _, err := c.exec(ctx, `DELETE FROM invitations WHERE email = ? OR expires_at <= ?`, inv.Email, s.f.t(inv.CreatedAt)); err != nil {
			return s.f.err("create invitation", err)
		}
		if err := c.queryRow(ctx, `SELECT COUNT(*) FROM invitations`).Scan(&n); err != nil {
			return s.f.err("create invitation", err)
		}
		if n >= max {
			return torii.ErrInvitationsFull
		}
		var by any
		if inv.InvitedBy != nil {
			by = *inv.InvitedBy
		}
		err = c.queryRow(ctx, `INSERT INTO invitations (token_hash, email, group_ids, admin, invited_by, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			inv.TokenHash, inv.Email, string(groups), inv.Admin, by, s.f.t(inv.CreatedAt), s.f.t(inv.ExpiresAt)).Scan(&inv.ID)
		if err != nil {
			return s.f.err("create invitation", err)
		}
		if m == nil {
			return nil
		}
		_, err = s.insertMail(ctx, c, *m)
		return err
	})
	if err != nil {
		return torii.Invitation{}, err
	}
	return inv, nil
}

// Invitations implements torii.InvitationStore.
func (s *Store) Invitations(ctx context.Context, now time.Time) ([]torii.Invitation, error) {
	rows, err := s.reader().query(ctx, `SELECT `+userInviteCols+` FROM invitations
		WHERE expires_at > ? ORDER BY id DESC`, s.f.t(now))
	if err != nil {
		return nil, s.f.err("invitations", err)
	}
	defer rows.Close()
	out := []torii.Invitation{}
	for rows.Next() {
		inv, err := scanUserInvite(rows)
		if err != nil {
			return nil, s.f.err("invitations", err)
		}
		out = append(out, inv)
	}
	return out, s.f.err("invitations", rows.Err())
}

// InvitationByToken implements torii.InvitationStore.
func (s *Store) InvitationByToken(ctx context.Context, hash string, now time.Time) (torii.Invitation, error) {
	inv, err := scanUserInvite(s.reader().queryRow(ctx, `SELECT `+userInviteCols+` FROM invitations
		WHERE token_hash = ? AND expires_at > ?`, hash, s.f.t(now)))
	return inv, s.f.err("invitation by token", err)
}

// DeleteInvitation implements torii.InvitationStore.
func (s *Store) DeleteInvitation(ctx context.Context, id int64) (torii.Invitation, error) {
	inv, err := scanUserInvite(s.writer().queryRow(ctx, `DELETE FROM invitations WHERE id = ? RETURNING `+userInviteCols, id))
	return inv, s.f.err("delete invitation", err)
}

// AcceptInvitation implements torii.InvitationStore. The DELETE …
// RETURNING spends the invitation: of two registrations racing with one
// link, one gets the row and the other ErrNotFound.
func (s *Store) AcceptInvitation(ctx context.Context, hash string, u torii.User, now time.Time) (torii.User, torii.Invitation, error) {
	var inv torii.Invitation
	err := s.inTx(ctx, func(c conn) error {
		var err error
		inv, err = scanUserInvite(c.queryRow(ctx, `DELETE FROM invitations WHERE token_hash = ? AND expires_at > ?
			RETURNING `+userInviteCols, hash, s.f.t(now)))
		if err != nil {
			return s.f.err("accept invitation", err)
		}
		u.Email, u.EmailVerified = inv.Email, true
		if u.Status == "" {
			u.Status = torii.StatusActive
		}
		if u.CreatedAt.IsZero() {
			u.CreatedAt = now
		}
		u.UpdatedAt = u.CreatedAt
		if u, err = s.insertUser(ctx, c, u); err != nil {
			return err
		}
		for _, g := range inv.GroupIDs {
			// A group deleted since the invitation is skipped.
			_, err := c.exec(ctx, `INSERT INTO group_members (group_id, user_id, group_role_id, created_at, updated_at)
				SELECT g.id, ?, r.id, ?, ? FROM groups g, group_roles r WHERE g.id = ? AND r.name = ?
				ON CONFLICT DO NOTHING`, u.ID, s.f.t(u.CreatedAt), s.f.t(u.CreatedAt), g, torii.GroupRoleMember)
			if err != nil {
				return s.f.err("accept invitation", err)
			}
		}
		if !inv.Admin {
			return nil
		}
		roleID, err := s.roleID(ctx, c, torii.RoleAdmin)
		if err != nil {
			return err
		}
		return s.grant(ctx, c, u.ID, roleID)
	})
	if errors.Is(err, sql.ErrNoRows) {
		err = torii.ErrNotFound
	}
	if err != nil {
		return torii.User{}, torii.Invitation{}, err
	}
	return u, inv, nil
}

// DeleteExpiredInvitations implements torii.InvitationStore.
func (s *Store) DeleteExpiredInvitations(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.writer().exec(ctx, `DELETE FROM invitations WHERE expires_at <= ?`, s.f.t(now))
	return s.affected("delete expired invitations", res, err)
}
