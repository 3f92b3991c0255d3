package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/toriihq/torii"
)

var googleTests = []test{
	{"OAuthState_RoundTripThenSingleUse", testOAuthStateSingleUse},
	{"OAuthState_BoundToTheBrowserThatStartedIt", testOAuthStateBinding},
	{"OAuthState_ExpiresAtItsTime", testOAuthStateExpiry},
	{"OAuthState_ConcurrentConsumesSucceedOnce", testOAuthStateConcurrent},
	{"OAuthState_LinkUserMustExist", testOAuthStateLinkUser},
	{"DeleteExpiredOAuthStates_OnlyExpired", testDeleteExpiredOAuthStates},
	{"CreateUserWithIdentity_AllOrNothing", testCreateUserWithIdentity},
	{"UserByIdentity_OneReadEvenForDeletedUsers", testUserByIdentity},
	{"MixedConcurrentWrites_AllComplete", testMixedConcurrentWrites},
	{"LinkIdentity_VerifiedEmailKeepsPasswordAndSessions", testLinkVerified},
	{"LinkIdentity_UnverifiedEmailLosesPasswordAndSessionsAtomically", testLinkUnverifiedReset},
	{"LinkIdentity_VerifyEmailWithoutReset", testLinkVerifyOnly},
	{"LinkIdentity_TakenIdentityChangesNothing", testLinkConflict},
}

func oauthState(id, binding string, created time.Time, ttl time.Duration) torii.OAuthState {
	return torii.OAuthState{ID: id, Binding: binding, Nonce: "nonce-" + id, Verifier: "verifier-" + id,
		Next: "/rooms/1?x=y", CreatedAt: created, ExpiresAt: created.Add(ttl)}
}

func testOAuthStateSingleUse(t *testing.T, s torii.Store) {
	ctx := t.Context()
	st := oauthState("state-1", "browser-1", t0, 10*time.Minute)
	ok(t, s.CreateOAuthState(ctx, st))
	is(t, s.CreateOAuthState(ctx, st), torii.ErrConflict)
	got, err := s.ConsumeOAuthState(ctx, "state-1", "browser-1", at(time.Minute))
	ok(t, err)
	same(t, "consumed state", got, st)
	_, err = s.ConsumeOAuthState(ctx, "state-1", "browser-1", at(time.Minute))
	is(t, err, torii.ErrNotFound)
	_, err = s.ConsumeOAuthState(ctx, "unknown", "browser-1", at(time.Minute))
	is(t, err, torii.ErrNotFound)
}

func testOAuthStateBinding(t *testing.T, s torii.Store) {
	ctx := t.Context()
	st := oauthState("state-1", "browser-1", t0, 10*time.Minute)
	ok(t, s.CreateOAuthState(ctx, st))
	for _, b := range []string{"browser-2", "", "BROWSER-1"} {
		_, err := s.ConsumeOAuthState(ctx, "state-1", b, at(time.Minute))
		is(t, err, torii.ErrNotFound)
	}
	// A wrong binding does not spend the state of the right browser.
	got, err := s.ConsumeOAuthState(ctx, "state-1", "browser-1", at(time.Minute))
	ok(t, err)
	same(t, "state", got, st)
}

func testOAuthStateExpiry(t *testing.T, s torii.Store) {
	ctx := t.Context()
	ok(t, s.CreateOAuthState(ctx, oauthState("a", "b", t0, 10*time.Minute)))
	ok(t, s.CreateOAuthState(ctx, oauthState("c", "b", t0, 10*time.Minute)))
	_, err := s.ConsumeOAuthState(ctx, "a", "b", at(10*time.Minute))
	is(t, err, torii.ErrNotFound)
	_, err = s.ConsumeOAuthState(ctx, "c", "b", at(10*time.Minute-time.Microsecond))
	ok(t, err)
}

func testOAuthStateConcurrent(t *testing.T, s torii.Store) {
	ctx := t.Context()
	ok(t, s.CreateOAuthState(ctx, oauthState("race", "b", t0, time.Hour)))
	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			_, err := s.ConsumeOAuthState(ctx, "race", "b", at(time.Minute))
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	won := 0
	for err := range errs {
		switch {
		case err == nil:
			won++
		case torii.ErrorCode(err) != torii.ENotFound:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d consumers got the state, want exactly 1", won)
	}
}

func testOAuthStateLinkUser(t *testing.T, s torii.Store) {
	ctx := t.Context()
	u := newUser(t, s, "ann@example.com")
	st := oauthState("link", "b", t0, time.Hour)
	st.LinkUserID = &u.ID
	ok(t, s.CreateOAuthState(ctx, st))
	same(t, "link state", must[torii.OAuthState](t)(s.ConsumeOAuthState(ctx, "link", "b", t0)), st)

	bad := oauthState("bad", "b", t0, time.Hour)
	bad.LinkUserID = ptr(int64(1 << 40))
	is(t, s.CreateOAuthState(ctx, bad), torii.ErrNotFound)
}

func testDeleteExpiredOAuthStates(t *testing.T, s torii.Store) {
	ctx := t.Context()
	ok(t, s.CreateOAuthState(ctx, oauthState("old", "b", t0, time.Minute)))
	ok(t, s.CreateOAuthState(ctx, oauthState("new", "b", t0, time.Hour)))
	n, err := s.DeleteExpiredOAuthStates(ctx, at(30*time.Minute))
	ok(t, err)
	if n != 1 {
		t.Fatalf("deleted %d, want 1", n)
	}
	// Deleted is gone even for a consumer whose clock is behind.
	_, err = s.ConsumeOAuthState(ctx, "old", "b", t0)
	is(t, err, torii.ErrNotFound)
	ok(t, func() error { _, err := s.ConsumeOAuthState(ctx, "new", "b", at(30*time.Minute)); return err }())
}

func testCreateUserWithIdentity(t *testing.T, s torii.Store) {
	ctx := t.Context()
	u, id, err := s.CreateUserWithIdentity(ctx,
		torii.User{Email: "Ann@Example.com", EmailVerified: true, Name: "Ann", CreatedAt: t0},
		torii.Identity{Issuer: google, Subject: "sub-ann", Email: "Ann@Example.com"})
	ok(t, err)
	if u.ID == 0 || id.UserID != u.ID || u.Email != "ann@example.com" || !id.CreatedAt.Equal(t0) {
		t.Fatalf("created %+v with %+v", u, id)
	}
	same(t, "identity", must[torii.Identity](t)(s.IdentityBySubject(ctx, google, "sub-ann")), id)
	same(t, "user", must[torii.User](t)(s.UserByID(ctx, u.ID)), u)

	// Email taken: the identity is not created either.
	_, _, err = s.CreateUserWithIdentity(ctx, torii.User{Email: "ANN@example.com", Name: "Other", CreatedAt: t0},
		torii.Identity{Issuer: google, Subject: "sub-other"})
	is(t, err, torii.ErrConflict)
	_, err = s.IdentityBySubject(ctx, google, "sub-other")
	is(t, err, torii.ErrNotFound)

	// Identity taken: the user is not created either.
	_, _, err = s.CreateUserWithIdentity(ctx, torii.User{Email: "bob@example.com", Name: "Bob", CreatedAt: t0},
		torii.Identity{Issuer: google, Subject: "sub-ann"})
	is(t, err, torii.ErrConflict)
	_, err = s.UserByEmail(ctx, "bob@example.com")
	is(t, err, torii.ErrNotFound)
}

// passwordUser creates a user with a password hash and two live sessions.
func passwordUser(t *testing.T, s torii.Store, email string, verified bool) torii.User {
	t.Helper()
	u, err := s.CreateUser(t.Context(), torii.User{Email: email, EmailVerified: verified, Name: email,
		PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA", CreatedAt: t0})
	ok(t, err)
	newSession(t, s, u.ID, email+"-s1", t0, 24*time.Hour)
	newSession(t, s, u.ID, email+"-s2", t0, 24*time.Hour)
	return u
}

func liveSessions(t *testing.T, s torii.Store, userID int64) int {
	t.Helper()
	return len(must[[]torii.Session](t)(s.ListUserSessions(t.Context(), userID, at(time.Hour))))
}

func testLinkVerified(t *testing.T, s torii.Store) {
	ctx := t.Context()
	u := passwordUser(t, s, "ann@example.com", true)
	res, err := s.LinkIdentity(ctx, torii.IdentityLink{
		Identity:    torii.Identity{UserID: u.ID, Issuer: google, Subject: "sub-ann", Email: "ann@example.com"},
		VerifyEmail: true, ResetUnverified: true, At: at(time.Hour)})
	ok(t, err)
	if res.Reset || res.User.PasswordHash != u.PasswordHash || !res.User.EmailVerified {
		t.Fatalf("result %+v", res)
	}
	same(t, "stored user", must[torii.User](t)(s.UserByID(ctx, u.ID)), u)
	same(t, "identity", must[torii.Identity](t)(s.IdentityBySubject(ctx, google, "sub-ann")), res.Identity)
	if n := liveSessions(t, s, u.ID); n != 2 {
		t.Fatalf("%d live sessions, want 2", n)
	}
}

func testLinkUnverifiedReset(t *testing.T, s torii.Store) {
	ctx := t.Context()
	u := passwordUser(t, s, "ann@example.com", false)
	other := passwordUser(t, s, "bob@example.com", false)
	res, err := s.LinkIdentity(ctx, torii.IdentityLink{
		Identity:    torii.Identity{UserID: u.ID, Issuer: google, Subject: "sub-ann"},
		VerifyEmail: true, ResetUnverified: true, At: at(time.Hour)})
	ok(t, err)
	if !res.Reset {
		t.Fatal("Reset = false, want true")
	}
	read := must[torii.User](t)(s.UserByID(ctx, u.ID))
	if read.HasPassword() || !read.EmailVerified || !read.UpdatedAt.Equal(at(time.Hour)) {
		t.Fatalf("after link: %+v", read)
	}
	same(t, "returned user", res.User, read)
	for _, id := range []string{"ann@example.com-s1", "ann@example.com-s2"} {
		if got := session(t, s, id); got.RevokedAt == nil || !got.RevokedAt.Equal(at(time.Hour)) {
			t.Errorf("session %s revoked at %v, want %v", id, got.RevokedAt, at(time.Hour))
		}
	}
	if n := liveSessions(t, s, other.ID); n != 2 {
		t.Fatalf("another user's sessions were touched: %d live", n)
	}
}

func testLinkVerifyOnly(t *testing.T, s torii.Store) {
	ctx := t.Context()
	u := passwordUser(t, s, "ann@example.com", false)
	res, err := s.LinkIdentity(ctx, torii.IdentityLink{
		Identity: torii.Identity{UserID: u.ID, Issuer: google, Subject: "sub-ann"}, VerifyEmail: true, At: at(time.Hour)})
	ok(t, err)
	read := must[torii.User](t)(s.UserByID(ctx, u.ID))
	if res.Reset || !read.EmailVerified || read.PasswordHash != u.PasswordHash {
		t.Fatalf("after link: %+v (reset %v)", read, res.Reset)
	}
	if n := liveSessions(t, s, u.ID); n != 2 {
		t.Fatalf("%d live sessions, want 2", n)
	}

	// Neither flag: only the identity is added.
	plain := passwordUser(t, s, "carol@example.com", false)
	_, err = s.LinkIdentity(ctx, torii.IdentityLink{Identity: torii.Identity{UserID: plain.ID, Issuer: google, Subject: "sub-carol"}, At: at(time.Hour)})
	ok(t, err)
	same(t, "untouched user", must[torii.User](t)(s.UserByID(ctx, plain.ID)), plain)
}

func testLinkConflict(t *testing.T, s torii.Store) {
	ctx := t.Context()
	owner := newUser(t, s, "owner@example.com")
	newIdentity(t, s, owner.ID, google, "taken", t0)
	u := passwordUser(t, s, "ann@example.com", false)
	_, err := s.LinkIdentity(ctx, torii.IdentityLink{
		Identity:    torii.Identity{UserID: u.ID, Issuer: google, Subject: "taken"},
		VerifyEmail: true, ResetUnverified: true, At: at(time.Hour)})
	is(t, err, torii.ErrConflict)
	same(t, "user after failed link", must[torii.User](t)(s.UserByID(ctx, u.ID)), u)
	if n := liveSessions(t, s, u.ID); n != 2 {
		t.Fatalf("%d live sessions after a failed link, want 2", n)
	}
	_, err = s.LinkIdentity(ctx, torii.IdentityLink{Identity: torii.Identity{UserID: 1 << 40, Issuer: google, Subject: "x"}, At: t0})
	is(t, err, torii.ErrNotFound)
}

func testUserByIdentity(t *testing.T, s torii.Store) {
	ctx := t.Context()
	u := passwordUser(t, s, "ann@example.com", true)
	id := newIdentity(t, s, u.ID, google, "sub-ann", t0)
	gotU, gotID, err := s.UserByIdentity(ctx, google, "sub-ann")
	ok(t, err)
	same(t, "user", gotU, u)
	same(t, "identity", gotID, id)
	_, _, err = s.UserByIdentity(ctx, google, "sub-other")
	is(t, err, torii.ErrNotFound)
	_, _, err = s.UserByIdentity(ctx, "https://login.example.org", "sub-ann")
	is(t, err, torii.ErrNotFound)

	deleteUser(t, s, u.ID, at(time.Hour))
	gotU, _, err = s.UserByIdentity(ctx, google, "sub-ann")
	ok(t, err)
	if gotU.DeletedAt == nil || !gotU.DeletedAt.Equal(at(time.Hour)) {
		t.Fatalf("deleted user read back with DeletedAt %v", gotU.DeletedAt)
	}
}

// testMixedConcurrentWrites runs the sign-in writes (batched on SQLite),
// transactions and plain writes and reads at once on a fresh store, whose
// statements are not prepared yet: all of them must complete.
func testMixedConcurrentWrites(t *testing.T, s torii.Store) {
	ctx := t.Context()
	u := newUser(t, s, "ann@example.com")
	const workers, rounds = 6, 25
	done := make(chan error, workers*rounds*4)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range rounds {
				id := label(fmt.Sprintf("w%d-", w), i)
				done <- s.CreateSessionAudited(ctx, torii.Session{ID: id, UserID: u.ID, CreatedAt: t0, LastActivity: t0, ExpiresAt: at(time.Hour)},
					torii.AuditEvent{At: t0, Event: torii.AuditSignInSuccess, UserID: &u.ID})
				_, err := s.UpdateUser(ctx, u.ID, func(x *torii.User) error { x.Name = id; return nil })
				done <- err
				done <- s.CreateSession(ctx, torii.Session{ID: "plain-" + id, UserID: u.ID, CreatedAt: t0, LastActivity: t0, ExpiresAt: at(time.Hour)})
				_, err = s.SessionByID(ctx, id)
				done <- err
			}
		})
	}
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-time.After(time.Minute):
		t.Fatal("concurrent writes did not complete within a minute: a deadlock")
	}
	close(done)
	for err := range done {
		ok(t, err)
	}
	if n := len(must[[]torii.Session](t)(s.ListUserSessions(ctx, u.ID, t0))); n < 50 {
		t.Fatalf("%d sessions listed (the list is capped), want at least 50", n)
	}
}
