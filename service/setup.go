package service

import (
	"context"
	"errors"

	"github.com/toriihq/torii"
)

// First-run setup (docs/api.md "First run"): while no admin exists, each
// server start stores a fresh random token (its hash only, in the
// database, so a link logged by one instance works on every instance) and
// logs the link /setup?token=…. A signed-in user who opens it and confirms
// becomes the first admin; every token is spent then, and a link opened
// later answers "already set up".

var errSetupToken = torii.Errorf(torii.ENotFound, "This setup link is not valid. Use the link from the server's latest start-up log.")

// StartSetup returns a new setup token when no admin exists, or "" (and
// forgets old tokens) when one does.
func (s *Service) StartSetup(ctx context.Context) (string, error) {
	n, err := s.store.CountRoleHolders(ctx, torii.RoleAdmin)
	if err != nil {
		return "", err
	}
	if n > 0 {
		return "", s.store.DeleteSetupTokens(ctx)
	}
	token, err := s.newToken()
	if err != nil {
		return "", err
	}
	if err := s.store.AddSetupToken(ctx, SessionID(token), s.now().UTC()); err != nil {
		return "", err
	}
	return token, nil
}

// CheckSetup says whether token may still make an admin: nil if so,
// ErrAlreadySetUp (CONFLICT) once an admin exists, NOT_FOUND for a token
// that was never issued.
func (s *Service) CheckSetup(ctx context.Context, token string) error {
	n, err := s.store.CountRoleHolders(ctx, torii.RoleAdmin)
	if err != nil {
		return err
	}
	if n > 0 {
		return torii.ErrAlreadySetUp
	}
	if !wellFormedToken(token) {
		return errSetupToken
	}
	ok, err := s.store.SetupTokenExists(ctx, SessionID(token))
	if err != nil {
		return err
	}
	if !ok {
		return errSetupToken
	}
	return nil
}

// ClaimSetup makes p the first admin with token, audited as a role grant
// "by setup link". Errors as CheckSetup.
func (s *Service) ClaimSetup(ctx context.Context, p Principal, token string, m Meta) error {
	if !wellFormedToken(token) {
		return errSetupToken
	}
	err := s.store.ClaimSetupToken(ctx, SessionID(token), p.User.ID)
	if errors.Is(err, torii.ErrNotFound) {
		return errSetupToken
	}
	if err != nil {
		return err
	}
	s.cache.forgetUser(p.User.ID)
	s.audit(ctx, torii.AuditUserRoles, &p.User.ID, p.User.Email, m, map[string]any{"granted": torii.RoleAdmin, "by": "setup link"})
	return nil
}
