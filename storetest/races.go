package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/toriihq/torii"
)

// raceTests check the rules that must hold when several instances write
// the same rows at once: a deactivation or a session revocation leaves
// nothing live behind, whatever sign-in or refresh races it. On SQLite the
// single writer serialises the calls; on PostgreSQL (READ COMMITTED) the
// store's row locks must.
var raceTests = []test{
	{"CreateSession_InactiveOrDeletedUserIsRefused", testCreateSessionDeadUser},
	{"CreateSession_RacingDeactivationLeavesNoLiveSession", testCreateSessionRacingDeactivation},
	{"CreateRefreshToken_RevokedSessionIsRefused", testCreateRefreshTokenRevokedSession},
	{"CreateRefreshToken_RacingSessionRevocationLeavesNoLiveToken", testCreateRefreshTokenRacingRevocation},
	{"RotateRefreshToken_RacingSessionRevocationLeavesNoLiveToken", testRotateRefreshTokenRacingRevocation},
}

// raceRounds is how many times each race is run: one round may well miss
// the window in which a missing lock shows.
const raceRounds = 15

// together runs every fn at once (released by one barrier) and waits.
func together(fns ...func()) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for _, fn := range fns {
		wg.Go(func() { <-start; fn() })
	}
	close(start)
	wg.Wait()
}

// testCreateSessionDeadUser: a session (plain or audited) is only stored
// for a live user; the check is the store's so that it holds against a
// deactivation committed after the caller read the user.
func testCreateSessionDeadUser(t *testing.T, s torii.Store) {
	ctx := t.Context()
	off := newUser(t, s, "off@example.com")
	must[torii.User](t)(s.SetUserStatus(ctx, off.ID, torii.StatusInactive, at(time.Minute)))
	gone := newUser(t, s, "gone@example.com")
	deleteUser(t, s, gone.ID, at(time.Minute))
	sess := func(id string, userID int64) torii.Session {
		return torii.Session{ID: id, UserID: userID, CreatedAt: at(time.Hour), LastActivity: at(time.Hour), ExpiresAt: at(2 * time.Hour)}
	}
	audit := func(userID int64) torii.AuditEvent {
		return torii.AuditEvent{At: at(time.Hour), Event: torii.AuditSignInSuccess, UserID: &userID}
	}
	err := s.CreateSession(ctx, sess("off-plain", off.ID))
	is(t, err, torii.ErrUserInactive)
	hasCode(t, err, torii.EUserInactive)
	is(t, s.CreateSessionAudited(ctx, sess("off-audited", off.ID), audit(off.ID)), torii.ErrUserInactive)
	is(t, s.CreateSession(ctx, sess("gone-plain", gone.ID)), torii.ErrNotFound)
	is(t, s.CreateSessionAudited(ctx, sess("gone-audited", gone.ID), audit(gone.ID)), torii.ErrNotFound)
	for _, id := range []string{"off-plain", "off-audited", "gone-plain", "gone-audited"} {
		if _, err := s.SessionByID(ctx, id); !errors.Is(err, torii.ErrNotFound) {
			t.Errorf("session %s: %v, want ErrNotFound (never stored)", id, err)
		}
	}
	if n := len(must[[]torii.AuditEvent](t)(s.ListAudit(ctx, torii.AuditFilter{Event: torii.AuditSignInSuccess}))); n != 0 {
		t.Errorf("%d sign-in events written for refused sessions, want 0", n)
	}
}

// testCreateSessionRacingDeactivation: sign-ins racing a deactivation
// either fail with USER_INACTIVE or store a session that the deactivation
// revokes — never a live session of an inactive user, which would come
// back to life when the user is reactivated.
func testCreateSessionRacingDeactivation(t *testing.T, s torii.Store) {
	ctx := t.Context()
	const signIns = 6
	for r := range raceRounds {
		u := newUser(t, s, fmt.Sprintf("u%02d@example.com", r))
		errs := make([]error, signIns)
		fns := []func(){func() {
			if _, err := s.SetUserStatus(ctx, u.ID, torii.StatusInactive, at(time.Minute)); err != nil {
				t.Errorf("round %d deactivation: %v", r, err)
			}
		}}
		for i := range signIns {
			ss := torii.Session{ID: fmt.Sprintf("r%02d-%d", r, i), UserID: u.ID, CreatedAt: t0, LastActivity: t0, ExpiresAt: at(24 * time.Hour)}
			fns = append(fns, func() {
				if i%2 == 0 {
					errs[i] = s.CreateSession(ctx, ss)
				} else {
					errs[i] = s.CreateSessionAudited(ctx, ss, torii.AuditEvent{At: t0, Event: torii.AuditSignInSuccess, UserID: &u.ID})
				}
			})
		}
		together(fns...)
		for i, err := range errs {
			if err != nil && !errors.Is(err, torii.ErrUserInactive) {
				t.Errorf("round %d sign-in %d: %v, want nil or ErrUserInactive", r, i, err)
			}
		}
		if live := must[[]torii.Session](t)(s.ListUserSessions(ctx, u.ID, t0)); len(live) != 0 {
			t.Fatalf("round %d: sessions %v of a deactivated user are live", r, sessionIDs(live))
		}
	}
}

func testCreateRefreshTokenRevokedSession(t *testing.T, s torii.Store) {
	ctx := t.Context()
	f := newRefreshFixture(t, s, "ann@example.com")
	ok(t, s.RevokeSession(ctx, f.user.ID, f.s1.ID, at(time.Minute)))
	err := s.CreateRefreshToken(ctx, torii.RefreshToken{ID: "late", UserID: f.user.ID, SessionID: f.s1.ID, CreatedAt: at(time.Hour), ExpiresAt: at(2 * time.Hour)})
	is(t, err, torii.ErrNotFound)
	if _, err := s.RefreshTokenByID(ctx, "late"); !errors.Is(err, torii.ErrNotFound) {
		t.Errorf("token for a revoked session: %v, want ErrNotFound (never stored)", err)
	}
	newRefresh(t, s, f.s2, "other-session")
}

// testCreateRefreshTokenRacingRevocation: tokens minted while their session
// is being revoked are refused or revoked with it.
func testCreateRefreshTokenRacingRevocation(t *testing.T, s torii.Store) {
	ctx := t.Context()
	const mints = 6
	for r := range raceRounds {
		u := newUser(t, s, fmt.Sprintf("u%02d@example.com", r))
		ss := newSession(t, s, u.ID, fmt.Sprintf("s%02d", r), t0, 24*time.Hour)
		ids := make([]string, mints)
		errs := make([]error, mints)
		fns := []func(){func() {
			if err := s.RevokeSession(ctx, u.ID, ss.ID, at(time.Minute)); err != nil {
				t.Errorf("round %d revocation: %v", r, err)
			}
		}}
		for i := range mints {
			ids[i] = fmt.Sprintf("r%02d-%d", r, i)
			fns = append(fns, func() {
				errs[i] = s.CreateRefreshToken(ctx, torii.RefreshToken{ID: ids[i], UserID: u.ID, SessionID: ss.ID,
					CreatedAt: t0, ExpiresAt: at(time.Hour)})
			})
		}
		together(fns...)
		for i, err := range errs {
			if err != nil && !errors.Is(err, torii.ErrNotFound) {
				t.Errorf("round %d mint %d: %v, want nil or ErrNotFound", r, i, err)
			}
		}
		noLiveToken(t, s, r, ids)
	}
}

// testRotateRefreshTokenRacingRevocation: rotations racing the revocation
// of their session are refused, or their children are revoked with it.
func testRotateRefreshTokenRacingRevocation(t *testing.T, s torii.Store) {
	ctx := t.Context()
	const chains = 6
	for r := range raceRounds {
		u := newUser(t, s, fmt.Sprintf("u%02d@example.com", r))
		ss := newSession(t, s, u.ID, fmt.Sprintf("s%02d", r), t0, 24*time.Hour)
		var ids []string
		errs := make([]error, chains)
		fns := []func(){func() {
			if err := s.RevokeSession(ctx, u.ID, ss.ID, at(time.Minute)); err != nil {
				t.Errorf("round %d revocation: %v", r, err)
			}
		}}
		for i := range chains {
			parent, next := fmt.Sprintf("r%02d-%d", r, i), fmt.Sprintf("r%02d-%d-next", r, i)
			newRefresh(t, s, ss, parent)
			ids = append(ids, parent)
			fns = append(fns, func() {
				_, errs[i] = s.RotateRefreshToken(ctx, parent, child(next, at(time.Minute)), at(time.Minute))
			})
		}
		together(fns...)
		for i, err := range errs {
			switch {
			case err == nil:
				ids = append(ids, fmt.Sprintf("r%02d-%d-next", r, i))
			case !errors.Is(err, torii.ErrNotFound):
				t.Errorf("round %d rotation %d: %v, want nil or ErrNotFound", r, i, err)
			}
		}
		noLiveToken(t, s, r, ids)
	}
}

// noLiveToken fails the test if any stored token of ids is unrevoked.
func noLiveToken(t *testing.T, s torii.Store, round int, ids []string) {
	t.Helper()
	for _, id := range ids {
		rt, err := s.RefreshTokenByID(t.Context(), id)
		if errors.Is(err, torii.ErrNotFound) {
			continue
		}
		ok(t, err)
		if rt.RevokedAt == nil {
			t.Fatalf("round %d: refresh token %s of a revoked session is live", round, id)
		}
	}
}
