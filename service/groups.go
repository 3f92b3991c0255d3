package service

import (
	"context"
	"errors"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/toriihq/torii"
)

// groupJoin says which group a new account joins: the company it founds
// as owner, else the default group as a member.
func (s *Service) groupJoin(company string) torii.GroupJoin {
	switch {
	case company != "":
		return torii.GroupJoin{Name: company, Role: torii.GroupRoleOwner, Found: true}
	case s.opts.DefaultGroup != "":
		return torii.GroupJoin{Name: s.opts.DefaultGroup, Role: torii.GroupRoleMember}
	}
	return torii.GroupJoin{}
}

// checkCompany validates a registration's cleaned company name. The
// default group's name is reserved: founding it would make the new user
// the owner of everyone's group.
func (s *Service) checkCompany(f fieldErrors, company string) {
	switch {
	case utf8.RuneCountInString(company) > maxCompanyRunes:
		f["companyName"] = "must be at most 100 characters"
	case containsControl(company):
		f["companyName"] = "must not contain control characters"
	case company != "" && strings.EqualFold(company, s.opts.DefaultGroup):
		f["companyName"] = errCompanyTaken
	}
}

const errCompanyTaken = "is already registered: ask its owner to add you"

// groupTakenAsField turns the store's ErrGroupTaken into the registration
// form's field error.
func groupTakenAsField(err error) error {
	if errors.Is(err, torii.ErrGroupTaken) {
		return torii.Invalid(map[string]string{"companyName": errCompanyTaken})
	}
	return err
}

// GroupView is a group as a caller sees it: Role is the caller's role in
// it ("" for an admin who is not a member).
type GroupView struct {
	Group torii.Group
	Role  string
}

// Groups lists the groups p belongs to, or every group for an admin.
func (s *Service) Groups(ctx context.Context, p Principal) ([]GroupView, error) {
	mine, err := s.store.UserGroups(ctx, p.User.ID)
	if err != nil {
		return nil, err
	}
	if !p.IsAdmin() {
		out := make([]GroupView, len(mine))
		for i, m := range mine {
			out[i] = GroupView{Group: m.Group, Role: m.Role}
		}
		return out, nil
	}
	all, err := s.store.ListGroups(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]GroupView, len(all))
	for i, g := range all {
		out[i] = GroupView{Group: g}
		if j := slices.IndexFunc(mine, func(m torii.Membership) bool { return m.Group.ID == g.ID }); j >= 0 {
			out[i].Role = mine[j].Role
		}
	}
	return out, nil
}

// CreateGroup makes a group (admins only: everyone else founds their
// company's group when registering). The admin does not become a member.
// Errors: FORBIDDEN, VALIDATION_ERROR (`name`, also when taken).
func (s *Service) CreateGroup(ctx context.Context, name, description string, by Actor) (torii.Group, error) {
	if err := needAdmin(by); err != nil {
		return torii.Group{}, err
	}
	name, description = cleanName(name), strings.TrimSpace(description)
	fields := fieldErrors{}
	switch {
	case name == "":
		fields["name"] = "is required"
	case utf8.RuneCountInString(name) > maxCompanyRunes:
		fields["name"] = "must be at most 100 characters"
	case containsControl(name):
		fields["name"] = "must not contain control characters"
	}
	if utf8.RuneCountInString(description) > 1000 {
		fields["description"] = "must be at most 1000 characters"
	}
	if err := fields.err(); err != nil {
		return torii.Group{}, err
	}
	if err := allowCreate(s.opts.GroupsPerUser, by.UserID, "groups"); err != nil {
		return torii.Group{}, err
	}
	g, err := s.store.CreateGroup(ctx, torii.Group{Name: name, Description: description, CreatedBy: by.UserID, CreatedAt: s.now().UTC()})
	if errors.Is(err, torii.ErrConflict) {
		return torii.Group{}, torii.Invalid(map[string]string{"name": "is already taken"})
	} else if err != nil {
		return torii.Group{}, err
	}
	s.audit(ctx, torii.AuditGroupCreate, by.UserID, by.Email, by.Meta, map[string]any{"group": g.ID, "name": g.Name})
	return g, nil
}

// MemberView is a member with the user's name and email, for listing.
type MemberView struct {
	torii.GroupMember
	Email string
	Name  string
}

// GroupMembers lists a group's members for one of its members or an
// admin. Errors: NOT_FOUND (no such group, or the caller may not see it).
func (s *Service) GroupMembers(ctx context.Context, p Principal, groupID int64) ([]MemberView, error) {
	if _, err := s.groupRoleOf(ctx, p, groupID); err != nil {
		return nil, err
	}
	ms, err := s.store.GroupMembers(ctx, groupID)
	if err != nil {
		return nil, err
	}
	out := make([]MemberView, 0, len(ms))
	for _, m := range ms {
		u, err := s.store.UserByID(ctx, m.UserID)
		if errors.Is(err, torii.ErrNotFound) {
			continue // deleted users keep no visible membership
		} else if err != nil {
			return nil, err
		}
		out = append(out, MemberView{GroupMember: m, Email: u.Email, Name: u.Name})
	}
	return out, nil
}

// groupRoleOf returns p's role in the group ("" for an admin who is not a
// member). NOT_FOUND when the group is missing or p may not see it: ids of
// groups are never confirmed to outsiders (security.md H.40).
func (s *Service) groupRoleOf(ctx context.Context, p Principal, groupID int64) (string, error) {
	if _, err := s.store.GroupByID(ctx, groupID); err != nil {
		return "", err
	}
	role, err := s.store.GroupRole(ctx, groupID, p.User.ID)
	switch {
	case err == nil:
		return role, nil
	case errors.Is(err, torii.ErrNotFound) && p.IsAdmin():
		return "", nil
	}
	return "", err
}

// MemberChange says what SetGroupMember did.
type MemberChange struct {
	// Added is true when a new membership was made (an admin's act).
	Added bool
	// Invitation is set when the change became an invitation: a group's
	// owners and admins invite, only the invitee's consent adds them.
	Invitation *torii.GroupInvitation
}

// SetGroupMember changes a member's role, or brings a user into a group
// with a role (default member). Who may: admins; the group's owners; the
// group's admins for the member and admin roles, never touching an owner.
// A site admin adds the user at once; anyone else invites them
// (security.md I.45: nobody joins a group without their consent or an
// admin's act), and the answer is the same whether or not the id names a
// user the caller may see, so ids cannot be walked to find accounts. A
// group keeps at least one owner once it has one. Errors: NOT_FOUND
// (group), FORBIDDEN, VALIDATION_ERROR (`userId`, `role`; `userId` for
// an unknown user only when an admin adds, or when the group has too many
// pending invitations).
func (s *Service) SetGroupMember(ctx context.Context, p Principal, m torii.GroupMember, meta Meta) (MemberChange, error) {
	if m.Role == "" {
		m.Role = torii.GroupRoleMember
	}
	if !torii.ValidGroupRole(m.Role) {
		return MemberChange{}, torii.Invalid(map[string]string{"role": "must be owner, admin or member"})
	}
	mine, err := s.groupRoleOf(ctx, p, m.GroupID)
	if err != nil {
		return MemberChange{}, err
	}
	current, err := s.memberRole(ctx, m.GroupID, m.UserID)
	if err != nil {
		return MemberChange{}, err
	}
	if err := mayManage(p, mine, current, m.Role); err != nil {
		return MemberChange{}, err
	}
	if current == "" && !p.IsAdmin() {
		return s.inviteToGroup(ctx, p, m, meta)
	}
	if err := s.keepsOwner(ctx, m.GroupID, m.UserID, current, m.Role); err != nil {
		return MemberChange{}, err
	}
	m.CreatedAt = s.now().UTC()
	err = s.store.SetGroupMember(ctx, m)
	switch {
	case errors.Is(err, torii.ErrNotFound) && !p.IsAdmin():
		// A deleted member: answer as for any id the caller cannot see.
		return s.inviteToGroup(ctx, p, m, meta)
	case errors.Is(err, torii.ErrNotFound):
		return MemberChange{}, torii.Invalid(map[string]string{"userId": "is not a user"})
	case err != nil:
		return MemberChange{}, err
	}
	if current == "" {
		// Added by an admin: an invitation left pending means nothing now.
		if err := s.store.DeleteGroupInvitationOf(ctx, m.GroupID, m.UserID); err != nil {
			s.log.Warn("dropping a pending group invitation failed", "group", m.GroupID, "user", m.UserID, "err", err)
		}
	}
	s.accessChanged(ctx, m.UserID)
	s.audit(ctx, torii.AuditGroupMemberSet, &m.UserID, "", meta, map[string]any{
		"group": m.GroupID, "role": m.Role, "from": current, "by": p.User.Email})
	return MemberChange{Added: current == ""}, nil
}

// RemoveGroupMember takes a user out of a group. Members may leave; the
// rest follows SetGroupMember's rules. Errors: NOT_FOUND (group, or the
// user is not a member), FORBIDDEN, VALIDATION_ERROR (the last owner).
func (s *Service) RemoveGroupMember(ctx context.Context, p Principal, groupID, userID int64, meta Meta) error {
	mine, err := s.groupRoleOf(ctx, p, groupID)
	if err != nil {
		return err
	}
	current, err := s.memberRole(ctx, groupID, userID)
	if err != nil {
		return err
	}
	if current == "" {
		return torii.Errorf(torii.ENotFound, "This user is not a member of the group.")
	}
	if userID != p.User.ID {
		if err := mayManage(p, mine, current, torii.GroupRoleMember); err != nil {
			return err
		}
	}
	if err := s.keepsOwner(ctx, groupID, userID, current, ""); err != nil {
		return err
	}
	if err := s.store.RemoveGroupMember(ctx, groupID, userID); err != nil {
		return err
	}
	s.revokeAppTokens(ctx, userID, "group.remove")
	s.accessChanged(ctx, userID)
	s.audit(ctx, torii.AuditGroupMemberRemove, &userID, "", meta, map[string]any{
		"group": groupID, "from": current, "by": p.User.Email})
	return nil
}

// memberRole returns userID's role in the group, "" if not a member.
func (s *Service) memberRole(ctx context.Context, groupID, userID int64) (string, error) {
	role, err := s.store.GroupRole(ctx, groupID, userID)
	if errors.Is(err, torii.ErrNotFound) {
		return "", nil
	}
	return role, err
}

// mayManage says whether a caller with group role mine may change a
// member from role current ("" for none) to role next.
func mayManage(p Principal, mine, current, next string) error {
	switch {
	case p.IsAdmin(), mine == torii.GroupRoleOwner:
		return nil
	case mine == torii.GroupRoleAdmin && current != torii.GroupRoleOwner && next != torii.GroupRoleOwner:
		return nil
	}
	return torii.Errorf(torii.EForbidden, "Only the group's owners and admins can manage its members.")
}

// keepsOwner refuses to take the owner role from the group's last owner.
func (s *Service) keepsOwner(ctx context.Context, groupID, userID int64, current, next string) error {
	if current != torii.GroupRoleOwner || next == torii.GroupRoleOwner {
		return nil
	}
	ms, err := s.store.GroupMembers(ctx, groupID)
	if err != nil {
		return err
	}
	for _, m := range ms {
		if m.UserID != userID && m.Role == torii.GroupRoleOwner {
			return nil
		}
	}
	return torii.Invalid(map[string]string{"userId": "is the group's last owner: make someone else owner first"})
}
