package service

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/toriihq/torii"
)

// Allowlist sources (api.md: an entry's `source`).
const (
	SourceDB  = "db"
	sourceEnv = "env"
)

// AllowlistItem is one entry of the effective allowlist: a database row
// (Source "db") or a TORII_ALLOWED_EMAILS entry (Source "env", ID 0).
type AllowlistItem struct {
	torii.AllowlistEntry
	Source string
}

// allowlistCache holds the database allowlist for principalTTL, so the
// check every authenticated request makes costs no database read.
// Changes made through this process drop it at once; the TTL bounds how
// long a change made elsewhere (another instance, the CLI) goes unseen.
type allowlistCache struct {
	snap   atomic.Pointer[allowlistSnapshot]
	loadMu sync.Mutex // one reload at a time
}

type allowlistSnapshot struct {
	patterns []string
	loadedAt time.Time
}

func (c *allowlistCache) forget() { c.snap.Store(nil) }

// dbPatterns returns the database allowlist's patterns, from the cache
// when it is fresh.
func (s *Service) dbPatterns(ctx context.Context) ([]string, error) {
	now := s.now()
	fresh := func(sn *allowlistSnapshot) bool {
		return sn != nil && now.Sub(sn.loadedAt) < principalTTL && !now.Before(sn.loadedAt)
	}
	if sn := s.allow.snap.Load(); fresh(sn) {
		return sn.patterns, nil
	}
	s.allow.loadMu.Lock()
	defer s.allow.loadMu.Unlock()
	if sn := s.allow.snap.Load(); fresh(sn) {
		return sn.patterns, nil
	}
	entries, err := s.store.ListAllowlist(ctx)
	if err != nil {
		return nil, err
	}
	patterns := make([]string, len(entries))
	for i, e := range entries {
		patterns[i] = e.Pattern
	}
	s.allow.snap.Store(&allowlistSnapshot{patterns: patterns, loadedAt: now})
	return patterns, nil
}

// Allowed reports whether email may sign in: the environment's and the
// database's entries together; when both are empty, everyone may. An
// entry is an exact address or an `@domain` (that domain only, not its
// subdomains); the comparison ignores case.
func (s *Service) Allowed(ctx context.Context, email string) (bool, error) {
	db, err := s.dbPatterns(ctx)
	if err != nil {
		return false, err
	}
	return allowedBy(email, s.opts.AllowedEmails, db), nil
}

func allowedBy(email string, lists ...[]string) bool {
	empty := true
	for _, l := range lists {
		empty = empty && len(l) == 0
	}
	if empty {
		return true
	}
	email = torii.NormalizeEmail(email)
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return false
	}
	domain := email[at:]
	for _, l := range lists {
		if slices.ContainsFunc(l, func(p string) bool { return p == email || p == domain }) {
			return true
		}
	}
	return false
}

// errNotAllowed is the answer for a person the allowlist does not admit.
func errNotAllowed(msg string) error { return torii.Errorf(torii.ENotAllowed, "%s", msg) }

// mayEnter checks the allowlist for email, answering NOT_ALLOWED with msg.
func (s *Service) mayEnter(ctx context.Context, email, msg string) error {
	ok, err := s.Allowed(ctx, email)
	if err != nil {
		return err
	}
	if !ok {
		return errNotAllowed(msg)
	}
	return nil
}

// Allowlist lists the effective allowlist: the environment's entries
// first, then the database's. Errors: FORBIDDEN.
func (s *Service) Allowlist(ctx context.Context, by Actor) ([]AllowlistItem, error) {
	if err := needAdmin(by); err != nil {
		return nil, err
	}
	rows, err := s.store.ListAllowlist(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]AllowlistItem, 0, len(s.opts.AllowedEmails)+len(rows))
	for _, p := range s.opts.AllowedEmails {
		out = append(out, AllowlistItem{AllowlistEntry: torii.AllowlistEntry{Pattern: p}, Source: sourceEnv})
	}
	for _, e := range rows {
		out = append(out, AllowlistItem{AllowlistEntry: e, Source: SourceDB})
	}
	return out, nil
}

// AddAllowlist adds a pattern (`user@x.com` or `@x.com`, any case) to the
// database allowlist. Adding the first entry restricts sign-in to the
// list, so an admin may not add an entry that would shut themself out.
// Errors: FORBIDDEN, VALIDATION_ERROR (`pattern`), CONFLICT (already
// listed, in the database or the environment).
func (s *Service) AddAllowlist(ctx context.Context, pattern string, by Actor) (torii.AllowlistEntry, error) {
	if err := needAdmin(by); err != nil {
		return torii.AllowlistEntry{}, err
	}
	pattern = torii.NormalizeEmail(pattern)
	if msg := checkPattern(pattern); msg != "" {
		return torii.AllowlistEntry{}, torii.Invalid(map[string]string{"pattern": msg})
	}
	errListed := torii.Errorf(torii.EConflict, "%s is already on the allowlist.", pattern)
	if slices.Contains(s.opts.AllowedEmails, pattern) {
		return torii.AllowlistEntry{}, errListed
	}
	rows, err := s.store.ListAllowlist(ctx)
	if err != nil {
		return torii.AllowlistEntry{}, err
	}
	if err := s.keepsActor(by, append(patternsOf(rows), pattern)); err != nil {
		return torii.AllowlistEntry{}, err
	}
	e, err := s.store.AddAllowlist(ctx, torii.AllowlistEntry{Pattern: pattern, AddedBy: by.UserID, CreatedAt: s.now().UTC()})
	if errors.Is(err, torii.ErrConflict) {
		return torii.AllowlistEntry{}, errListed
	} else if err != nil {
		return torii.AllowlistEntry{}, err
	}
	s.audit(ctx, torii.AuditAllowlistAdd, by.UserID, by.Email, by.Meta, map[string]any{"pattern": pattern, "id": e.ID})
	s.allowlistChanged(ctx)
	return e, nil
}

// RemoveAllowlist deletes database entry id. The users it admitted lose
// access at their next request (NOT_ALLOWED), and their event streams
// end. Errors: FORBIDDEN, NOT_FOUND, VALIDATION_ERROR (the removal would
// shut the acting admin out).
func (s *Service) RemoveAllowlist(ctx context.Context, id int64, by Actor) (torii.AllowlistEntry, error) {
	if err := needAdmin(by); err != nil {
		return torii.AllowlistEntry{}, err
	}
	rows, err := s.store.ListAllowlist(ctx)
	if err != nil {
		return torii.AllowlistEntry{}, err
	}
	i := slices.IndexFunc(rows, func(e torii.AllowlistEntry) bool { return e.ID == id })
	if i < 0 {
		return torii.AllowlistEntry{}, torii.ErrNotFound
	}
	if err := s.keepsActor(by, patternsOf(slices.Delete(slices.Clone(rows), i, i+1))); err != nil {
		return torii.AllowlistEntry{}, err
	}
	e, err := s.store.RemoveAllowlist(ctx, id)
	if err != nil {
		return torii.AllowlistEntry{}, err
	}
	s.audit(ctx, torii.AuditAllowlistRemove, by.UserID, by.Email, by.Meta, map[string]any{"pattern": e.Pattern, "id": e.ID})
	s.allowlistChanged(ctx)
	return e, nil
}

// RemoveAllowlistPattern deletes the database entry with pattern (any
// case), as RemoveAllowlist does. NOT_FOUND also for an entry that comes
// from the environment (it can only be changed there).
func (s *Service) RemoveAllowlistPattern(ctx context.Context, pattern string, by Actor) (torii.AllowlistEntry, error) {
	if err := needAdmin(by); err != nil {
		return torii.AllowlistEntry{}, err
	}
	pattern = torii.NormalizeEmail(pattern)
	rows, err := s.store.ListAllowlist(ctx)
	if err != nil {
		return torii.AllowlistEntry{}, err
	}
	for _, e := range rows {
		if e.Pattern == pattern {
			return s.RemoveAllowlist(ctx, e.ID, by)
		}
	}
	if slices.Contains(s.opts.AllowedEmails, pattern) {
		return torii.AllowlistEntry{}, torii.Errorf(torii.ENotFound, "%s comes from TORII_ALLOWED_EMAILS: change it there.", pattern)
	}
	return torii.AllowlistEntry{}, torii.Errorf(torii.ENotFound, "%s is not on the allowlist.", pattern)
}

// keepsActor refuses an allowlist change after which the acting admin
// could not sign in any more (the CLI has no account to lose): their
// address must stay allowed and, once the list is not empty, be verified,
// or they would wait for a confirmation like any unverified account.
func (s *Service) keepsActor(by Actor, db []string) error {
	if by.UserID == nil || (len(s.opts.AllowedEmails) == 0 && len(db) == 0) {
		return nil
	}
	if !allowedBy(by.Email, s.opts.AllowedEmails, db) {
		return torii.Invalid(map[string]string{"pattern": "would shut you out: allow your own address first"})
	}
	if !by.verified {
		return torii.Invalid(map[string]string{"pattern": "would shut you out: your own address is not verified yet (confirm it, or have it verified, first)"})
	}
	return nil
}

// allowlistChanged drops the cached allowlist and tells every user who is
// no longer admitted that their access changed, so live event streams
// end. Allowlist changes are rare admin actions, so scanning the users is
// affordable; requests are refused by Authenticate's check anyway.
func (s *Service) allowlistChanged(ctx context.Context) {
	s.allow.forget()
	db, err := s.dbPatterns(ctx)
	if err != nil {
		s.log.Warn("allowlist reload failed", "err", err)
		return
	}
	var after int64
	for {
		users, err := s.store.ListUsers(ctx, torii.UserFilter{Limit: maxListLimit, AfterID: after})
		if err != nil {
			s.log.Warn("allowlist change: listing users failed", "err", err)
			return
		}
		for _, u := range users {
			// Unverified accounts wait once any allowlist is set.
			if !u.EmailVerified || !allowedBy(u.Email, s.opts.AllowedEmails, db) {
				s.accessChanged(ctx, u.ID)
			}
			after = u.ID
		}
		if len(users) < maxListLimit {
			return
		}
	}
}

func patternsOf(rows []torii.AllowlistEntry) []string {
	out := make([]string, len(rows))
	for i, e := range rows {
		out[i] = e.Pattern
	}
	return out
}

// checkPattern validates a normalised allowlist pattern and returns a
// field message, or "".
func checkPattern(p string) string {
	const want = "must be an email address (user@example.com) or a domain (@example.com)"
	switch {
	case p == "":
		return "is required"
	case len(p) > maxEmailBytes:
		return "is too long"
	case strings.HasPrefix(p, "@"):
		if strings.Count(p, "@") != 1 || !plausibleEmail("x"+p) {
			return want
		}
	case !plausibleEmail(p):
		return want
	}
	return ""
}
