package service

import (
	"context"
	"errors"
	"unicode"

	"github.com/toriihq/torii"
)

// maxCompanyRunes bounds companyName (seed 003's registration).
const maxCompanyRunes = 100

// GoogleRegisterInput is seed 003's registration with a Google credential.
type GoogleRegisterInput struct {
	Credential string
	Name       string
	// CompanyName, when set, founds that group with the new user as its
	// owner; otherwise the user joins the default group.
	CompanyName string
}

// RegisterWithGoogle creates an account from a Google credential with the
// name the person chose (TORII_SIGNUP=explicit's way in; it works in auto
// mode too). Errors: GOOGLE_NOT_CONFIGURED, VALIDATION_ERROR, UNAUTHORIZED
// (bad token), EMAIL_ALREADY_EXISTS (the identity or the email already has
// an account: sign in instead), NOT_ALLOWED (closed, allowlist, hosted
// domain), RATE_LIMITED.
func (s *Service) RegisterWithGoogle(ctx context.Context, in GoogleRegisterInput, m Meta) (SignIn, error) {
	if s.opts.Google == nil {
		return SignIn{}, errGoogleOff
	}
	if s.opts.Signup == torii.SignupClosed {
		return SignIn{}, torii.Errorf(torii.ENotAllowed, "Registration is closed. Ask an administrator for an account.")
	}
	if ok, retry := allow(s.opts.RegisterPerIP, m.IP); !ok {
		return SignIn{}, errRateLimited(retry)
	}
	name, company := cleanName(in.Name), cleanName(in.CompanyName)
	fields := fieldErrors{}
	fields.checkName(name)
	s.checkCompany(fields, company)
	if in.Credential == "" {
		fields["credential"] = "is required"
	}
	if err := fields.err(); err != nil {
		return SignIn{}, err
	}
	c, err := s.opts.Google.Verify(ctx, in.Credential, "")
	if err != nil {
		return SignIn{}, s.googleFailed(ctx, nil, "", m, MethodGoogle, err)
	}
	errExists := torii.Errorf(torii.EEmailAlreadyExists, "An account with this email already exists. Sign in instead.")
	if _, err := s.store.IdentityBySubject(ctx, c.Issuer, c.Subject); err == nil {
		return SignIn{}, errExists
	} else if !errors.Is(err, torii.ErrNotFound) {
		return SignIn{}, err
	}
	email := torii.NormalizeEmail(c.Email)
	fields.checkEmail(email)
	if len(fields) > 0 {
		return SignIn{}, torii.Errorf(torii.EBadRequest, "Your Google account did not share a usable email address.")
	}
	if err := s.mayEnterClaims(ctx, email, c.EmailVerified, "This email address is not allowed to register."); err != nil {
		return SignIn{}, s.googleFailed(ctx, nil, email, m, MethodGoogle, err)
	}
	si, err := s.createGoogleUser(ctx, c, email, name, company, m, MethodGoogle)
	if errors.Is(err, torii.ErrConflict) {
		return SignIn{}, errExists
	}
	return si, err
}

func containsControl(s string) bool {
	for _, r := range s {
		if unicode.IsControl(r) {
			return true
		}
	}
	return false
}

// LinkGoogle links the identity of a Google credential to the signed-in
// user (security.md D.23): being signed in proves the account, the token
// proves the Google account, so the password is kept. It returns the
// identity and whether it is new (false: it was already this user's).
// Errors: GOOGLE_NOT_CONFIGURED, UNAUTHORIZED, NOT_ALLOWED (hosted domain),
// CONFLICT (the identity belongs to another user).
func (s *Service) LinkGoogle(ctx context.Context, p Principal, credential string, m Meta) (torii.Identity, bool, error) {
	if s.opts.Google == nil {
		return torii.Identity{}, false, errGoogleOff
	}
	if err := s.needRecentSignIn(p); err != nil {
		return torii.Identity{}, false, err
	}
	c, err := s.opts.Google.Verify(ctx, credential, "")
	if err != nil {
		return torii.Identity{}, false, s.googleFailed(ctx, &p.User.ID, p.User.Email, m, MethodGoogle, err)
	}
	return s.linkClaims(ctx, p, c, m)
}

var errIdentityTaken = torii.Errorf(torii.EConflict, "This Google account is already linked to another account.")

// linkClaims links verified claims to the principal: a lasting way in, so
// only from a recently authenticated browser session (needRecentSignIn),
// whichever flow brought the claims.
func (s *Service) linkClaims(ctx context.Context, p Principal, c torii.IDClaims, m Meta) (torii.Identity, bool, error) {
	if err := s.needRecentSignIn(p); err != nil {
		return torii.Identity{}, false, err
	}
	existing, err := s.store.IdentityBySubject(ctx, c.Issuer, c.Subject)
	switch {
	case err == nil && existing.UserID == p.User.ID:
		return existing, false, nil
	case err == nil:
		return torii.Identity{}, false, errIdentityTaken
	case !errors.Is(err, torii.ErrNotFound):
		return torii.Identity{}, false, err
	}
	// The provider vouches for the address only if it is this account's.
	verify := c.EmailVerified && torii.NormalizeEmail(c.Email) == p.User.Email
	res, err := s.store.LinkIdentity(ctx, torii.IdentityLink{
		Identity:    torii.Identity{UserID: p.User.ID, Issuer: c.Issuer, Subject: c.Subject, Email: c.Email, Picture: picture(c.Picture)},
		VerifyEmail: verify, At: s.now().UTC(),
	})
	if errors.Is(err, torii.ErrConflict) {
		return torii.Identity{}, false, errIdentityTaken
	} else if err != nil {
		return torii.Identity{}, false, err
	}
	s.showProviderPicture(ctx, p.User.ID, c.Picture)
	s.cache.forgetUser(p.User.ID)
	s.audit(ctx, torii.AuditLink, &p.User.ID, p.User.Email, m, map[string]any{
		"how": "explicit", "issuer": c.Issuer, "subject": c.Subject, "email": c.Email})
	if verify && !p.User.EmailVerified {
		if err := s.afterEmailVerified(ctx, res.User, m); err != nil {
			return torii.Identity{}, false, err
		}
	}
	return res.Identity, true, nil
}

// UnlinkIdentity removes one of the principal's identities. Unlinking the
// last way to sign in is refused with VALIDATION_ERROR (D.23): a password
// counts as a way only while password sign-in is on. NOT_FOUND if the
// identity is not the principal's.
func (s *Service) UnlinkIdentity(ctx context.Context, p Principal, id int64, m Meta) error {
	if err := s.needRecentSignIn(p); err != nil {
		return err
	}
	ids, err := s.store.IdentitiesByUser(ctx, p.User.ID)
	if err != nil {
		return err
	}
	var target *torii.Identity
	for i := range ids {
		if ids[i].ID == id {
			target = &ids[i]
		}
	}
	if target == nil {
		return torii.ErrNotFound
	}
	u, err := s.store.UserByID(ctx, p.User.ID)
	if err != nil {
		return err
	}
	if len(ids) == 1 && !(u.HasPassword() && s.opts.PasswordLogin) {
		return &torii.Error{Code: torii.EValidation,
			Message: "This is your only way to sign in. Set a password first.",
			Fields:  map[string]string{"identity": "is your only way to sign in"}}
	}
	if err := s.store.DeleteIdentity(ctx, p.User.ID, id); err != nil {
		return err
	}
	s.cache.forgetUser(p.User.ID)
	s.audit(ctx, torii.AuditUnlink, &p.User.ID, p.User.Email, m, map[string]any{"issuer": target.Issuer, "subject": target.Subject})
	return nil
}

// SetPassword sets (for a Google-only account) or changes the principal's
// password and signs out every other session. Changing needs the current
// password; a wrong one counts against the account's sign-in limit.
// Errors: NOT_ALLOWED (password sign-in off), VALIDATION_ERROR
// (`newPassword`, `currentPassword`), RATE_LIMITED, FORBIDDEN (an access
// token: a browser session is needed), REAUTH_REQUIRED (the session's
// last sign-in is older than reauthWindow). The token epoch moves.
func (s *Service) SetPassword(ctx context.Context, p Principal, current, next string, m Meta) error {
	if !s.opts.PasswordLogin {
		return errPasswordLoginOff()
	}
	if err := s.needRecentSignIn(p); err != nil {
		return err
	}
	u, err := s.store.UserByID(ctx, p.User.ID)
	if err != nil {
		return err
	}
	fields := fieldErrors{}
	fields.checkPassword("newPassword", next)
	if u.HasPassword() && current == "" {
		fields["currentPassword"] = "is required"
	}
	if err := fields.err(); err != nil {
		return err
	}
	if u.HasPassword() {
		if ok, retry := check(s.opts.LoginPerAccount, u.Email); !ok {
			return errRateLimited(retry)
		}
		ok, err := s.hasher.Verify(ctx, current, u.PasswordHash)
		if err != nil {
			return err
		}
		if !ok {
			add(s.opts.LoginPerAccount, u.Email)
			s.audit(ctx, torii.AuditSignInFailure, &u.ID, u.Email, m, map[string]any{"reason": torii.EInvalidCredentials, "method": "password.change"})
			return torii.Invalid(map[string]string{"currentPassword": "is not correct"})
		}
	}
	hash, err := s.hasher.Hash(ctx, next)
	if err != nil {
		return err
	}
	now := s.now().UTC()
	// The token epoch moves with the password: access tokens minted
	// before the change (perhaps by whoever knew the old one) die.
	if _, err := s.store.UpdateUser(ctx, u.ID, func(x *torii.User) error {
		x.PasswordHash, x.UpdatedAt = hash, now
		if x.TokensValidAfter == nil || x.TokensValidAfter.Before(now) {
			x.TokensValidAfter = &now
		}
		return nil
	}); err != nil {
		return err
	}
	revoked, err := s.store.RevokeUserSessions(ctx, u.ID, p.Session.ID, now)
	s.forgetForwardTokens()
	s.accessChanged(ctx, u.ID)
	if err != nil {
		return err
	}
	s.audit(ctx, torii.AuditPasswordChange, &u.ID, u.Email, m, map[string]any{"set": !u.HasPassword(), "sessionsRevoked": len(revoked)})
	return nil
}

// PendingGoogle verifies the credential of a pending registration and
// returns its claims, for the page that finishes it. It changes nothing.
func (s *Service) PendingGoogle(ctx context.Context, credential string) (torii.IDClaims, error) {
	if s.opts.Google == nil {
		return torii.IDClaims{}, errGoogleOff
	}
	return s.opts.Google.Verify(ctx, credential, "")
}

// showProviderPicture makes a just-linked provider's picture the
// account's, if it shows none (an upload or an earlier provider's picture
// stays): the picture from Google appears at once, not at the next Google
// sign-in. A failure only costs that, and is logged.
func (s *Service) showProviderPicture(ctx context.Context, userID int64, p string) {
	if p = picture(p); p == "" {
		return
	}
	_, err := s.store.UpdateUser(ctx, userID, func(x *torii.User) error {
		if x.AvatarURL == "" {
			x.AvatarURL, x.UpdatedAt = p, s.now().UTC()
		}
		return nil
	})
	if err != nil {
		s.log.Warn("provider picture not shown", "err", err)
	}
}
