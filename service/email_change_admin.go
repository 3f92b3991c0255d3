package service

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/toriihq/torii"
)

// E-mail changes without mail (issue 19): an admin makes the link of a
// change the user asked for, and hands it over.

// EmailChangeLink is a confirmation link an admin made.
type EmailChangeLink struct {
	URL                string
	OldEmail, NewEmail string
	ExpiresAt          time.Time
}

// AdminEmailChangeLink makes a new confirmation link for user id's
// newest waiting change of address and returns it, for an admin to hand
// over (the admin page and API, `torii user email-link`); any earlier link
// of that change dies. Opening it changes the address and marks it
// verified, because the admin vouches for it: the admin makes it only
// after checking that the new address is the user's (security.md I.42,
// like creating or inviting an address). It works whether or not mail is
// on, once, for EmailChangeTTL. Errors: FORBIDDEN, NOT_FOUND (no such
// user, or no change waiting).
func (s *Service) AdminEmailChangeLink(ctx context.Context, id int64, by Actor) (EmailChangeLink, error) {
	if err := needAdmin(by); err != nil {
		return EmailChangeLink{}, err
	}
	if _, err := s.store.UserByID(ctx, id); err != nil {
		return EmailChangeLink{}, err
	}
	token, err := s.newToken()
	if err != nil {
		return EmailChangeLink{}, err
	}
	now := s.now().UTC()
	ch, err := s.store.ReissueEmailChange(ctx, id, SessionID(token), now, now.Add(EmailChangeTTL))
	if errors.Is(err, torii.ErrNotFound) {
		return EmailChangeLink{}, torii.Errorf(torii.ENotFound, "No change of address is waiting for this account: the user asks for it on their account page first.")
	} else if err != nil {
		return EmailChangeLink{}, err
	}
	s.audit(ctx, torii.AuditEmailChangeRequest, &ch.UserID, ch.OldEmail, by.Meta,
		map[string]any{"to": ch.NewEmail, "via": torii.EmailChangeViaAdmin, "by": by.Email})
	return EmailChangeLink{URL: s.emailChangeLink(token), OldEmail: ch.OldEmail, NewEmail: ch.NewEmail, ExpiresAt: ch.ExpiresAt}, nil
}

// PendingEmailChange returns the principal's newest waiting change of
// address, if any (/account shows it).
func (s *Service) PendingEmailChange(ctx context.Context, p Principal) (torii.EmailChange, bool, error) {
	list, err := s.store.PendingEmailChanges(ctx, p.User.ID, s.now().UTC(), 1)
	if err != nil || len(list) == 0 {
		return torii.EmailChange{}, false, err
	}
	return list[0], true, nil
}

// maxListedEmailChanges bounds the waiting changes the admin page shows.
const maxListedEmailChanges = 200

// AdminWaitingEmailChanges lists the newest waiting change of address of
// each account that has one, newest first, at most maxListedEmailChanges
// (GET /api/v1/admin/email-changes). Errors: FORBIDDEN.
func (s *Service) AdminWaitingEmailChanges(ctx context.Context, by Actor) ([]torii.EmailChange, error) {
	byUser, err := s.AdminPendingEmailChanges(ctx, by)
	if err != nil {
		return nil, err
	}
	out := make([]torii.EmailChange, 0, len(byUser))
	for _, ch := range byUser {
		out = append(out, *ch)
	}
	slices.SortFunc(out, func(a, b torii.EmailChange) int { return b.CreatedAt.Compare(a.CreatedAt) })
	return out, nil
}

// AdminPendingEmailChanges maps each user with a waiting change of
// address to their newest one (the admin page's users list shows it).
func (s *Service) AdminPendingEmailChanges(ctx context.Context, by Actor) (map[int64]*torii.EmailChange, error) {
	if err := needAdmin(by); err != nil {
		return nil, err
	}
	list, err := s.store.PendingEmailChanges(ctx, 0, s.now().UTC(), maxListedEmailChanges)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]*torii.EmailChange, len(list))
	for i, ch := range list {
		if _, ok := out[ch.UserID]; !ok {
			out[ch.UserID] = &list[i]
		}
	}
	return out, nil
}

// LastEmailChange returns when and from what the principal's address last
// changed, within the last EmailChangeNoticeFor (/account shows it: with
// no mail, it stands for the notice mail to the old address).
func (s *Service) LastEmailChange(ctx context.Context, p Principal) (from string, at time.Time, ok bool, err error) {
	id := p.User.ID
	evs, err := s.store.ListAudit(ctx, torii.AuditFilter{UserID: &id, Event: torii.AuditEmailChange, Limit: 1})
	if err != nil || len(evs) == 0 || s.now().Sub(evs[0].At) > EmailChangeNoticeFor {
		return "", time.Time{}, false, err
	}
	f, _ := evs[0].Detail["from"].(string)
	return f, evs[0].At, f != "", nil
}

// EmailChangeNoticeFor is how long /account tells of a change of address.
const EmailChangeNoticeFor = 30 * 24 * time.Hour
