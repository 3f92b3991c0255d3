package service

import (
	"context"
	"errors"
	"time"

	"github.com/toriihq/torii"
)

// Limits of group invitations (docs/api.md "Group invitations").
const (
	// invitationTTL is how long an invitation can be accepted.
	invitationTTL = 14 * 24 * time.Hour
	// maxPendingInvitations bounds the live invitations of one group, so
	// that no group can flood users with them.
	maxPendingInvitations = 100
)

// errNoInvitation is the one answer for an invitation the caller may not
// act on: missing, expired, or someone else's.
var errNoInvitation = torii.Errorf(torii.ENotFound, "This invitation does not exist or has expired.")

// inviteToGroup records an invitation of m.UserID, whoever that id names
// (nobody, an inactive or deleted account, anyone): the caller learns
// nothing about the id from the answer (security.md I.45). The group's
// right to invite was checked by SetGroupMember.
func (s *Service) inviteToGroup(ctx context.Context, p Principal, m torii.GroupMember, meta Meta) (MemberChange, error) {
	now := s.now().UTC()
	inv, err := s.store.CreateGroupInvitation(ctx, torii.GroupInvitation{
		GroupID: m.GroupID, UserID: m.UserID, Role: m.Role, InvitedBy: &p.User.ID,
		CreatedAt: now, ExpiresAt: now.Add(invitationTTL)}, maxPendingInvitations)
	if err != nil {
		return MemberChange{}, err
	}
	s.audit(ctx, torii.AuditGroupInvite, &p.User.ID, p.User.Email, meta, map[string]any{
		"group": m.GroupID, "userId": m.UserID, "role": m.Role, "invitation": inv.ID})
	return MemberChange{Invitation: &inv}, nil
}

// GroupInvitations lists a group's pending invitations for its owners and
// admins, and site admins. Errors: NOT_FOUND (group, or the caller may
// not see it), FORBIDDEN (a plain member).
func (s *Service) GroupInvitations(ctx context.Context, p Principal, groupID int64) ([]torii.GroupInvitation, error) {
	mine, err := s.groupRoleOf(ctx, p, groupID)
	if err != nil {
		return nil, err
	}
	if err := mayManage(p, mine, "", torii.GroupRoleMember); err != nil {
		return nil, err
	}
	return s.store.GroupInvitations(ctx, groupID, s.now().UTC())
}

// CancelGroupInvitation withdraws a pending invitation of the group. Who
// may: those who may invite with its role. Errors: NOT_FOUND (group or
// invitation), FORBIDDEN.
func (s *Service) CancelGroupInvitation(ctx context.Context, p Principal, groupID, id int64, meta Meta) error {
	mine, err := s.groupRoleOf(ctx, p, groupID)
	if err != nil {
		return err
	}
	inv, err := s.store.GroupInvitationByID(ctx, id)
	if errors.Is(err, torii.ErrNotFound) || (err == nil && (inv.GroupID != groupID || !inv.Live(s.now()))) {
		return errNoInvitation
	} else if err != nil {
		return err
	}
	if err := mayManage(p, mine, "", inv.Role); err != nil {
		return err
	}
	if _, err := s.store.DeleteGroupInvitation(ctx, id); errors.Is(err, torii.ErrNotFound) {
		return errNoInvitation
	} else if err != nil {
		return err
	}
	s.audit(ctx, torii.AuditGroupInviteCancel, &p.User.ID, p.User.Email, meta, map[string]any{
		"group": groupID, "userId": inv.UserID, "invitation": id})
	return nil
}

// InvitationView is an invitation as its invitee sees it: which group,
// and who invited them (the inviter chose to reach out, so their name is
// shown; their email is not).
type InvitationView struct {
	torii.GroupInvitation
	Group       torii.Group
	InviterName string
}

// MyGroupInvitations lists the pending invitations addressed to p.
func (s *Service) MyGroupInvitations(ctx context.Context, p Principal) ([]InvitationView, error) {
	list, err := s.store.UserGroupInvitations(ctx, p.User.ID, s.now().UTC())
	if err != nil {
		return nil, err
	}
	out := make([]InvitationView, 0, len(list))
	for _, inv := range list {
		g, err := s.store.GroupByID(ctx, inv.GroupID)
		if errors.Is(err, torii.ErrNotFound) {
			continue // deleted since (its invitations go with it)
		} else if err != nil {
			return nil, err
		}
		v := InvitationView{GroupInvitation: inv, Group: g}
		if inv.InvitedBy != nil {
			if u, err := s.store.UserByID(ctx, *inv.InvitedBy); err == nil {
				v.InviterName = u.Name
			} else if !errors.Is(err, torii.ErrNotFound) {
				return nil, err
			}
		}
		out = append(out, v)
	}
	return out, nil
}

// AcceptGroupInvitation makes p a member of the invitation's group with
// its role; the membership is created and the invitation deleted in one
// transaction. Errors: NOT_FOUND (missing, expired or not p's).
func (s *Service) AcceptGroupInvitation(ctx context.Context, p Principal, id int64, meta Meta) (torii.Membership, error) {
	m, err := s.store.AcceptGroupInvitation(ctx, id, p.User.ID, s.now().UTC())
	if errors.Is(err, torii.ErrNotFound) {
		return torii.Membership{}, errNoInvitation
	} else if err != nil {
		return torii.Membership{}, err
	}
	g, err := s.store.GroupByID(ctx, m.GroupID)
	if err != nil {
		return torii.Membership{}, err
	}
	s.accessChanged(ctx, p.User.ID)
	s.audit(ctx, torii.AuditGroupInviteAccept, &p.User.ID, p.User.Email, meta, map[string]any{
		"group": m.GroupID, "role": m.Role, "invitation": id})
	return torii.Membership{Group: g, Role: m.Role}, nil
}

// DeclineGroupInvitation deletes an invitation addressed to p. Errors:
// NOT_FOUND (missing, expired or not p's).
func (s *Service) DeclineGroupInvitation(ctx context.Context, p Principal, id int64, meta Meta) error {
	inv, err := s.store.GroupInvitationByID(ctx, id)
	switch {
	case errors.Is(err, torii.ErrNotFound):
		return errNoInvitation
	case err != nil:
		return err
	// An invitation older than the account was addressed to an id nobody
	// held then: it is not p's.
	case inv.UserID != p.User.ID || !inv.Live(s.now()) || inv.CreatedAt.Before(p.User.CreatedAt):
		return errNoInvitation
	}
	if _, err := s.store.DeleteGroupInvitation(ctx, id); errors.Is(err, torii.ErrNotFound) {
		return errNoInvitation
	} else if err != nil {
		return err
	}
	s.audit(ctx, torii.AuditGroupInviteDecline, &p.User.ID, p.User.Email, meta, map[string]any{
		"group": inv.GroupID, "role": inv.Role, "invitation": id})
	return nil
}
