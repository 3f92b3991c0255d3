package service

import (
	"context"
	"errors"
	"slices"

	"github.com/toriihq/torii"
)

// Actor is who performs an administrative action, for the audit log: a
// signed-in admin, or the operator at the command line.
type Actor struct {
	UserID *int64
	Email  string
	Meta   Meta
	// admin is set only by ActorOf for a principal holding the admin role
	// and for CLI: an admin rule refuses any other actor with FORBIDDEN,
	// so no caller can skip the check.
	admin bool
	// verified is the acting user's e-mail verification, for the rules
	// that must not leave them waiting for a confirmation (keepsActor).
	verified bool
}

// CLI is the actor for commands run with `torii user …` and `torii allow
// …`: the operator at the database's console is trusted as an admin.
var CLI = Actor{Email: "cli", Meta: Meta{UserAgent: "torii-cli"}, admin: true}

// ActorOf returns the actor for a signed-in principal.
func ActorOf(p Principal, m Meta) Actor {
	return Actor{UserID: &p.User.ID, Email: p.User.Email, Meta: m, admin: p.IsAdmin(), verified: p.User.EmailVerified}
}

// IsAdmin reports whether the actor may take administrative actions.
func (a Actor) IsAdmin() bool { return a.admin }

var errNotAdmin = torii.Errorf(torii.EForbidden, "This needs the admin role.")

// needAdmin refuses a non-admin actor with FORBIDDEN.
func needAdmin(by Actor) error {
	if !by.admin {
		return errNotAdmin
	}
	return nil
}

// Profile is what a user sees about themself.
type Profile struct {
	User       torii.User
	Identities []torii.Identity
	Roles      []string
}

// AuthProvider derives `authProvider` for the profile's user.
func (p Profile) AuthProvider() string { return p.User.AuthProvider(len(p.Identities)) }

// Profile loads a user with identities and roles.
func (s *Service) Profile(ctx context.Context, userID int64) (Profile, error) {
	u, err := s.store.UserByID(ctx, userID)
	if err != nil {
		return Profile{}, err
	}
	ids, err := s.store.IdentitiesByUser(ctx, userID)
	if err != nil {
		return Profile{}, err
	}
	roles, err := s.store.UserRoles(ctx, userID)
	if err != nil {
		return Profile{}, err
	}
	return Profile{User: u, Identities: ids, Roles: roles}, nil
}

// CreateUserInput is an account made by an administrator. Its email counts
// as verified: the admin vouches for it (security.md D.22).
type CreateUserInput struct {
	Email    string
	Name     string
	Password string // optional: empty means the user signs in with Google
	Admin    bool
}

// CreateUser creates an account on an administrator's behalf. Errors:
// VALIDATION_ERROR, EMAIL_ALREADY_EXISTS.
func (s *Service) CreateUser(ctx context.Context, in CreateUserInput, by Actor) (torii.User, error) {
	if err := needAdmin(by); err != nil {
		return torii.User{}, err
	}
	email, name := torii.NormalizeEmail(in.Email), cleanName(in.Name)
	fields := fieldErrors{}
	fields.checkEmail(email)
	fields.checkName(name)
	if in.Password != "" {
		fields.checkPassword("password", in.Password)
	}
	if err := fields.err(); err != nil {
		return torii.User{}, err
	}
	var hash string
	if in.Password != "" {
		var err error
		if hash, err = s.hasher.Hash(ctx, in.Password); err != nil {
			return torii.User{}, err
		}
	}
	u, err := s.store.CreateAccount(ctx, torii.User{
		Email: email, EmailVerified: true, Name: name, PasswordHash: hash,
		Status: torii.StatusActive, IsFirstLogin: true, CreatedAt: s.now().UTC(),
	}, nil, s.groupJoin(""))
	if errors.Is(err, torii.ErrConflict) {
		return torii.User{}, torii.Errorf(torii.EEmailAlreadyExists, "An account with this email already exists.")
	} else if err != nil {
		return torii.User{}, err
	}
	s.audit(ctx, torii.AuditUserCreate, &u.ID, u.Email, by.Meta, map[string]any{"by": by.Email})
	if in.Admin {
		if err := s.store.AddUserRole(ctx, u.ID, torii.RoleAdmin); err != nil {
			return torii.User{}, err
		}
		s.audit(ctx, torii.AuditUserRoles, &u.ID, u.Email, by.Meta, map[string]any{"granted": torii.RoleAdmin, "by": by.Email})
	}
	return u, nil
}

// UserByEmail finds a live user by email (NOT_FOUND).
func (s *Service) UserByEmail(ctx context.Context, email string) (torii.User, error) {
	return s.store.UserByEmail(ctx, torii.NormalizeEmail(email))
}

// ListUsers lists users matching f.
func (s *Service) ListUsers(ctx context.Context, f torii.UserFilter) ([]torii.User, error) {
	return s.store.ListUsers(ctx, f)
}

// UserRoles lists a user's admin roles.
func (s *Service) UserRoles(ctx context.Context, userID int64) ([]string, error) {
	return s.store.UserRoles(ctx, userID)
}

// SetUserStatus activates or deactivates a user. Deactivation revokes every
// session in the same transaction, and the cache forgets the user at once.
// Errors: FORBIDDEN (not an admin), VALIDATION_ERROR (unknown status),
// NOT_FOUND.
func (s *Service) SetUserStatus(ctx context.Context, userID int64, status torii.UserStatus, by Actor) (torii.User, error) {
	if err := needAdmin(by); err != nil {
		return torii.User{}, err
	}
	if !status.Valid() {
		return torii.User{}, torii.Invalid(map[string]string{"status": "must be active or inactive"})
	}
	before, err := s.store.UserByID(ctx, userID)
	if err != nil {
		return torii.User{}, err
	}
	u, err := s.store.SetUserStatus(ctx, userID, status, s.now().UTC())
	s.accessChanged(ctx, userID)
	if err != nil {
		return torii.User{}, err
	}
	if before.Status != status {
		s.audit(ctx, torii.AuditUserStatus, &u.ID, u.Email, by.Meta, map[string]any{"from": before.Status, "to": status, "by": by.Email})
	}
	return u, nil
}

// SetRole grants (held) or revokes one admin role of a user, keeping
// their other roles: the admin page's grant/revoke button and `torii user
// grant`. Granting a role the user holds, or revoking one they do not, is
// a no-op. An admin cannot revoke their own admin role. Errors: FORBIDDEN,
// VALIDATION_ERROR, NOT_FOUND.
func (s *Service) SetRole(ctx context.Context, userID int64, role string, held bool, by Actor) error {
	if err := needAdmin(by); err != nil {
		return err
	}
	if !held && role == torii.RoleAdmin && by.UserID != nil && *by.UserID == userID {
		return torii.Invalid(map[string]string{"roles": "must keep admin on your own account"})
	}
	roles, err := s.store.UserRoles(ctx, userID)
	if err != nil {
		return err
	}
	if containsRole(roles, role) == held {
		return nil
	}
	if held {
		roles = append(roles, role)
	} else {
		roles = slices.DeleteFunc(roles, func(x string) bool { return x == role })
	}
	return s.SetRoles(ctx, userID, roles, by)
}

// SetRoles replaces a user's admin roles; role changes apply to live
// sessions at once. Errors: FORBIDDEN (not an admin), VALIDATION_ERROR
// (unknown role), NOT_FOUND.
func (s *Service) SetRoles(ctx context.Context, userID int64, roles []string, by Actor) error {
	if err := needAdmin(by); err != nil {
		return err
	}
	u, err := s.store.UserByID(ctx, userID)
	if err != nil {
		return err
	}
	before, err := s.store.UserRoles(ctx, userID)
	if err != nil {
		return err
	}
	roles = slices.Compact(slices.Sorted(slices.Values(roles)))
	err = s.store.SetUserRoles(ctx, userID, roles)
	s.accessChanged(ctx, userID)
	if err != nil {
		return err
	}
	if !slices.Equal(before, roles) {
		s.audit(ctx, torii.AuditUserRoles, &u.ID, u.Email, by.Meta, map[string]any{"from": before, "to": roles, "by": by.Email})
	}
	return nil
}

func containsRole(roles []string, role string) bool { return slices.Contains(roles, role) }
