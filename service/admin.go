package service

import (
	"context"
	"slices"

	"github.com/toriihq/torii"
)

// UserSummary is a user as the admin page and API show it: the account,
// how it signs in, its admin roles and its groups.
type UserSummary struct {
	User       torii.User
	Identities int
	Roles      []string
	Groups     []torii.Membership
}

// AuthProvider derives `authProvider` for the summary's user.
func (u UserSummary) AuthProvider() string { return u.User.AuthProvider(u.Identities) }

// AdminUsers lists users for an admin: f.Query matches a substring of the
// email or the name (case-insensitively), f.Status narrows by status,
// users come ordered by id and f.AfterID pages forward. Errors: FORBIDDEN,
// VALIDATION_ERROR (unknown status).
func (s *Service) AdminUsers(ctx context.Context, f torii.UserFilter, by Actor) ([]UserSummary, error) {
	if err := needAdmin(by); err != nil {
		return nil, err
	}
	if f.Status != "" && !f.Status.Valid() {
		return nil, torii.Invalid(map[string]string{"status": "must be active or inactive"})
	}
	f.Limit = clampLimit(f.Limit)
	users, err := s.store.ListUsers(ctx, f)
	if err != nil {
		return nil, err
	}
	out := make([]UserSummary, 0, len(users))
	for _, u := range users {
		sum, err := s.summary(ctx, u)
		if err != nil {
			return nil, err
		}
		out = append(out, sum)
	}
	return out, nil
}

// summary completes u with its identities count, roles and groups. Admin
// lists are capped at 100 users, so a few indexed reads per user are cheap.
func (s *Service) summary(ctx context.Context, u torii.User) (UserSummary, error) {
	ids, err := s.store.IdentitiesByUser(ctx, u.ID)
	if err != nil {
		return UserSummary{}, err
	}
	roles, err := s.store.UserRoles(ctx, u.ID)
	if err != nil {
		return UserSummary{}, err
	}
	groups, err := s.store.UserGroups(ctx, u.ID)
	if err != nil {
		return UserSummary{}, err
	}
	return UserSummary{User: u, Identities: len(ids), Roles: roles, Groups: groups}, nil
}

// UserChange is a partial change of a user by an admin (PATCH
// /api/v1/admin/users/{id}): nil fields are left alone; Roles is the full
// new list, and an empty list revokes every role.
type UserChange struct {
	Status *torii.UserStatus
	Roles  *[]string
}

// AdminUpdateUser applies c to user id. The whole change is validated
// before anything is written. An admin cannot deactivate themself or drop
// their own admin role, so the last admin cannot lock everyone out by
// mistake. Deactivation revokes every session, refresh token and event
// stream of the user at once; role changes apply to live sessions at once.
// Errors: FORBIDDEN, NOT_FOUND, VALIDATION_ERROR.
func (s *Service) AdminUpdateUser(ctx context.Context, id int64, c UserChange, by Actor) (UserSummary, error) {
	if err := needAdmin(by); err != nil {
		return UserSummary{}, err
	}
	fields := fieldErrors{}
	if c.Status == nil && c.Roles == nil {
		fields["status"] = "or roles is required"
	}
	if c.Status != nil && !c.Status.Valid() {
		fields["status"] = "must be active or inactive"
	}
	self := by.UserID != nil && *by.UserID == id
	if self && c.Status != nil && *c.Status != torii.StatusActive {
		fields["status"] = "cannot be changed on your own account"
	}
	if self && c.Roles != nil && !slices.Contains(*c.Roles, torii.RoleAdmin) {
		fields["roles"] = "must keep admin on your own account"
	}
	if err := fields.err(); err != nil {
		return UserSummary{}, err
	}
	if _, err := s.store.UserByID(ctx, id); err != nil {
		return UserSummary{}, err
	}
	// Roles first: the store validates the names, and an unknown one must
	// leave the status untouched too.
	if c.Roles != nil {
		if err := s.SetRoles(ctx, id, *c.Roles, by); err != nil {
			return UserSummary{}, err
		}
	}
	if c.Status != nil {
		if _, err := s.SetUserStatus(ctx, id, *c.Status, by); err != nil {
			return UserSummary{}, err
		}
	}
	u, err := s.store.UserByID(ctx, id)
	if err != nil {
		return UserSummary{}, err
	}
	return s.summary(ctx, u)
}

// AuditPage is one page of the audit log, newest first. NextBefore is the
// `before` of the next (older) page, nil on the last one.
type AuditPage struct {
	Events     []torii.AuditEvent
	NextBefore *int64
}

// AdminAudit browses the audit log for an admin. Errors: FORBIDDEN.
func (s *Service) AdminAudit(ctx context.Context, f torii.AuditFilter, by Actor) (AuditPage, error) {
	if err := needAdmin(by); err != nil {
		return AuditPage{}, err
	}
	f.Limit = clampLimit(f.Limit)
	events, err := s.store.ListAudit(ctx, f)
	if err != nil {
		return AuditPage{}, err
	}
	page := AuditPage{Events: events}
	if len(events) == f.Limit {
		page.NextBefore = ptr(events[len(events)-1].ID)
	}
	return page, nil
}

// List limits (api.md: at most 100, 50 by default).
const (
	defaultListLimit = 50
	maxListLimit     = 100
)

func clampLimit(n int) int {
	switch {
	case n <= 0:
		return defaultListLimit
	case n > maxListLimit:
		return maxListLimit
	}
	return n
}

// AdminHint returns how to become the first admin, or "" when someone
// already holds the admin role. `torii serve` logs it at start-up.
func (s *Service) AdminHint(ctx context.Context) (string, error) {
	n, err := s.store.CountRoleHolders(ctx, torii.RoleAdmin)
	if err != nil || n > 0 {
		return "", err
	}
	if len(s.opts.AdminEmails) > 0 {
		return "no admin yet: the first of TORII_ADMIN_EMAILS to sign in becomes admin", nil
	}
	return "no admin yet: set TORII_ADMIN_EMAILS=you@example.com and sign in, " +
		"or run `torii user grant you@example.com admin` for an existing account " +
		"(`torii user create --email you@example.com --name You --admin` for a new one)", nil
}
