package service

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/toriihq/torii"
)

// tokenBytes is the size of a session token: 256 bits from crypto/rand, far
// beyond the 128 bits security.md F.30 asks for.
const tokenBytes = 32

// Principal is an authenticated caller: the user, the session it came
// through, its admin roles and its linked identities (so that answering
// "who am I" needs no further reads).
type Principal struct {
	User       torii.User
	Session    torii.Session
	Roles      []string
	Identities []torii.Identity
	// Groups are the user's group memberships; like the rest they are
	// cached with the principal, and every membership change made through
	// the service drops the cache entry.
	Groups []torii.Membership
	// Waiting is set for an account whose address the allowlist would
	// admit but that is not verified yet: it is signed in, but every
	// request other than those that help it out of this state is refused
	// with EMAIL_NOT_VERIFIED (WaitingErr).
	Waiting bool
}

// Profile returns the principal as a Profile.
func (p Principal) Profile() Profile {
	return Profile{User: p.User, Identities: p.Identities, Roles: p.Roles}
}

// IsAdmin reports whether the principal holds the admin role.
func (p Principal) IsAdmin() bool { return slices.Contains(p.Roles, torii.RoleAdmin) }

// SessionID returns the id under which a session token is stored: the hex
// SHA-256 of the token. A fast hash is right here because the token is 256
// random bits, not a guessable password.
func SessionID(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func (s *Service) newToken() (string, error) {
	b := make([]byte, tokenBytes)
	if _, err := io.ReadFull(s.rand, b); err != nil {
		return "", fmt.Errorf("session token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// signedIn is the one tail of every sign-in and registration (password,
// Google, both registrations): a TORII_ADMIN_EMAILS address is promoted
// (bootstrapAdmin checks it is verified), the session the request carried
// is retired, and a fresh session is stored with its signin.success audit
// event (with the method) in the same write. Every sign-in gets a fresh
// session (no fixation: a token from before sign-in is never promoted).
func (s *Service) signedIn(ctx context.Context, u torii.User, m Meta, method string) (SignIn, error) {
	if err := s.bootstrapAdmin(ctx, u, m); err != nil {
		return SignIn{}, err
	}
	if err := s.retirePresented(ctx, m); err != nil {
		return SignIn{}, err
	}
	token, err := s.newToken()
	if err != nil {
		return SignIn{}, err
	}
	now := s.now().UTC()
	m = m.stored()
	sess := torii.Session{
		ID:           SessionID(token),
		UserID:       u.ID,
		IP:           m.IP,
		UserAgent:    m.UserAgent,
		CreatedAt:    now,
		LastActivity: now,
		ExpiresAt:    now.Add(s.opts.SessionMax),
	}
	ev := s.auditEvent(torii.AuditSignInSuccess, &u.ID, u.Email, m, map[string]any{"method": method})
	ev.At = now
	if err := s.store.CreateSessionAudited(ctx, sess, ev); err != nil {
		return SignIn{}, err
	}
	return SignIn{User: u, Token: token}, nil
}

// retirePresented revokes the session a signing-in request carried, whoever
// it belonged to.
func (s *Service) retirePresented(ctx context.Context, m Meta) error {
	if m.PresentedToken == "" || len(m.PresentedToken) > 128 {
		return nil
	}
	id := SessionID(m.PresentedToken)
	old, err := s.store.SessionByID(ctx, id)
	if errors.Is(err, torii.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	s.cache.forget(id)
	if old.RevokedAt != nil {
		return nil
	}
	err = s.store.RevokeSession(ctx, old.UserID, id, s.now().UTC())
	if errors.Is(err, torii.ErrNotFound) {
		return nil
	}
	if err == nil {
		s.accessChanged(ctx, old.UserID)
	}
	return err
}

// missingIsUnauthorized turns a row that is gone (a session, a refresh
// token, a user) into UNAUTHORIZED: to the caller it is a credential that no
// longer works, not a missing resource.
func missingIsUnauthorized(err error) error {
	if errors.Is(err, torii.ErrNotFound) {
		return errUnauthorized
	}
	return err
}

var errUnauthorized = torii.Errorf(torii.EUnauthorized, "Sign in to continue.")

// Authenticate resolves a session token to its principal. It fails with
// UNAUTHORIZED for an unknown, revoked, idle or expired session, with
// USER_INACTIVE for a disabled account and NOT_ALLOWED when the allowlist no
// longer admits the user. An account the allowlist admits only once its
// address is verified gets a principal with Waiting set.
func (s *Service) Authenticate(ctx context.Context, token string) (Principal, error) {
	if token == "" || len(token) > 128 {
		return Principal{}, errUnauthorized
	}
	id := SessionID(token)
	now := s.now().UTC()
	p, ok := s.cache.get(id, now)
	if !ok {
		var err error
		if p, err = s.loadPrincipal(ctx, id); err != nil {
			return Principal{}, err
		}
		s.cache.put(p, now)
	}
	if !p.Session.Live(now, s.opts.SessionIdle) {
		s.cache.forget(id)
		return Principal{}, errUnauthorized
	}
	p.Waiting = false
	if err := s.checkAccess(ctx, p.User); isWaiting(err) {
		p.Waiting = true
	} else if err != nil {
		return Principal{}, err
	}
	if now.Sub(p.Session.LastActivity) >= touchInterval {
		if err := s.store.TouchSession(ctx, id, now); err != nil {
			return Principal{}, err
		}
		p.Session.LastActivity = now
		s.cache.touched(id, now)
	}
	return p, nil
}

func (s *Service) loadPrincipal(ctx context.Context, id string) (Principal, error) {
	sess, err := s.store.SessionByID(ctx, id)
	if err != nil {
		return Principal{}, missingIsUnauthorized(err)
	}
	u, err := s.store.UserByID(ctx, sess.UserID)
	if err != nil {
		return Principal{}, missingIsUnauthorized(err)
	}
	return s.principalOf(ctx, u, sess)
}

// principalOf loads what a principal carries besides its user and session:
// roles, identities and groups, so that /me and the role checks of a
// request need no further reads.
func (s *Service) principalOf(ctx context.Context, u torii.User, sess torii.Session) (Principal, error) {
	roles, err := s.store.UserRoles(ctx, u.ID)
	if err != nil {
		return Principal{}, err
	}
	ids, err := s.store.IdentitiesByUser(ctx, u.ID)
	if err != nil {
		return Principal{}, err
	}
	groups, err := s.store.UserGroups(ctx, u.ID)
	if err != nil {
		return Principal{}, err
	}
	return Principal{User: u, Session: sess, Roles: roles, Identities: ids, Groups: groups}, nil
}

// checkAccess applies the rules that can take away a signed-in user's
// access: status and allowlist, which admits a verified address only
// (EMAIL_NOT_VERIFIED, errWaiting, for an unverified one it matches).
func (s *Service) checkAccess(ctx context.Context, u torii.User) error {
	if u.Status != torii.StatusActive {
		return torii.Errorf(torii.EUserInactive, "This account is disabled.")
	}
	return s.admission(ctx, u.Email, u.EmailVerified, "This account is not allowed to sign in.")
}

// Logout revokes the principal's session server-side, with the refresh
// tokens minted from it. A principal that came with a Bearer token has no
// session to end: FORBIDDEN (access tokens expire on their own).
func (s *Service) Logout(ctx context.Context, p Principal, m Meta) error {
	if p.Session.ID == "" {
		return errNeedsSession
	}
	err := s.store.RevokeSession(ctx, p.User.ID, p.Session.ID, s.now().UTC())
	s.accessChanged(ctx, p.User.ID)
	if err != nil && !errors.Is(err, torii.ErrNotFound) {
		return err
	}
	s.audit(ctx, torii.AuditLogout, &p.User.ID, p.User.Email, m, nil)
	return nil
}

// Sessions lists the principal's live sessions, newest first.
func (s *Service) Sessions(ctx context.Context, p Principal) ([]torii.Session, error) {
	all, err := s.store.ListUserSessions(ctx, p.User.ID, s.now().UTC())
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	return slices.DeleteFunc(all, func(x torii.Session) bool {
		return !x.Live(now, s.opts.SessionIdle)
	}), nil
}

// RevokeSession signs out one of the principal's own sessions (NOT_FOUND if
// it is someone else's: ids are never confirmed across users).
func (s *Service) RevokeSession(ctx context.Context, p Principal, id string, m Meta) error {
	if err := s.store.RevokeSession(ctx, p.User.ID, id, s.now().UTC()); err != nil {
		return err
	}
	s.accessChanged(ctx, p.User.ID)
	s.audit(ctx, torii.AuditSessionRevoke, &p.User.ID, p.User.Email, m, map[string]any{"count": 1})
	return nil
}

// RevokeOtherSessions signs out every session of the principal but the
// current one.
//
// It also moves the user's token epoch: the access tokens other devices
// (and scripts) hold die with their sessions. Those of the current
// session die too, since tokens do not name their session: it mints new
// ones (POST /api/v1/auth/token).
func (s *Service) RevokeOtherSessions(ctx context.Context, p Principal, m Meta) error {
	ids, err := s.store.RevokeUserSessions(ctx, p.User.ID, p.Session.ID, s.now().UTC())
	if err != nil {
		return err
	}
	if err := s.bumpTokenEpoch(ctx, p.User.ID); err != nil {
		return err
	}
	s.accessChanged(ctx, p.User.ID)
	s.audit(ctx, torii.AuditSessionRevoke, &p.User.ID, p.User.Email, m, map[string]any{"count": len(ids)})
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// Cut on a rune boundary so stored text stays valid UTF-8.
	for n > 0 && n < len(s) && (s[n]&0xC0) == 0x80 {
		n--
	}
	return s[:n]
}
