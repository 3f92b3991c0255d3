package service

import (
	"context"

	"github.com/toriihq/torii"
)

// errNotInClientGroups is the answer for a user outside every group a
// client is limited to.
var errNotInClientGroups = torii.Errorf(torii.EForbidden,
	"This app is open to members of certain groups only, and you are not one of them.")

// ClientAdmits applies torii's rules to a user signing in to (or
// refreshing tokens of) client c: the account is active, the allowlist
// admits it (a verified address), and, when the client is limited to
// groups, the user belongs to one of them. Errors: USER_INACTIVE,
// NOT_ALLOWED or EMAIL_NOT_VERIFIED, FORBIDDEN.
//
// Unlike a request's check, it reads the user and the allowlist afresh
// (no instance's cache): handing an app a user, or a refresh of one, is
// rare enough, and a change made on another instance must bite at once.
func (s *Service) ClientAdmits(ctx context.Context, c torii.OAuthClient, u torii.User) error {
	u, err := s.store.UserByID(ctx, u.ID)
	if err != nil {
		if torii.IsCode(err, torii.ENotFound) {
			return torii.Errorf(torii.EUserInactive, "This account is disabled.")
		}
		return err
	}
	if u.Status != torii.StatusActive {
		return torii.Errorf(torii.EUserInactive, "This account is disabled.")
	}
	rows, err := s.store.ListAllowlist(ctx)
	if err != nil {
		return err
	}
	if db := patternsOf(rows); len(db)+len(s.opts.AllowedEmails) > 0 {
		if !allowedBy(u.Email, s.opts.AllowedEmails, db) {
			return errNotAllowed("This account is not allowed to sign in.")
		}
		if !u.EmailVerified {
			return errNotAllowed("This account is not allowed to sign in to apps until its address is verified.")
		}
	}
	if len(c.GroupIDs) == 0 {
		return nil
	}
	ms, err := s.store.UserGroups(ctx, u.ID)
	if err != nil {
		return err
	}
	for _, m := range ms {
		for _, id := range c.GroupIDs {
			if m.Group.ID == id {
				return nil
			}
		}
	}
	return errNotInClientGroups
}

// oauthAccessChanged is accessChanged's part for the apps: every client
// that holds live tokens of the user is checked again, and the tokens of
// each one that no longer admits the user (deactivation, allowlist
// removal, group removal) are revoked at once, so the app's next refresh
// fails. Deactivation has already revoked them all in the store.
func (s *Service) oauthAccessChanged(ctx context.Context, userID int64) {
	ctx = context.WithoutCancel(ctx)
	now := s.now().UTC()
	ids, err := s.store.OAuthTokenClients(ctx, userID, now)
	if err != nil || len(ids) == 0 {
		if err != nil {
			s.log.Warn("oauth access check failed", "user", userID, "err", err)
		}
		return
	}
	u, err := s.store.UserByID(ctx, userID)
	if err != nil && !torii.IsCode(err, torii.ENotFound) {
		s.log.Warn("oauth access check failed", "user", userID, "err", err)
		return
	}
	for _, id := range ids {
		if err == nil {
			c, cerr := s.store.OAuthClientByID(ctx, id)
			if cerr != nil || s.ClientAdmits(ctx, c, u) == nil {
				continue
			}
		}
		if n, rerr := s.store.RevokeUserOAuthTokens(ctx, userID, id, now); rerr != nil {
			s.log.Warn("oauth token revocation failed", "user", userID, "client", id, "err", rerr)
		} else if n > 0 {
			s.audit(ctx, torii.AuditOAuthRevoke, &userID, u.Email, Meta{}, map[string]any{"clientId": id, "reason": "access"})
		}
	}
}

// recheckClientUsers revokes the tokens of users a client no longer
// admits after its groups changed. Client changes are rare admin actions,
// so scanning the users is affordable.
func (s *Service) recheckClientUsers(ctx context.Context, c torii.OAuthClient) {
	ctx = context.WithoutCancel(ctx)
	var after int64
	for {
		users, err := s.store.ListUsers(ctx, torii.UserFilter{Limit: maxListLimit, AfterID: after})
		if err != nil {
			s.log.Warn("client recheck: listing users failed", "err", err)
			return
		}
		for _, u := range users {
			after = u.ID
			if s.ClientAdmits(ctx, c, u) == nil {
				continue
			}
			if _, err := s.store.RevokeUserOAuthTokens(ctx, u.ID, c.ID, s.now().UTC()); err != nil {
				s.log.Warn("client recheck: revocation failed", "user", u.ID, "err", err)
			}
		}
		if len(users) < maxListLimit {
			return
		}
	}
}

// revokeAppTokens revokes every token the apps hold for the user: the
// groups they were told about changed (issue 16: group removal revokes the
// user's refresh tokens for every client at once).
func (s *Service) revokeAppTokens(ctx context.Context, userID int64, reason string) {
	ctx = context.WithoutCancel(ctx)
	n, err := s.store.RevokeUserOAuthTokens(ctx, userID, "", s.now().UTC())
	if err != nil {
		s.log.Warn("oauth token revocation failed", "user", userID, "err", err)
		return
	}
	if n > 0 {
		s.audit(ctx, torii.AuditOAuthRevoke, &userID, "", Meta{}, map[string]any{"reason": reason})
	}
}
