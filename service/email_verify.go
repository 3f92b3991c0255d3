package service

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"time"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/mail"
)

// verifyLinkTTL is how long a verification link works.
const verifyLinkTTL = 24 * time.Hour

// mailKindVerify names the verification mail in the outbox.
const mailKindVerify = "verify-email"

// maxVerifyToken bounds a presented token: real ones are 43 characters.
const maxVerifyToken = 128

func errTokenInvalid() error {
	return torii.Errorf(torii.ETokenInvalid, "This confirmation link is invalid, already used or expired. Send a new one from your account page.")
}

func errMailOff() error {
	return torii.Errorf(torii.EMailOff, "This server sends no mail. Ask an administrator to confirm your address.")
}

// VerifyLink is the page a verification mail links to, with the token in
// its query only: it never reaches a log line of torii's.
func (s *Service) verifyLink(token string) string {
	return s.opts.Issuer + "/verify-email?token=" + url.QueryEscape(token)
}

// queueVerification makes a token for u's current address and queues its
// mail in the same transaction, then wakes the sender. m is the request
// of u's that asked for it (its language, until u saves one).
func (s *Service) queueVerification(ctx context.Context, u torii.User, m Meta) error {
	token, err := s.newToken()
	if err != nil {
		return err
	}
	msg, err := mail.VerifyEmail(u.Email, mail.VerifyEmailData{Lang: s.mailLang(ctx, u, m), Name: u.Name, Link: s.verifyLink(token), Hours: int(verifyLinkTTL / time.Hour)})
	if err != nil {
		return err
	}
	now := s.now().UTC()
	err = s.store.CreateEmailVerification(ctx,
		torii.EmailVerification{ID: SessionID(token), UserID: u.ID, Email: u.Email, CreatedAt: now, ExpiresAt: now.Add(verifyLinkTTL)},
		torii.OutboxMail{Kind: mailKindVerify, To: u.Email, Subject: msg.Subject, Text: msg.Text, HTML: msg.HTML, CreatedAt: now})
	if err != nil {
		return err
	}
	s.outbox.poke()
	return nil
}

// queueVerificationAfterRegister sends a new password account its
// verification mail when mail is on. A failure does not undo the
// registration: it is logged, and the user can ask for the mail again.
func (s *Service) queueVerificationAfterRegister(ctx context.Context, u torii.User, m Meta) {
	if !s.MailEnabled() || u.EmailVerified {
		return
	}
	if err := s.queueVerification(ctx, u, m); err != nil {
		s.log.Error("queue verification mail", "user", u.ID, "err", err)
	}
}

// ResendVerification sends the signed-in user a new verification mail
// (POST /api/v1/me/verify-email). Earlier links stay valid until they
// expire. Errors: MAIL_NOT_CONFIGURED, CONFLICT (already verified),
// RATE_LIMITED.
func (s *Service) ResendVerification(ctx context.Context, p Principal, m Meta) error {
	if !s.MailEnabled() {
		return errMailOff()
	}
	// The principal may be cached: the flag is read fresh.
	u, err := s.store.UserByID(ctx, p.User.ID)
	if err != nil {
		return err
	}
	if u.EmailVerified {
		return torii.Errorf(torii.EConflict, "Your address is already confirmed.")
	}
	if ok, retry := allow(s.opts.VerifyMailPerUser, strconv.FormatInt(u.ID, 10)); !ok {
		return &torii.Error{Code: torii.ERateLimited, Message: "A confirmation mail was sent recently. Check your mail, or try again later.", RetryAfter: retry}
	}
	return s.queueVerification(ctx, u, m)
}

// VerifyEmail consumes a verification token (POST
// /api/v1/auth/verify-email): the user's email_verified is set in the
// same transaction, provided the address is still the one the link was
// sent to. Errors: TOKEN_INVALID (unknown, used, expired, or for an
// address the user no longer has).
func (s *Service) VerifyEmail(ctx context.Context, token string, m Meta) (torii.User, error) {
	if token == "" || len(token) > maxVerifyToken {
		return torii.User{}, errTokenInvalid()
	}
	u, err := s.store.ConsumeEmailVerification(ctx, SessionID(token), s.now().UTC())
	if errors.Is(err, torii.ErrNotFound) {
		return torii.User{}, errTokenInvalid()
	} else if err != nil {
		return torii.User{}, err
	}
	s.audit(ctx, torii.AuditEmailVerify, &u.ID, u.Email, m, map[string]any{"how": "link"})
	s.followVerification(ctx, u, m)
	return u, nil
}

// AdminVerifyEmail marks user id's current address verified, the admin
// vouching for it (POST /api/v1/admin/users/{id}/verify-email, the admin
// page, `torii user verify`). It works whether or not mail is on;
// verifying a verified address changes nothing. Errors: FORBIDDEN,
// NOT_FOUND.
func (s *Service) AdminVerifyEmail(ctx context.Context, id int64, by Actor) (UserSummary, error) {
	if err := needAdmin(by); err != nil {
		return UserSummary{}, err
	}
	changed := false
	u, err := s.store.UpdateUser(ctx, id, func(x *torii.User) error {
		if !x.EmailVerified {
			x.EmailVerified, x.UpdatedAt, changed = true, s.now().UTC(), true
		}
		return nil
	})
	if err != nil {
		return UserSummary{}, err
	}
	if changed {
		s.audit(ctx, torii.AuditEmailVerify, &u.ID, u.Email, by.Meta, map[string]any{"how": "admin", "by": by.Email})
		s.followVerification(ctx, u, by.Meta)
	}
	return s.summary(ctx, u)
}

// followVerification runs afterEmailVerified once the verification is
// committed. Its failure (a bootstrap promotion that did not write) is
// logged, not returned: the address is verified either way, and the next
// sign-in promotes again.
func (s *Service) followVerification(ctx context.Context, u torii.User, m Meta) {
	if err := s.afterEmailVerified(ctx, u, m); err != nil {
		s.log.Error("after e-mail verification", "user", u.ID, "err", err)
	}
}
