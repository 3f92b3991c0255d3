package service

import (
	"context"
	"errors"
	"time"

	"github.com/toriihq/torii"
)

// reauthWindow is how recent a session's last authentication must be for
// a lasting change (setting a password, linking or unlinking an identity):
// a stolen session, or one left open, cannot add a way in (issue 12 rule 5).
const reauthWindow = 10 * time.Minute

var (
	// errWaiting answers an unverified account that the allowlist would
	// admit: it is signed in but may do nothing until its address is
	// confirmed (api.md "What counts as a verified address").
	errWaiting = torii.Errorf(torii.EEmailNotVerified, "Confirm your e-mail address first: check your mail.")
	// errBrowserOnly refuses a lasting change made with an access token:
	// a 15-minute token must not mint a permanent credential.
	errBrowserOnly = torii.Errorf(torii.EForbidden,
		"This change needs a browser session: sign in with a browser, not with an access token.")
	errReauth = torii.Errorf(torii.EReauthRequired,
		"For your security, confirm it's you: enter your password or sign in with your provider again, then retry.")
)

// allowlistEmpty reports whether no allowlist is configured, in the
// environment or the database: everyone may sign in, verified or not.
func (s *Service) allowlistEmpty(ctx context.Context) (bool, error) {
	if len(s.opts.AllowedEmails) > 0 {
		return false, nil
	}
	db, err := s.dbPatterns(ctx)
	return len(db) == 0, err
}

// admission applies the allowlist to an address (security.md I.42): an
// empty allowlist admits everyone; otherwise the address must match an
// entry (NOT_ALLOWED with msg) and be verified (EMAIL_NOT_VERIFIED: the
// account waits until it is).
func (s *Service) admission(ctx context.Context, email string, verified bool, msg string) error {
	if err := s.mayEnter(ctx, email, msg); err != nil {
		return err
	}
	if verified {
		return nil
	}
	empty, err := s.allowlistEmpty(ctx)
	if err != nil || empty {
		return err
	}
	return errWaiting
}

// mayEnterClaims refuses a new account from an OpenID identity
// whose provider did not verify the address while an allowlist is set: an
// unverified claim never passes an allowlist entry (security.md I.42).
func (s *Service) mayEnterClaims(ctx context.Context, email string, verified bool, msg string) error {
	err := s.admission(ctx, email, verified, msg)
	if errors.Is(err, errWaiting) {
		return errNotAllowed("Your provider has not verified this e-mail address, so the allowlist cannot admit it.")
	}
	return err
}

// signInAccess is checkAccess for a sign-in: an account that waits for its
// address to be confirmed still gets its session (to see the waiting page,
// ask for the mail again, sign out).
func (s *Service) signInAccess(ctx context.Context, u torii.User) error {
	if err := s.checkAccess(ctx, u); err != nil && !errors.Is(err, errWaiting) {
		return err
	}
	return nil
}

// isWaiting reports whether err is the answer of an account waiting for
// its address to be confirmed.
func isWaiting(err error) bool { return errors.Is(err, errWaiting) }

// WaitingErr returns the waiting error if the principal waits for its
// address to be confirmed, else nil. The web layer refuses every request
// of a waiting principal with it, except the few that let it leave the
// waiting state (GET /api/v1/me, logout, verification).
func (p Principal) WaitingErr() error {
	if p.Waiting {
		return errWaiting
	}
	return nil
}

// needRecentSignIn guards every lasting change (password, identities):
// a cookie session, not a Bearer token (FORBIDDEN), whose user proved who
// they are within reauthWindow (REAUTH_REQUIRED).
func (s *Service) needRecentSignIn(p Principal) error {
	if p.Session.ID == "" {
		return errBrowserOnly
	}
	if s.now().Sub(p.Session.AuthenticatedAt()) > reauthWindow {
		return errReauth
	}
	return nil
}

// CheckLastingChange reports whether the principal may make a lasting
// change now (needRecentSignIn), for handlers that start one in several
// steps (the provider link flow).
func (s *Service) CheckLastingChange(p Principal) error { return s.needRecentSignIn(p) }

// Reauthenticate records that the principal proved who they are again
// with their password: the session's AuthAt moves to now, so lasting
// changes are allowed for reauthWindow. Errors: FORBIDDEN (Bearer token),
// PASSWORD_NOT_SET (no password: sign in with the provider again),
// VALIDATION_ERROR (`password` missing or wrong; a wrong one counts
// against the account's sign-in limit), RATE_LIMITED, NOT_ALLOWED
// (password sign-in off).
func (s *Service) Reauthenticate(ctx context.Context, p Principal, plain string, m Meta) error {
	if p.Session.ID == "" {
		return errBrowserOnly
	}
	if !s.opts.PasswordLogin {
		return errPasswordLoginOff()
	}
	u, err := s.store.UserByID(ctx, p.User.ID)
	if err != nil {
		return err
	}
	if !u.HasPassword() {
		return torii.Errorf(torii.EPasswordNotSet, "This account has no password: sign in with your provider again.")
	}
	if plain == "" {
		return torii.Invalid(map[string]string{"password": "is required"})
	}
	if ok, retry := check(s.opts.LoginPerAccount, u.Email); !ok {
		return errRateLimited(retry)
	}
	ok, err := s.hasher.Verify(ctx, plain, u.PasswordHash)
	if err != nil {
		return err
	}
	if !ok {
		add(s.opts.LoginPerAccount, u.Email)
		s.audit(ctx, torii.AuditSignInFailure, &u.ID, u.Email, m, map[string]any{"reason": torii.EInvalidCredentials, "method": "reauth"})
		return torii.Invalid(map[string]string{"password": "is not correct"})
	}
	return s.reauthSession(ctx, p, m, "password")
}

// reauthSession moves the session's AuthAt to now and audits it.
func (s *Service) reauthSession(ctx context.Context, p Principal, m Meta, method string) error {
	if err := s.store.ReauthSession(ctx, p.Session.ID, s.now().UTC()); err != nil {
		return missingIsUnauthorized(err)
	}
	s.cache.forget(p.Session.ID)
	s.audit(ctx, torii.AuditSignInSuccess, &p.User.ID, p.User.Email, m, map[string]any{"method": method, "reauth": true})
	return nil
}

// bumpTokenEpoch moves the user's token epoch to now: every access token
// issued until this second is refused by Bearer auth and forward-auth.
func (s *Service) bumpTokenEpoch(ctx context.Context, userID int64) error {
	now := s.now().UTC()
	_, err := s.store.UpdateUser(ctx, userID, func(u *torii.User) error {
		if u.TokensValidAfter == nil || u.TokensValidAfter.Before(now) {
			u.TokensValidAfter = &now
		}
		return nil
	})
	s.forgetForwardTokens()
	return err
}

// forgetForwardTokens drops the cached forward-auth tokens: after an
// epoch change none may be handed out again.
func (s *Service) forgetForwardTokens() {
	s.fwd.mu.Lock()
	s.fwd.m = nil
	s.fwd.mu.Unlock()
}

// StartGoogleReauth begins a code flow that re-authenticates the signed-in
// principal with a provider identity already linked to them (the /account
// page's answer to REAUTH_REQUIRED for an account without a password).
// Errors as StartGoogleLogin, and FORBIDDEN for an access token.
func (s *Service) StartGoogleReauth(ctx context.Context, p Principal, next, binding string, m Meta) (GoogleStart, error) {
	if p.Session.ID == "" {
		return GoogleStart{}, errBrowserOnly
	}
	return s.startGoogle(ctx, next, binding, &p.User.ID, true, m)
}

var errReauthOther = torii.Errorf(torii.EForbidden,
	"This provider account is not linked to your account: sign in again with the one you linked, or with your password.")

// finishReauth refreshes the session's AuthAt when the claims' identity
// is one of the principal's own (a provider sign-in proves the account
// only through an identity already linked to it).
func (s *Service) finishReauth(ctx context.Context, p Principal, c torii.IDClaims, m Meta) error {
	if p.Session.ID == "" {
		return errBrowserOnly
	}
	id, err := s.store.IdentityBySubject(ctx, c.Issuer, c.Subject)
	if errors.Is(err, torii.ErrNotFound) || (err == nil && id.UserID != p.User.ID) {
		s.audit(ctx, torii.AuditSignInFailure, &p.User.ID, p.User.Email, m, map[string]any{"reason": torii.EForbidden, "method": "reauth", "issuer": c.Issuer, "subject": c.Subject})
		return errReauthOther
	} else if err != nil {
		return err
	}
	return s.reauthSession(ctx, p, m, MethodGoogleCode)
}
