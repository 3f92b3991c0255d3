package service

import (
	"context"
	"errors"
	"net/url"
	"sync"
	"time"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/mail"
	"github.com/toriihq/torii/ratelimit"
)

// Password reset (issue 19, docs/api.md "Password reset").
const (
	// ResetLinkTTL is how long a mailed reset link works.
	ResetLinkTTL = 30 * time.Minute
	// AdminResetLinkTTL is how long a link an admin made works: it is
	// handed over by other means (chat, phone, in person), which takes
	// longer than opening a mail.
	AdminResetLinkTTL = 24 * time.Hour
	mailKindReset     = "password-reset"
	// maxResetJobs bounds the reset requests handled in the background at
	// once; more are dropped (logged), as a flood would be.
	maxResetJobs = 8
)

func errResetTokenInvalid() error {
	return torii.Errorf(torii.ETokenInvalid, "This password reset link is invalid, already used or expired. Ask for a new one.")
}

func (s *Service) resetLink(token string) string {
	return s.opts.Issuer + "/reset-password?token=" + url.QueryEscape(token)
}

// RequestPasswordReset is POST /api/v1/auth/password-reset {"email"}.
// Whether or not the address has an account, it answers the same
// (mailed, nil) after the same work: the request path checks only the form and the
// per-IP limit, and the lookup, the link and its mail are made in the
// background, so neither the answer nor its time tells whether the
// address exists. The per-address limit drops requests silently for the
// same reason (and so nobody can fill someone's inbox). mailed is false
// when this server sends no mail: the request is accepted (the contract's
// "202 always") and nothing is sent; an admin makes the link instead.
// Errors, the same for every address: NOT_ALLOWED (password sign-in off),
// VALIDATION_ERROR (`email` empty or malformed), RATE_LIMITED (per IP).
func (s *Service) RequestPasswordReset(ctx context.Context, emailIn string, m Meta) (mailed bool, err error) {
	if !s.opts.PasswordLogin {
		return false, errPasswordLoginOff()
	}
	email := torii.NormalizeEmail(emailIn)
	fields := fieldErrors{}
	fields.checkEmail(email)
	if err := fields.err(); err != nil {
		return false, err
	}
	if ok, retry := allow(s.opts.ResetPerIP, m.IP); !ok {
		return false, errRateLimited(retry)
	}
	if !s.MailEnabled() {
		return false, nil
	}
	if ok, _ := allow(s.opts.ResetPerAddress, email); !ok {
		s.log.Info("password reset request dropped: address limit")
		return true, nil
	}
	select {
	case s.resetJobs.slot() <- struct{}{}:
	default:
		s.log.Warn("password reset request dropped: too many at once")
		return true, nil
	}
	s.resetJobs.wg.Add(1)
	go func() {
		defer s.resetJobs.wg.Done()
		defer func() { <-s.resetJobs.slot() }()
		if err := s.mailReset(context.WithoutCancel(ctx), email, m); err != nil {
			s.log.Error("password reset mail", "err", err)
		}
	}()
	return true, nil
}

// WaitResetJobs waits until the background reset requests have finished
// (shutdown, tests).
func (s *Service) WaitResetJobs() { s.resetJobs.wg.Wait() }

// mailReset makes a link for email's account, if there is an active one,
// and queues its mail in the same transaction.
func (s *Service) mailReset(ctx context.Context, email string, m Meta) error {
	u, err := s.store.UserByEmail(ctx, email)
	if errors.Is(err, torii.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	if u.Status != torii.StatusActive {
		return nil
	}
	token, err := s.newToken()
	if err != nil {
		return err
	}
	msg, err := mail.Recovery(mail.KindReset, u.Email, mail.LinkData{Lang: s.mailLang(ctx, u, m), Name: u.Name, Link: s.resetLink(token), Minutes: int(ResetLinkTTL / time.Minute)})
	if err != nil {
		return err
	}
	now := s.now().UTC()
	err = s.store.CreatePasswordReset(ctx,
		torii.PasswordReset{ID: SessionID(token), UserID: u.ID, Email: u.Email, Via: torii.ResetViaMail, CreatedAt: now, ExpiresAt: now.Add(ResetLinkTTL)},
		&torii.OutboxMail{Kind: mailKindReset, To: u.Email, Subject: msg.Subject, Text: msg.Text, HTML: msg.HTML, CreatedAt: now})
	if err != nil {
		return err
	}
	s.outbox.poke()
	s.audit(ctx, torii.AuditPasswordResetRequest, &u.ID, u.Email, m, map[string]any{"via": torii.ResetViaMail})
	return nil
}

// AdminResetLink makes a reset link for user id and returns it, for an
// admin to hand over by other means (the admin page and API, `torii user
// reset-link`). It works whether or not mail is on; the link works once,
// for AdminResetLinkTTL, and using it does not verify the address.
// Errors: FORBIDDEN, NOT_FOUND, NOT_ALLOWED (password sign-in off).
func (s *Service) AdminResetLink(ctx context.Context, id int64, by Actor) (ResetLink, error) {
	if err := needAdmin(by); err != nil {
		return ResetLink{}, err
	}
	if !s.opts.PasswordLogin {
		return ResetLink{}, errPasswordLoginOff()
	}
	u, err := s.store.UserByID(ctx, id)
	if err != nil {
		return ResetLink{}, err
	}
	token, err := s.newToken()
	if err != nil {
		return ResetLink{}, err
	}
	now := s.now().UTC()
	r := torii.PasswordReset{ID: SessionID(token), UserID: u.ID, Email: u.Email,
		Via: torii.ResetViaAdmin, CreatedAt: now, ExpiresAt: now.Add(AdminResetLinkTTL)}
	if err := s.store.CreatePasswordReset(ctx, r, nil); err != nil {
		return ResetLink{}, err
	}
	s.audit(ctx, torii.AuditPasswordResetRequest, &u.ID, u.Email, by.Meta, map[string]any{"via": torii.ResetViaAdmin, "by": by.Email})
	return ResetLink{URL: s.resetLink(token), Email: u.Email, ExpiresAt: r.ExpiresAt}, nil
}

// ResetLink is a reset link an admin made.
type ResetLink struct {
	URL       string
	Email     string
	ExpiresAt time.Time
}

// CheckPasswordReset returns the address a reset link is for, if it is
// usable (the page shows it above the form). Errors: TOKEN_INVALID.
func (s *Service) CheckPasswordReset(ctx context.Context, token string) (string, error) {
	if !wellFormedToken(token) {
		return "", errResetTokenInvalid()
	}
	r, err := s.store.PasswordResetByID(ctx, SessionID(token), s.now().UTC())
	if errors.Is(err, torii.ErrNotFound) {
		return "", errResetTokenInvalid()
	}
	return r.Email, err
}

// ResetPassword is POST /api/v1/auth/password-reset/confirm {"token",
// "password"}: the account's password becomes password, and every
// session, refresh token and access token of the account dies (the token
// epoch moves), in one transaction with spending the link. A mailed link
// also proves the address (security.md I.42: its owner opened a link
// mailed to it); see torii.PasswordResetStore. Errors: TOKEN_INVALID
// (unknown, used, expired, or the account's address changed since),
// VALIDATION_ERROR (`password`), NOT_ALLOWED (password sign-in off),
// RATE_LIMITED (per IP, as failed sign-ins).
func (s *Service) ResetPassword(ctx context.Context, token, plain string, m Meta) (torii.User, error) {
	if !s.opts.PasswordLogin {
		return torii.User{}, errPasswordLoginOff()
	}
	if ok, retry := check(s.opts.LoginPerIP, m.IP); !ok {
		return torii.User{}, errRateLimited(retry)
	}
	if _, err := s.CheckPasswordReset(ctx, token); err != nil {
		if torii.IsCode(err, torii.ETokenInvalid) {
			// Guessing links counts like guessing passwords.
			add(s.opts.LoginPerIP, m.IP)
		}
		return torii.User{}, err
	}
	fields := fieldErrors{}
	fields.checkPassword("password", plain)
	if err := fields.err(); err != nil {
		return torii.User{}, err
	}
	hash, err := s.hasher.Hash(ctx, plain)
	if err != nil {
		return torii.User{}, err
	}
	done, err := s.store.ConsumePasswordReset(ctx, SessionID(token), hash, s.now().UTC())
	if errors.Is(err, torii.ErrNotFound) {
		return torii.User{}, errResetTokenInvalid()
	} else if err != nil {
		return torii.User{}, err
	}
	u := done.User
	s.forgetForwardTokens()
	s.accessChanged(ctx, u.ID)
	if s.opts.LoginPerAccount != nil {
		s.opts.LoginPerAccount.Reset(u.Email)
	}
	removed := make([]map[string]any, 0, len(done.IdentitiesRemoved))
	for _, id := range done.IdentitiesRemoved {
		removed = append(removed, map[string]any{"issuer": id.Issuer, "subject": id.Subject, "email": id.Email})
	}
	s.audit(ctx, torii.AuditPasswordReset, &u.ID, u.Email, m, map[string]any{
		"sessionsRevoked": done.SessionsRevoked, "verified": done.Verified, "identitiesRemoved": removed})
	if done.Verified {
		s.audit(ctx, torii.AuditEmailVerify, &u.ID, u.Email, m, map[string]any{"how": "reset"})
		s.followVerification(ctx, u, m)
	}
	return u, nil
}

// resetJobs tracks the background reset requests. The zero value is
// ready to use.
type resetJobs struct {
	once sync.Once
	sem  chan struct{}
	wg   sync.WaitGroup
}

func (j *resetJobs) slot() chan struct{} {
	j.once.Do(func() { j.sem = make(chan struct{}, maxResetJobs) })
	return j.sem
}

// RecoveryOptions are the limits of issue 19's flows (Options embeds it);
// a nil limiter disables that limit.
type RecoveryOptions struct {
	// ResetPerIP limits reset requests per client IP (429 past it).
	ResetPerIP *ratelimit.Limiter
	// ResetPerAddress limits reset mails per address; requests past it
	// are dropped silently (the answer must not depend on the address).
	ResetPerAddress *ratelimit.Limiter
	// DeletedMessages is what happens to the messages of a deleted
	// account: DeletedMessagesKeep (default) or DeletedMessagesErase.
	DeletedMessages string
}

// pruneRecovery drops expired reset links, invitations and changes of
// address.
func (s *Service) pruneRecovery(ctx context.Context, now time.Time) error {
	if _, err := s.store.DeleteExpiredPasswordResets(ctx, now); err != nil {
		return err
	}
	if _, err := s.store.DeleteExpiredInvitations(ctx, now); err != nil {
		return err
	}
	_, err := s.store.DeleteExpiredEmailChanges(ctx, now)
	return err
}

// mailLang is the language of a mail to u, who caused it by request m (for
// a reset, the person asking is the recipient): the one rule of
// mailLanguage, with m's language as the request's.
func (s *Service) mailLang(ctx context.Context, u torii.User, m Meta) string {
	return s.mailLanguage(ctx, u.ID, m.Lang)
}
