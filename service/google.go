package service

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/toriihq/torii"
)

// GoogleProvider is the OpenID provider as the rules need it. Package oidc
// implements it; every token check (signature, iss, aud/azp, exp, iat, sub,
// nonce, hd) happens in Verify, so no caller can skip one.
type GoogleProvider interface {
	// Verify checks a raw ID token and returns its claims; nonce is checked
	// when not empty. Errors are coded: UNAUTHORIZED, NOT_ALLOWED (hosted
	// domain), SERVICE_UNAVAILABLE (provider not discovered yet).
	Verify(ctx context.Context, rawIDToken, nonce string) (torii.IDClaims, error)
	// AuthCodeURL returns the authorization URL for state and nonce, with
	// the S256 challenge of a fresh PKCE verifier, which it also returns.
	AuthCodeURL(ctx context.Context, state, nonce string) (url, verifier string, err error)
	// Exchange redeems a code with its verifier and returns the raw ID token.
	Exchange(ctx context.Context, code, verifier string) (string, error)
	// IsGoogle reports whether the provider is Google itself.
	IsGoogle() bool
	// Issuer returns the configured issuer URL.
	Issuer() string
}

// GoogleConfig is what a client may know about Google sign-in.
type GoogleConfig struct {
	ClientID string
	// GIS is true when the provider is Google: the pages then load Google
	// Identity Services (button and One Tap).
	GIS bool
	// CodeFlow is true when a client secret is set, so the redirect flow
	// (/auth/google/login) works.
	CodeFlow bool
	// Issuer is the provider's issuer URL (pages allow forms to lead there).
	Issuer string
}

// GoogleSignIn is the result of a Google sign-in.
type GoogleSignIn struct {
	SignIn
	// IsNewUser is true when the sign-in created the account.
	IsNewUser bool
}

// Sign-in methods, as recorded in the audit log and metrics.
const (
	MethodGoogle     = "google"      // an ID token posted by GIS (JS callback or redirect mode)
	MethodGoogleCode = "google_code" // the authorization-code flow
)

var errGoogleOff = torii.Errorf(torii.EGoogleNotConfigured, "Google sign-in is not configured on this server.")

// GoogleEnabled reports whether Google sign-in is configured.
func (s *Service) GoogleEnabled() bool { return s.opts.Google != nil }

func (s *Service) googleConfig() *GoogleConfig {
	if s.opts.Google == nil {
		return nil
	}
	return &GoogleConfig{ClientID: s.opts.GoogleClientID, GIS: s.opts.Google.IsGoogle(),
		CodeFlow: s.opts.GoogleCodeFlow, Issuer: s.opts.Google.Issuer()}
}

// SignInWithGoogle verifies a GIS credential (an ID token) and signs its
// user in, linking or creating the account as seed 002 and security.md D
// say. Errors: GOOGLE_NOT_CONFIGURED, UNAUTHORIZED, EMAIL_NOT_VERIFIED,
// NOT_ALLOWED, USER_INACTIVE, USER_NOT_FOUND (signup explicit),
// BAD_REQUEST (no usable email), RATE_LIMITED, SERVICE_UNAVAILABLE.
func (s *Service) SignInWithGoogle(ctx context.Context, credential string, m Meta) (GoogleSignIn, error) {
	if s.opts.Google == nil {
		return GoogleSignIn{}, errGoogleOff
	}
	if ok, retry := check(s.opts.LoginPerIP, m.IP); !ok {
		return GoogleSignIn{}, errRateLimited(retry)
	}
	claims, err := s.opts.Google.Verify(ctx, credential, "")
	if err != nil {
		return GoogleSignIn{}, s.googleFailed(ctx, nil, "", m, MethodGoogle, err)
	}
	return s.signInClaims(ctx, claims, m, MethodGoogle, true)
}

// signInClaims applies the linking rules to verified claims:
//  1. a user is found by (issuer, sub), never by email alone (D.20);
//  2. else a user with the same email is linked only if the provider says
//     the email is verified (D.21), with the pre-account-takeover rule of
//     D.22 applied in the store's transaction;
//  3. else a user is created, if the allowlist and the signup mode allow.
//
// retry allows one more pass when a concurrent sign-in of the same person
// created the identity or the user between our read and our write.
func (s *Service) signInClaims(ctx context.Context, c torii.IDClaims, m Meta, method string, retry bool) (GoogleSignIn, error) {
	u, id, err := s.store.UserByIdentity(ctx, c.Issuer, c.Subject)
	if err == nil {
		s.keepIdentityPicture(ctx, id, c.Picture)
		return s.signInLinked(ctx, u, c, m, method)
	} else if !errors.Is(err, torii.ErrNotFound) {
		return GoogleSignIn{}, err
	}
	email := torii.NormalizeEmail(c.Email)
	fields := fieldErrors{}
	if fields.checkEmail(email); len(fields) > 0 {
		return GoogleSignIn{}, s.googleFailed(ctx, nil, email, m, method,
			torii.Errorf(torii.EBadRequest, "Your Google account did not share a usable email address."))
	}
	u, err = s.store.UserByEmail(ctx, email)
	switch {
	case err == nil:
		res, err := s.autoLink(ctx, u, c, m, method)
		if errors.Is(err, torii.ErrConflict) && retry {
			return s.signInClaims(ctx, c, m, method, false)
		} else if err != nil {
			return GoogleSignIn{}, err
		}
		si, err := s.completeSignIn(ctx, res.User, m, method, withPicture(c.Picture))
		return GoogleSignIn{SignIn: si}, err
	case !errors.Is(err, torii.ErrNotFound):
		return GoogleSignIn{}, err
	}
	if err := s.mayCreate(ctx, email, c.EmailVerified); err != nil {
		return GoogleSignIn{}, s.googleFailed(ctx, nil, email, m, method, err)
	}
	si, err := s.createGoogleUser(ctx, c, email, nameFromClaims(c), "", m, method)
	if errors.Is(err, torii.ErrConflict) && retry {
		return s.signInClaims(ctx, c, m, method, false)
	}
	return GoogleSignIn{SignIn: si, IsNewUser: err == nil}, err
}

// signInLinked signs in the user an identity belongs to.
func (s *Service) signInLinked(ctx context.Context, u torii.User, c torii.IDClaims, m Meta, method string) (GoogleSignIn, error) {
	if u.DeletedAt != nil {
		return GoogleSignIn{}, s.googleFailed(ctx, &u.ID, c.Email, m, method,
			torii.Errorf(torii.EUnauthorized, "The account linked to this Google account no longer exists."))
	}
	if err := s.signInAccess(ctx, u); err != nil {
		return GoogleSignIn{}, s.googleFailed(ctx, &u.ID, u.Email, m, method, err)
	}
	// The provider vouches for the account's very address: it is now
	// verified (and a waiting session released, a bootstrap admin
	// promoted).
	verifies := c.EmailVerified && !u.EmailVerified && torii.NormalizeEmail(c.Email) == u.Email
	var extra []func(*torii.User)
	extra = append(extra, withPicture(c.Picture))
	if verifies {
		extra = append(extra, func(x *torii.User) { x.EmailVerified = true })
	}
	si, err := s.completeSignIn(ctx, u, m, method, extra...)
	if err == nil && verifies {
		err = s.afterEmailVerified(ctx, si.User, m)
	}
	return GoogleSignIn{SignIn: si}, err
}

// autoLink links the identity to the existing account with its email
// (security.md D.21, D.22).
func (s *Service) autoLink(ctx context.Context, u torii.User, c torii.IDClaims, m Meta, method string) (torii.LinkResult, error) {
	if !c.EmailVerified {
		return torii.LinkResult{}, s.googleFailed(ctx, &u.ID, u.Email, m, method,
			torii.Errorf(torii.EEmailNotVerified, "Your Google account's email address is not verified, so it cannot be linked to the existing account with that address."))
	}
	if err := s.signInAccess(ctx, u); err != nil {
		return torii.LinkResult{}, s.googleFailed(ctx, &u.ID, u.Email, m, method, err)
	}
	res, err := s.store.LinkIdentity(ctx, torii.IdentityLink{
		Identity:    torii.Identity{UserID: u.ID, Issuer: c.Issuer, Subject: c.Subject, Email: c.Email, Picture: picture(c.Picture)},
		VerifyEmail: true, ResetUnverified: true, At: s.now().UTC(),
	})
	if err != nil {
		return torii.LinkResult{}, err
	}
	s.cache.forgetUser(u.ID)
	detail := map[string]any{"how": "automatic", "method": method, "issuer": c.Issuer, "subject": c.Subject}
	if res.Reset {
		// security.md D.22: the address was never verified, so whoever set
		// the password, linked an identity or minted a token may not own
		// it. All of it died in LinkIdentity's transaction; the owner can
		// set a new password.
		removed := make([]map[string]any, 0, len(res.IdentitiesRemoved))
		for _, id := range res.IdentitiesRemoved {
			removed = append(removed, map[string]any{"issuer": id.Issuer, "subject": id.Subject, "email": id.Email})
		}
		detail["reset"] = true
		detail["passwordCleared"] = res.PasswordCleared
		detail["sessionsRevoked"] = res.SessionsRevoked
		detail["refreshTokensRevoked"] = true
		detail["identitiesRemoved"] = removed
		detail["accessTokensBefore"] = s.now().UTC().Format(time.RFC3339)
		s.forgetForwardTokens()
		s.accessChanged(ctx, u.ID)
		s.log.Warn("pre-account-takeover reset: password cleared, sessions, tokens and identities revoked", "user", u.ID, "identities_removed", len(removed))
	}
	s.audit(ctx, torii.AuditLink, &u.ID, u.Email, m, detail)
	if err := s.afterEmailVerified(ctx, res.User, m); err != nil {
		return torii.LinkResult{}, err
	}
	return res, nil
}

// mayCreate says whether an unknown person with this email may get an
// account at their first Google sign-in (security.md D.24).
// An address the provider did not verify never passes an allowlist.
func (s *Service) mayCreate(ctx context.Context, email string, verified bool) error {
	if err := s.mayEnterClaims(ctx, email, verified, "This account is not allowed to sign in."); err != nil {
		return err
	}
	switch s.opts.Signup {
	case torii.SignupExplicit:
		return torii.Errorf(torii.EUserNotFound, "There is no account for this Google account yet. Register first.")
	case torii.SignupClosed:
		return torii.Errorf(torii.ENotAllowed, "Sign-up is closed here. Ask an administrator for an account.")
	}
	return nil
}

// createGoogleUser creates an account with its identity and its group
// (company, else the default group) in one transaction and signs it in.
// ErrConflict when the email or the identity was taken meanwhile;
// VALIDATION_ERROR when the company's name is taken.
func (s *Service) createGoogleUser(ctx context.Context, c torii.IDClaims, email, name, company string, m Meta, method string) (SignIn, error) {
	now := s.now().UTC()
	u, err := s.store.CreateAccount(ctx, torii.User{
		Email: email, EmailVerified: c.EmailVerified, Name: name, AvatarURL: picture(c.Picture),
		Status: torii.StatusActive, IsFirstLogin: true, LastLoginAt: &now, CreatedAt: now,
	}, &torii.Identity{Issuer: c.Issuer, Subject: c.Subject, Email: c.Email, Picture: picture(c.Picture), CreatedAt: now}, s.groupJoin(company))
	if err != nil {
		return SignIn{}, groupTakenAsField(err)
	}
	s.audit(ctx, torii.AuditRegister, &u.ID, u.Email, m, map[string]any{"method": method, "issuer": c.Issuer, "subject": c.Subject})
	return s.signedIn(ctx, u, m, method)
}

// googleFailed records a failed Google sign-in (audit, per-IP limit) and
// returns err. The audit detail keeps the internal reason (which check
// failed), which clients never see.
func (s *Service) googleFailed(ctx context.Context, userID *int64, email string, m Meta, method string, err error) error {
	code := torii.ErrorCode(err)
	if code == torii.EServiceUnavailable || code == torii.EInternal {
		return err
	}
	add(s.opts.LoginPerIP, m.IP)
	detail := map[string]any{"reason": code, "method": method, "detail": truncate(err.Error(), 300)}
	if check := failedCheck(err); check != "" {
		detail["check"] = check
	}
	s.audit(ctx, torii.AuditSignInFailure, userID, email, m, detail)
	return err
}

// nameFromClaims picks a display name: the provider's, else the email's
// local part (seed 002).
func nameFromClaims(c torii.IDClaims) string {
	if n := cleanName(c.Name); n != "" {
		return truncateRunes(n, maxNameRunes)
	}
	local, _, _ := cutLast(torii.NormalizeEmail(c.Email), "@")
	if local == "" {
		return "User"
	}
	return truncateRunes(local, maxNameRunes)
}

// picture keeps an avatar URL only if it is https and of sane length: it
// ends up in an <img src>.
func picture(u string) string {
	if len(u) > 2048 || !hasPrefixFold(u, "https://") {
		return ""
	}
	return u
}

// withPicture refreshes the avatar from the provider at each sign-in,
// unless the user uploaded a picture of their own.
func withPicture(p string) func(*torii.User) {
	return func(u *torii.User) {
		if p := picture(p); p != "" && !strings.HasPrefix(u.AvatarURL, torii.AvatarPathPrefix) {
			u.AvatarURL = p
		}
	}
}

// keepIdentityPicture records the provider's current picture on the
// identity, so that it can come back when the user removes an uploaded
// one. A failure only costs that: it is logged, the sign-in goes on.
func (s *Service) keepIdentityPicture(ctx context.Context, id torii.Identity, p string) {
	if p = picture(p); p == id.Picture {
		return
	}
	if err := s.store.SetIdentityPicture(ctx, id.ID, p); err != nil {
		s.log.Warn("identity picture not saved", "err", err)
	}
}
