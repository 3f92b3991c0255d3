package service

import (
	"context"
	"errors"
	"net/url"
	"time"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/mail"
)

// Profile changes (issue 19): name and e-mail address.

// EmailChangeTTL is how long the link to a new address works.
const EmailChangeTTL = 24 * time.Hour

const mailKindEmailChange = "email-change"

func errEmailChangeInvalid() error {
	return torii.Errorf(torii.ETokenInvalid, "This confirmation link is invalid, already used or expired. Ask for the change again from your account page.")
}

// UpdateName sets the principal's display name (PATCH /api/v1/me
// {"name"}). Errors: VALIDATION_ERROR (`name`).
func (s *Service) UpdateName(ctx context.Context, p Principal, nameIn string, m Meta) (torii.User, error) {
	name := cleanName(nameIn)
	fields := fieldErrors{}
	fields.checkName(name)
	if err := fields.err(); err != nil {
		return torii.User{}, err
	}
	var from string
	u, err := s.store.UpdateUser(ctx, p.User.ID, func(x *torii.User) error {
		from = x.Name
		if x.Name != name {
			x.Name, x.UpdatedAt = name, s.now().UTC()
		}
		return nil
	})
	if err != nil {
		return torii.User{}, missingIsUnauthorized(err)
	}
	if from != name {
		s.cache.forgetUser(u.ID)
		s.audit(ctx, torii.AuditProfile, &u.ID, u.Email, m, map[string]any{"name": map[string]string{"from": from, "to": name}})
	}
	return u, nil
}

func (s *Service) emailChangeLink(token string) string {
	return s.opts.Issuer + "/confirm-email?token=" + url.QueryEscape(token)
}

// RequestEmailChange starts a change of the principal's address (POST
// /api/v1/me/email {"email"}). With mail, a link to the new address
// confirms it, and the old address is told at once, in the same
// transaction, so its owner can react if the change is not theirs.
// Without mail, the change waits for an admin, who makes its link
// (AdminEmailChangeLink) after checking that the new address is the
// user's, and hands it over: the admin is the one told, and /account
// shows the waiting change. It is a lasting change: a cookie session with
// a recent sign-in is needed. Errors: FORBIDDEN (access token),
// REAUTH_REQUIRED, VALIDATION_ERROR (`email`: malformed, the current
// one, or not admitted by the allowlist), EMAIL_ALREADY_EXISTS,
// RATE_LIMITED (the verification mail's limit, or too many waiting
// changes).
func (s *Service) RequestEmailChange(ctx context.Context, p Principal, emailIn string, m Meta) (EmailChangeRequest, error) {
	if err := s.needRecentSignIn(p); err != nil {
		return EmailChangeRequest{}, err
	}
	u, err := s.store.UserByID(ctx, p.User.ID)
	if err != nil {
		return EmailChangeRequest{}, missingIsUnauthorized(err)
	}
	email := torii.NormalizeEmail(emailIn)
	fields := fieldErrors{}
	fields.checkEmail(email)
	if fields["email"] == "" && email == u.Email {
		fields["email"] = "is already your address"
	}
	if fields["email"] == "" {
		if ok, err := s.Allowed(ctx, email); err != nil {
			return EmailChangeRequest{}, err
		} else if !ok {
			fields["email"] = "is not admitted by the allowlist"
		}
	}
	if err := fields.err(); err != nil {
		return EmailChangeRequest{}, err
	}
	if ok, retry := allow(s.opts.VerifyMailPerUser, "change:"+u.Email); !ok {
		return EmailChangeRequest{}, &torii.Error{Code: torii.ERateLimited, Message: "A confirmation mail was sent recently. Check your mail, or try again later.", RetryAfter: retry}
	}
	now := s.now().UTC()
	if waiting, err := s.store.PendingEmailChanges(ctx, u.ID, now, maxWaitingEmailChanges); err != nil {
		return EmailChangeRequest{}, err
	} else if len(waiting) >= maxWaitingEmailChanges {
		return EmailChangeRequest{}, &torii.Error{Code: torii.ERateLimited, Message: "Too many changes of address are waiting. Confirm one, or try again tomorrow.", RetryAfter: EmailChangeTTL}
	}
	token, err := s.newToken()
	if err != nil {
		return EmailChangeRequest{}, err
	}
	ch := torii.EmailChange{ID: SessionID(token), UserID: u.ID, OldEmail: u.Email, NewEmail: email,
		Via: torii.EmailChangeViaAdmin, CreatedAt: now, ExpiresAt: now.Add(EmailChangeTTL)}
	var mails []torii.OutboxMail
	if s.MailEnabled() {
		ch.Via = torii.EmailChangeViaMail
		if mails, err = s.emailChangeMails(ctx, u, email, token, m, now); err != nil {
			return EmailChangeRequest{}, err
		}
	}
	// Without mail the token is forgotten here: nobody can use this
	// change until an admin makes its link.
	err = s.store.CreateEmailChange(ctx, ch, mails)
	switch {
	case errors.Is(err, torii.ErrConflict):
		return EmailChangeRequest{}, torii.Errorf(torii.EEmailAlreadyExists, "An account with this email already exists.")
	case errors.Is(err, torii.ErrNotFound):
		return EmailChangeRequest{}, errUnauthorized
	case err != nil:
		return EmailChangeRequest{}, err
	}
	if len(mails) > 0 {
		s.outbox.poke()
	}
	s.audit(ctx, torii.AuditEmailChangeRequest, &u.ID, u.Email, m, map[string]any{"to": email, "via": ch.Via})
	return EmailChangeRequest{NewEmail: email, ExpiresAt: ch.ExpiresAt, Mailed: len(mails) > 0}, nil
}

// maxWaitingEmailChanges bounds the live changes of one account.
const maxWaitingEmailChanges = 5

// EmailChangeRequest is what RequestEmailChange did.
type EmailChangeRequest struct {
	NewEmail  string
	ExpiresAt time.Time
	// Mailed: the link is on its way to NewEmail (else an admin makes it).
	Mailed bool
}

// emailChangeMails are the link to the new address and the notice to the
// old one.
func (s *Service) emailChangeMails(ctx context.Context, u torii.User, email, token string, m Meta, now time.Time) ([]torii.OutboxMail, error) {
	d := mail.LinkData{Lang: s.mailLang(ctx, u, m), Name: u.Name, Link: s.emailChangeLink(token), Hours: int(EmailChangeTTL / time.Hour), OldEmail: u.Email, NewEmail: email}
	link, err := mail.Recovery(mail.KindEmailChange, email, d)
	if err != nil {
		return nil, err
	}
	d.Link = ""
	notice, err := mail.Recovery(mail.KindEmailChangeNotice, u.Email, d)
	if err != nil {
		return nil, err
	}
	return []torii.OutboxMail{
		{Kind: mailKindEmailChange, To: email, Subject: link.Subject, Text: link.Text, HTML: link.HTML, CreatedAt: now},
		{Kind: mailKindEmailChange + "-notice", To: u.Email, Subject: notice.Subject, Text: notice.Text, HTML: notice.HTML, CreatedAt: now},
	}, nil
}

// ConfirmEmailChange uses a change link (POST
// /api/v1/auth/email-change/confirm {"token"}): the account's address
// becomes the new one, verified: its owner opened the link mailed to it,
// or an admin vouched for it by making the link (security.md I.42).
// It needs no session: the link may be opened on another device. Errors:
// TOKEN_INVALID (unknown, used, expired, or the account's address changed
// since), EMAIL_ALREADY_EXISTS (the new address was taken meanwhile).
func (s *Service) ConfirmEmailChange(ctx context.Context, token string, m Meta) (torii.User, error) {
	if !wellFormedToken(token) {
		return torii.User{}, errEmailChangeInvalid()
	}
	ch, u, err := s.store.ConsumeEmailChange(ctx, SessionID(token), s.now().UTC())
	switch {
	case errors.Is(err, torii.ErrNotFound):
		return torii.User{}, errEmailChangeInvalid()
	case errors.Is(err, torii.ErrConflict):
		return torii.User{}, torii.Errorf(torii.EEmailAlreadyExists, "An account with this email already exists.")
	case err != nil:
		return torii.User{}, err
	}
	// The address is what the allowlist and forward-auth see: every
	// cached principal and access check is read again.
	s.forgetForwardTokens()
	s.accessChanged(ctx, u.ID)
	s.audit(ctx, torii.AuditEmailChange, &u.ID, u.Email, m, map[string]any{"from": ch.OldEmail, "to": ch.NewEmail, "via": ch.Via})
	how := "change"
	if ch.Via == torii.EmailChangeViaAdmin {
		how = "admin-change"
	}
	s.audit(ctx, torii.AuditEmailVerify, &u.ID, u.Email, m, map[string]any{"how": how})
	s.followVerification(ctx, u, m)
	return u, nil
}
