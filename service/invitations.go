package service

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/mail"
)

// Invitations to register (issue 19, docs/api.md "Invitations").
const (
	// InviteTTL is how long an invitation works.
	InviteTTL = 7 * 24 * time.Hour
	// MaxPendingInvites bounds the live invitations of the server.
	MaxPendingInvites = 1000
	// maxInviteGroups bounds the groups one invitation names.
	maxInviteGroups = 20
	mailKindInvite  = "invite"
)

func errInviteInvalid() error {
	return torii.Errorf(torii.ETokenInvalid, "This invitation link is invalid, already used, revoked or expired. Ask for a new one.")
}

// InviteInput is an admin's invitation of an address.
type InviteInput struct {
	Email string
	// Groups are group names (matched case-insensitively); the invitee
	// becomes a member of each.
	Groups []string
	// Admin grants the invitee the admin role.
	Admin bool
}

// UserInvitation is an invitation to register as admins see it.
type UserInvitation struct {
	torii.Invitation
	Groups []torii.Group
	// Mailed says whether the invitation was mailed (creation only).
	Mailed bool
}

func (s *Service) inviteLink(token string) string {
	return s.opts.Issuer + "/invite?token=" + url.QueryEscape(token)
}

// Invite makes an invitation and returns it with its link; when mail is
// on the link is also mailed to the address, in the same transaction.
// Inviting an address again replaces its earlier invitation (the old
// link dies). The address counts as verified once the invitee registers
// through the link (security.md I.42: an admin invited it). Errors:
// FORBIDDEN, VALIDATION_ERROR (`email`, `groups`: an unknown group, or the
// allowlist does not admit the address, or too many pending),
// EMAIL_ALREADY_EXISTS.
func (s *Service) Invite(ctx context.Context, in InviteInput, by Actor) (UserInvitation, string, error) {
	if err := needAdmin(by); err != nil {
		return UserInvitation{}, "", err
	}
	email := torii.NormalizeEmail(in.Email)
	fields := fieldErrors{}
	fields.checkEmail(email)
	var groups []torii.Group
	if len(in.Groups) > maxInviteGroups {
		fields["groups"] = "must name at most 20 groups"
	}
	for _, name := range in.Groups {
		if fields["groups"] != "" {
			break
		}
		g, err := s.store.GroupByName(ctx, strings.TrimSpace(name))
		if errors.Is(err, torii.ErrNotFound) {
			fields["groups"] = "names an unknown group: " + truncate(name, 100)
			break
		} else if err != nil {
			return UserInvitation{}, "", err
		}
		if !slices.ContainsFunc(groups, func(x torii.Group) bool { return x.ID == g.ID }) {
			groups = append(groups, g)
		}
	}
	if fields["email"] == "" {
		// The invitee could register but never sign in afterwards.
		if ok, err := s.Allowed(ctx, email); err != nil {
			return UserInvitation{}, "", err
		} else if !ok {
			fields["email"] = "is not admitted by the allowlist: add it there first"
		}
	}
	if err := fields.err(); err != nil {
		return UserInvitation{}, "", err
	}
	token, err := s.newToken()
	if err != nil {
		return UserInvitation{}, "", err
	}
	now := s.now().UTC()
	inv := torii.Invitation{TokenHash: SessionID(token), Email: email, GroupIDs: []int64{}, Admin: in.Admin,
		InvitedBy: by.UserID, CreatedAt: now, ExpiresAt: now.Add(InviteTTL)}
	for _, g := range groups {
		inv.GroupIDs = append(inv.GroupIDs, g.ID)
	}
	var m *torii.OutboxMail
	if s.MailEnabled() {
		inviter := by.Email
		if by.UserID == nil {
			inviter = ""
		}
		msg, err := mail.Recovery(mail.KindInvite, email, mail.LinkData{Lang: by.Meta.Lang, Link: s.inviteLink(token), Days: int(InviteTTL / (24 * time.Hour)), Inviter: inviter})
		if err != nil {
			return UserInvitation{}, "", err
		}
		m = &torii.OutboxMail{Kind: mailKindInvite, To: email, Subject: msg.Subject, Text: msg.Text, HTML: msg.HTML, CreatedAt: now}
	}
	inv, err = s.store.CreateInvitation(ctx, inv, m, MaxPendingInvites)
	if errors.Is(err, torii.ErrConflict) {
		return UserInvitation{}, "", torii.Errorf(torii.EEmailAlreadyExists, "An account with this email already exists.")
	} else if err != nil {
		return UserInvitation{}, "", err
	}
	if m != nil {
		s.outbox.poke()
	}
	names := make([]string, len(groups))
	for i, g := range groups {
		names[i] = g.Name
	}
	s.audit(ctx, torii.AuditInvite, nil, email, by.Meta, map[string]any{"invitation": inv.ID, "groups": names, "admin": in.Admin, "mailed": m != nil, "by": by.Email})
	return UserInvitation{Invitation: inv, Groups: groups, Mailed: m != nil}, s.inviteLink(token), nil
}

// Invitations lists the live invitations, newest first. Errors: FORBIDDEN.
func (s *Service) Invitations(ctx context.Context, by Actor) ([]UserInvitation, error) {
	if err := needAdmin(by); err != nil {
		return nil, err
	}
	list, err := s.store.Invitations(ctx, s.now().UTC())
	if err != nil {
		return nil, err
	}
	out := make([]UserInvitation, 0, len(list))
	for _, inv := range list {
		v, err := s.invitationView(ctx, inv)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func (s *Service) invitationView(ctx context.Context, inv torii.Invitation) (UserInvitation, error) {
	v := UserInvitation{Invitation: inv, Groups: []torii.Group{}}
	for _, id := range inv.GroupIDs {
		g, err := s.store.GroupByID(ctx, id)
		if errors.Is(err, torii.ErrNotFound) {
			continue // deleted since: skipped at registration too
		} else if err != nil {
			return UserInvitation{}, err
		}
		v.Groups = append(v.Groups, g)
	}
	return v, nil
}

// RevokeInvitation deletes invitation id: its link dies. Errors:
// FORBIDDEN, NOT_FOUND.
func (s *Service) RevokeInvitation(ctx context.Context, id int64, by Actor) error {
	if err := needAdmin(by); err != nil {
		return err
	}
	inv, err := s.store.DeleteInvitation(ctx, id)
	if err != nil {
		return err
	}
	s.audit(ctx, torii.AuditInviteRevoke, nil, inv.Email, by.Meta, map[string]any{"invitation": inv.ID, "by": by.Email})
	return nil
}

// CheckInvitation returns the invitation a link carries, if it is live
// (the registration page shows its address). Errors: TOKEN_INVALID.
func (s *Service) CheckInvitation(ctx context.Context, token string) (UserInvitation, error) {
	if !wellFormedToken(token) {
		return UserInvitation{}, errInviteInvalid()
	}
	inv, err := s.store.InvitationByToken(ctx, SessionID(token), s.now().UTC())
	if errors.Is(err, torii.ErrNotFound) {
		return UserInvitation{}, errInviteInvalid()
	} else if err != nil {
		return UserInvitation{}, err
	}
	return s.invitationView(ctx, inv)
}

// AcceptInvitation registers the invitee with a password and signs them
// in: the account gets the invitation's address (verified), groups and
// role, whatever TORII_SIGNUP says. Errors: TOKEN_INVALID, NOT_ALLOWED
// (password sign-in off), VALIDATION_ERROR (`name`, `password`),
// EMAIL_ALREADY_EXISTS (the address registered meanwhile), RATE_LIMITED
// (per IP, as registrations).
func (s *Service) AcceptInvitation(ctx context.Context, token, nameIn, plain string, m Meta) (SignIn, error) {
	if !s.opts.PasswordLogin {
		return SignIn{}, errPasswordLoginOff()
	}
	if ok, retry := allow(s.opts.RegisterPerIP, m.IP); !ok {
		return SignIn{}, errRateLimited(retry)
	}
	if _, err := s.CheckInvitation(ctx, token); err != nil {
		return SignIn{}, err
	}
	name := cleanName(nameIn)
	fields := fieldErrors{}
	fields.checkName(name)
	fields.checkPassword("password", plain)
	if err := fields.err(); err != nil {
		return SignIn{}, err
	}
	hash, err := s.hasher.Hash(ctx, plain)
	if err != nil {
		return SignIn{}, err
	}
	now := s.now().UTC()
	u, inv, err := s.store.AcceptInvitation(ctx, SessionID(token), torii.User{
		Name: name, PasswordHash: hash, Status: torii.StatusActive, IsFirstLogin: true, LastLoginAt: &now, CreatedAt: now,
	}, now)
	switch {
	case errors.Is(err, torii.ErrNotFound):
		return SignIn{}, errInviteInvalid()
	case errors.Is(err, torii.ErrConflict):
		return SignIn{}, torii.Errorf(torii.EEmailAlreadyExists, "An account with this email already exists.")
	case err != nil:
		return SignIn{}, err
	}
	s.audit(ctx, torii.AuditRegister, &u.ID, u.Email, m, map[string]any{"method": "invitation"})
	s.audit(ctx, torii.AuditInviteAccept, &u.ID, u.Email, m, map[string]any{"invitation": inv.ID, "groups": inv.GroupIDs, "admin": inv.Admin})
	if inv.Admin {
		s.audit(ctx, torii.AuditUserRoles, &u.ID, u.Email, m, map[string]any{"granted": torii.RoleAdmin, "by": "invitation"})
	}
	return s.signedIn(ctx, u, m, "password")
}
