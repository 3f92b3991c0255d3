package service

import (
	"context"

	"github.com/toriihq/torii"
)

// Leaving (issue 19): deleting an account, by its owner or an admin, and
// exporting its data.

// Bounds of an export: everything a person wrote, up to a size one JSON
// answer can carry (docs/api.md "Leaving"). Past them the oldest are
// kept and the export says which part was cut.
const (
	MaxExportMessages = 100_000
	MaxExportAudit    = 10_000
)

// DeleteMe deletes the principal's own account (DELETE /api/v1/me). It
// needs a cookie session and either the password (checked as a
// re-authentication, with its limits) or a recent sign-in. Errors:
// FORBIDDEN (access token), REAUTH_REQUIRED, VALIDATION_ERROR (`password`
// wrong; or `account`: the last admin cannot leave), PASSWORD_NOT_SET,
// RATE_LIMITED.
func (s *Service) DeleteMe(ctx context.Context, p Principal, password string, m Meta) error {
	if p.Session.ID == "" {
		return errBrowserOnly
	}
	if password != "" {
		if err := s.Reauthenticate(ctx, p, password, m); err != nil {
			return err
		}
	} else if err := s.needRecentSignIn(p); err != nil {
		return err
	}
	if err := s.keepsAnAdmin(ctx, p.User.ID); err != nil {
		return err
	}
	return s.deleteAccount(ctx, p.User.ID, m, "self")
}

// AdminDeleteUser deletes user id (DELETE /api/v1/admin/users/{id}, the
// admin page, `torii user delete`). An admin deletes their own account
// with DELETE /api/v1/me instead. Errors: FORBIDDEN, NOT_FOUND,
// VALIDATION_ERROR (`id`: one's own account, or the last admin).
func (s *Service) AdminDeleteUser(ctx context.Context, id int64, by Actor) error {
	if err := needAdmin(by); err != nil {
		return err
	}
	if by.UserID != nil && *by.UserID == id {
		return torii.Invalid(map[string]string{"id": "is your own account: delete it from your account page"})
	}
	if _, err := s.store.UserByID(ctx, id); err != nil {
		return err
	}
	if err := s.keepsAnAdmin(ctx, id); err != nil {
		return err
	}
	return s.deleteAccount(ctx, id, by.Meta, by.Email)
}

// keepsAnAdmin refuses to delete the last admin: nobody could administer
// the server afterwards.
func (s *Service) keepsAnAdmin(ctx context.Context, id int64) error {
	roles, err := s.store.UserRoles(ctx, id)
	if err != nil || !containsRole(roles, torii.RoleAdmin) {
		return err
	}
	n, err := s.store.CountRoleHolders(ctx, torii.RoleAdmin)
	if err != nil {
		return err
	}
	if n <= 1 {
		return torii.Invalid(map[string]string{"account": "is the last admin: make someone else an admin first"})
	}
	return nil
}

func (s *Service) deleteAccount(ctx context.Context, id int64, m Meta, by string) error {
	erase := s.opts.DeletedMessages == DeletedMessagesErase
	old, err := s.store.DeleteAccount(ctx, id, s.now().UTC(), erase)
	s.forgetForwardTokens()
	s.views.clear() // the messages' author, or their text, is gone
	s.accessChanged(ctx, id)
	if err != nil {
		return err
	}
	messages := DeletedMessagesKeep
	if erase {
		messages = DeletedMessagesErase
	}
	s.audit(ctx, torii.AuditUserDelete, &old.ID, old.Email, m, map[string]any{"by": by, "messages": messages})
	return nil
}

// What happens to a deleted account's messages (TORII_DELETED_MESSAGES).
const (
	DeletedMessagesKeep  = "keep"
	DeletedMessagesErase = "erase"
)

// Export is everything torii keeps about a user, for GET
// /api/v1/me/export.
type Export struct {
	Profile  Profile
	Groups   []torii.Membership
	Sessions []torii.Session
	Messages []torii.Message
	Audit    []torii.AuditEvent
	// MessagesTruncated and AuditTruncated are set when the user has
	// more than MaxExportMessages messages or MaxExportAudit audit events:
	// the oldest that fit are kept.
	MessagesTruncated, AuditTruncated bool
}

// ExportMe gathers the principal's data. Errors: UNAUTHORIZED.
func (s *Service) ExportMe(ctx context.Context, p Principal) (Export, error) {
	prof, err := s.Profile(ctx, p.User.ID)
	if err != nil {
		return Export{}, missingIsUnauthorized(err)
	}
	e := Export{Profile: prof}
	if e.Groups, err = s.store.UserGroups(ctx, p.User.ID); err != nil {
		return Export{}, err
	}
	if e.Sessions, err = s.store.ListUserSessions(ctx, p.User.ID, s.now().UTC()); err != nil {
		return Export{}, err
	}
	if e.Messages, e.MessagesTruncated, err = s.exportMessages(ctx, p.User.ID, MaxExportMessages); err != nil {
		return Export{}, err
	}
	if e.Audit, e.AuditTruncated, err = s.exportAudit(ctx, p.User.ID, MaxExportAudit); err != nil {
		return Export{}, err
	}
	return e, nil
}

// exportMessages lists userID's messages, oldest first, at most limit,
// and whether there were more.
func (s *Service) exportMessages(ctx context.Context, userID int64, limit int) ([]torii.Message, bool, error) {
	out := []torii.Message{}
	for after := int64(0); ; {
		// One more than the limit tells a cut from an exact fit.
		want := min(1000, limit+1-len(out))
		page, err := s.store.UserMessages(ctx, userID, after, want)
		if err != nil {
			return nil, false, err
		}
		out = append(out, page...)
		if len(out) > limit {
			return out[:limit], true, nil
		}
		if len(page) < want {
			return out, false, nil
		}
		after = page[len(page)-1].ID
	}
}

// exportAudit lists userID's audit events, oldest first, at most limit,
// and whether there were more.
func (s *Service) exportAudit(ctx context.Context, userID int64, limit int) ([]torii.AuditEvent, bool, error) {
	out := []torii.AuditEvent{}
	for after := int64(0); ; {
		want := min(maxListLimit, limit+1-len(out))
		page, err := s.store.ListAudit(ctx, torii.AuditFilter{UserID: &userID, Forward: true, After: after, Limit: want})
		if err != nil {
			return nil, false, err
		}
		out = append(out, page...)
		if len(out) > limit {
			return out[:limit], true, nil
		}
		if len(page) < want {
			return out, false, nil
		}
		after = page[len(page)-1].ID
	}
}
