package service

import (
	"context"
	"errors"
	"time"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/password"
	"github.com/toriihq/torii/ratelimit"
)

// RegisterInput is a self-registration with a password.
type RegisterInput struct {
	Email    string
	Password string
	Name     string
	// CompanyName, when set, founds that group with the new user as its
	// owner; otherwise the user joins the default group.
	CompanyName string
}

// SignIn is the result of a successful registration or sign-in: the user
// and the token of the new session (to be set as the cookie).
type SignIn struct {
	User  torii.User
	Token string
}

var errInvalidCredentials = torii.Errorf(torii.EInvalidCredentials, "Wrong email or password.")

func errRateLimited(retry time.Duration) error {
	return &torii.Error{Code: torii.ERateLimited, Message: "Too many attempts. Try again later.", RetryAfter: retry}
}

func errPasswordLoginOff() error {
	return torii.Errorf(torii.ENotAllowed, "Password sign-in is turned off here.")
}

// Register creates a password account and signs it in. Errors:
// NOT_ALLOWED (password sign-in off, signup closed, not on the allowlist),
// RATE_LIMITED, VALIDATION_ERROR, EMAIL_ALREADY_EXISTS.
func (s *Service) Register(ctx context.Context, in RegisterInput, m Meta) (SignIn, error) {
	if !s.opts.PasswordLogin {
		return SignIn{}, errPasswordLoginOff()
	}
	if s.opts.Signup == torii.SignupClosed {
		return SignIn{}, torii.Errorf(torii.ENotAllowed, "Registration is closed. Ask an administrator for an account.")
	}
	if ok, retry := allow(s.opts.RegisterPerIP, m.IP); !ok {
		return SignIn{}, errRateLimited(retry)
	}
	email, name, company := torii.NormalizeEmail(in.Email), cleanName(in.Name), cleanName(in.CompanyName)
	fields := fieldErrors{}
	fields.checkEmail(email)
	fields.checkName(name)
	s.checkCompany(fields, company)
	fields.checkPassword("password", in.Password)
	if err := fields.err(); err != nil {
		return SignIn{}, err
	}
	if err := s.mayEnter(ctx, email, "This email address is not allowed to register."); err != nil {
		if torii.IsCode(err, torii.ENotAllowed) {
			s.audit(ctx, torii.AuditSignInFailure, nil, email, m, map[string]any{"reason": torii.ENotAllowed, "method": "register"})
		}
		return SignIn{}, err
	}
	hash, err := s.hasher.Hash(ctx, in.Password)
	if err != nil {
		return SignIn{}, err
	}
	now := s.now().UTC()
	u, err := s.store.CreateAccount(ctx, torii.User{
		Email: email, Name: name, PasswordHash: hash, Status: torii.StatusActive,
		IsFirstLogin: true, LastLoginAt: &now, CreatedAt: now,
	}, nil, s.groupJoin(company))
	if errors.Is(err, torii.ErrConflict) {
		return SignIn{}, torii.Errorf(torii.EEmailAlreadyExists, "An account with this email already exists.")
	} else if err != nil {
		return SignIn{}, groupTakenAsField(err)
	}
	s.audit(ctx, torii.AuditRegister, &u.ID, u.Email, m, map[string]any{"method": "password"})
	s.queueVerificationAfterRegister(ctx, u, m)
	return s.signedIn(ctx, u, m, "password")
}

// Login signs in with email and password. Unknown email and wrong password
// give the same INVALID_CREDENTIALS after the same amount of hashing work.
// Other errors: NOT_ALLOWED, PASSWORD_NOT_SET (a Google-only account),
// USER_INACTIVE (only once the password was right, so status is not leaked
// to guessers), RATE_LIMITED, VALIDATION_ERROR.
func (s *Service) Login(ctx context.Context, emailIn, plain string, m Meta) (SignIn, error) {
	if !s.opts.PasswordLogin {
		return SignIn{}, errPasswordLoginOff()
	}
	email := torii.NormalizeEmail(emailIn)
	fields := fieldErrors{}
	if email == "" {
		fields["email"] = "is required"
	}
	if plain == "" {
		fields["password"] = "is required"
	} else if len(plain) > password.MaxBytes {
		fields["password"] = "is too long"
	}
	if err := fields.err(); err != nil {
		return SignIn{}, err
	}
	if ok, retry := check(s.opts.LoginPerIP, m.IP); !ok {
		return SignIn{}, errRateLimited(retry)
	}
	if ok, retry := check(s.opts.LoginPerAccount, email); !ok {
		return SignIn{}, errRateLimited(retry)
	}

	u, err := s.store.UserByEmail(ctx, email)
	if err != nil && !errors.Is(err, torii.ErrNotFound) {
		return SignIn{}, err
	}
	found := err == nil
	if found && !u.HasPassword() {
		s.loginFailed(ctx, &u, email, m, torii.EPasswordNotSet)
		return SignIn{}, torii.Errorf(torii.EPasswordNotSet, "This account signs in with Google.")
	}
	// With no user the hasher still does a full verification against a
	// dummy hash, so timing does not reveal which emails exist.
	ok, err := s.hasher.Verify(ctx, plain, u.PasswordHash)
	if err != nil {
		return SignIn{}, err
	}
	if !found || !ok {
		var who *torii.User
		if found {
			who = &u
		}
		s.loginFailed(ctx, who, email, m, torii.EInvalidCredentials)
		return SignIn{}, errInvalidCredentials
	}
	if err := s.signInAccess(ctx, u); err != nil {
		s.loginFailed(ctx, &u, email, m, torii.ErrorCode(err))
		return SignIn{}, err
	}
	if s.opts.LoginPerAccount != nil {
		s.opts.LoginPerAccount.Reset(email)
	}
	if s.hasher.NeedsRehash(u.PasswordHash) {
		s.rehash(ctx, u.ID, plain)
	}
	return s.completeSignIn(ctx, u, m, "password")
}

// completeSignIn records a successful sign-in and starts a session. The
// extra functions change the user in the same write (a provider's avatar).
// last_login_at is precise to touchInterval, like a session's last
// activity: a sign-in that changes nothing else within that interval of the
// previous one does not write the user again.
func (s *Service) completeSignIn(ctx context.Context, u torii.User, m Meta, method string, extra ...func(*torii.User)) (SignIn, error) {
	now := s.now().UTC()
	apply := func(x *torii.User) error {
		x.LastLoginAt = &now
		x.IsFirstLogin = false
		for _, f := range extra {
			f(x)
		}
		return nil
	}
	if signInChanges(u, apply, now) {
		var err error
		if u, err = s.store.UpdateUser(ctx, u.ID, apply); err != nil {
			return SignIn{}, err
		}
	}
	return s.signedIn(ctx, u, m, method)
}

// signInChanges reports whether apply changes u beyond moving a recent
// last_login_at forward.
func signInChanges(u torii.User, apply func(*torii.User) error, now time.Time) bool {
	if u.LastLoginAt == nil || now.Sub(*u.LastLoginAt) >= touchInterval || now.Before(*u.LastLoginAt) {
		return true
	}
	next := u
	_ = apply(&next)
	next.LastLoginAt = u.LastLoginAt
	return next != u
}

func (s *Service) loginFailed(ctx context.Context, u *torii.User, email string, m Meta, reason string) {
	add(s.opts.LoginPerIP, m.IP)
	add(s.opts.LoginPerAccount, email)
	var id *int64
	if u != nil {
		id = &u.ID
	}
	s.audit(ctx, torii.AuditSignInFailure, id, email, m, map[string]any{"reason": reason, "method": "password"})
}

// rehash upgrades a stored hash made with weaker parameters. Failure only
// costs the upgrade, so it is logged and the sign-in goes on.
func (s *Service) rehash(ctx context.Context, userID int64, plain string) {
	hash, err := s.hasher.Hash(ctx, plain)
	if err == nil {
		_, err = s.store.UpdateUser(ctx, userID, func(x *torii.User) error {
			x.PasswordHash = hash
			return nil
		})
	}
	if err != nil {
		s.log.Warn("password rehash failed", "user", userID, "err", err)
	}
}

// bootstrapAdmin grants the admin role to a TORII_ADMIN_EMAILS user whose
// address is verified (security.md I.42): whoever first registers the
// address with a password has proved nothing. An unverified one is
// promoted when the address becomes verified (afterEmailVerified).
func (s *Service) bootstrapAdmin(ctx context.Context, u torii.User, m Meta) error {
	if !u.EmailVerified || !s.isBootstrapAdmin(u.Email) {
		return nil
	}
	roles, err := s.store.UserRoles(ctx, u.ID)
	if err != nil || containsRole(roles, torii.RoleAdmin) {
		return err
	}
	if err := s.store.AddUserRole(ctx, u.ID, torii.RoleAdmin); err != nil {
		return err
	}
	s.cache.forgetUser(u.ID)
	s.audit(ctx, torii.AuditUserRoles, &u.ID, u.Email, m, map[string]any{"granted": torii.RoleAdmin, "by": "TORII_ADMIN_EMAILS"})
	return nil
}

func allow(l *ratelimit.Limiter, key string) (bool, time.Duration) {
	if l == nil {
		return true, 0
	}
	return l.Allow(key)
}

func check(l *ratelimit.Limiter, key string) (bool, time.Duration) {
	if l == nil {
		return true, 0
	}
	return l.Check(key)
}

func add(l *ratelimit.Limiter, key string) {
	if l != nil {
		l.Add(key)
	}
}
