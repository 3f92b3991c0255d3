package storetest

import (
	"testing"
	"time"

	"github.com/toriihq/torii"
)

// proofTests are issue 12's store rules: the verified flag, the per-user
// token epoch, the session's authentication time, and the complete
// pre-account-takeover reset of security.md D.22.
var proofTests = []test{
	{"EmailVerified_StoredAndUpdated", testEmailVerifiedRoundTrip},
	{"TokenEpoch_RoundTripAndMovedByUpdateUser", testTokenEpoch},
	{"TokenEpoch_DeactivationNeverMovesItBack", testTokenEpochForward},
	{"TokenEpoch_UpdateUserDeactivationMovesIt", testUpdateUserDeactivationEpoch},
	{"ReauthSession_MovesAuthAtForwardOnLiveSessions", testReauthSession},
	{"LinkIdentity_ResetDeletesEarlierIdentitiesAndSetsTokenEpoch", testResetComplete},
	{"LinkIdentity_FailedResetWritesNothing", testResetAtomic},
	{"UserByEmail_ComparesTheNormalisedFormExactly", testEmailExact},
}

func testEmailVerifiedRoundTrip(t *testing.T, s torii.Store) {
	ctx := t.Context()
	v := must[torii.User](t)(s.CreateUser(ctx, torii.User{Email: "v@example.com", EmailVerified: true, CreatedAt: t0}))
	n := newUser(t, s, "n@example.com")
	if !must[torii.User](t)(s.UserByID(ctx, v.ID)).EmailVerified {
		t.Error("created verified, read unverified")
	}
	if must[torii.User](t)(s.UserByEmail(ctx, "n@example.com")).EmailVerified {
		t.Error("created unverified, read verified")
	}
	got := must[torii.User](t)(s.UpdateUser(ctx, n.ID, func(u *torii.User) error { u.EmailVerified = true; return nil }))
	same(t, "after UpdateUser", got, must[torii.User](t)(s.UserByID(ctx, n.ID)))
	if !got.EmailVerified {
		t.Error("UpdateUser did not store EmailVerified")
	}
}

func testTokenEpoch(t *testing.T, s torii.Store) {
	ctx := t.Context()
	u := newUser(t, s, "ann@example.com")
	if u.TokensValidAfter != nil {
		t.Fatalf("new user's epoch = %v, want nil", u.TokensValidAfter)
	}
	epoch := at(time.Hour)
	got := must[torii.User](t)(s.UpdateUser(ctx, u.ID, func(x *torii.User) error { x.TokensValidAfter = &epoch; return nil }))
	same(t, "returned epoch", got.TokensValidAfter, &epoch)
	same(t, "read by id", must[torii.User](t)(s.UserByID(ctx, u.ID)).TokensValidAfter, &epoch)
	same(t, "read by email", must[torii.User](t)(s.UserByEmail(ctx, u.Email)).TokensValidAfter, &epoch)
	id := newIdentity(t, s, u.ID, google, "sub-ann", t0)
	byIdentity, _, err := s.UserByIdentity(ctx, google, id.Subject)
	ok(t, err)
	same(t, "read by identity", byIdentity.TokensValidAfter, &epoch)
}

func testTokenEpochForward(t *testing.T, s torii.Store) {
	ctx := t.Context()
	u := newUser(t, s, "ann@example.com")
	later := at(2 * time.Hour)
	must[torii.User](t)(s.UpdateUser(ctx, u.ID, func(x *torii.User) error { x.TokensValidAfter = &later; return nil }))
	got := must[torii.User](t)(s.SetUserStatus(ctx, u.ID, torii.StatusInactive, at(time.Hour)))
	same(t, "epoch after an earlier deactivation", got.TokensValidAfter, &later)
	same(t, "stored epoch", must[torii.User](t)(s.UserByID(ctx, u.ID)).TokensValidAfter, &later)
	// Activating again leaves the epoch alone.
	got = must[torii.User](t)(s.SetUserStatus(ctx, u.ID, torii.StatusActive, at(3*time.Hour)))
	same(t, "epoch after activation", got.TokensValidAfter, &later)
}

func testReauthSession(t *testing.T, s torii.Store) {
	ctx := t.Context()
	u := newUser(t, s, "ann@example.com")
	ss := newSession(t, s, u.ID, "s1", t0, 24*time.Hour)
	if got := session(t, s, ss.ID); !got.AuthenticatedAt().Equal(t0) {
		t.Fatalf("new session authenticated at %v, want its creation %v", got.AuthenticatedAt(), t0)
	}
	ok(t, s.ReauthSession(ctx, ss.ID, at(time.Hour)))
	same(t, "AuthAt", session(t, s, ss.ID).AuthAt, at(time.Hour))
	// Never backwards.
	ok(t, s.ReauthSession(ctx, ss.ID, at(time.Minute)))
	same(t, "AuthAt after an older re-auth", session(t, s, ss.ID).AuthAt, at(time.Hour))
	// Not on a revoked or unknown session.
	ok(t, s.RevokeSession(ctx, u.ID, ss.ID, at(2*time.Hour)))
	is(t, s.ReauthSession(ctx, ss.ID, at(3*time.Hour)), torii.ErrNotFound)
	same(t, "AuthAt of a revoked session", session(t, s, ss.ID).AuthAt, at(time.Hour))
	is(t, s.ReauthSession(ctx, "nope", at(3*time.Hour)), torii.ErrNotFound)
}

// testResetComplete: a squatter registered ann's address with a password,
// linked their own identity and opened sessions with refresh tokens; ann's
// verified sign-in links her identity: everything the squatter held dies
// in that transaction, and another user's rows are untouched.
func testResetComplete(t *testing.T, s torii.Store) {
	ctx := t.Context()
	u := passwordUser(t, s, "ann@example.com", false)
	squat := newIdentity(t, s, u.ID, google, "sub-squatter", t0)
	ok(t, s.CreateRefreshToken(ctx, torii.RefreshToken{ID: "rt-squat", UserID: u.ID, SessionID: "ann@example.com-s1",
		Audience: "https://torii.example", CreatedAt: t0, ExpiresAt: at(24 * time.Hour)}))
	other := passwordUser(t, s, "bob@example.com", false)
	bobID := newIdentity(t, s, other.ID, google, "sub-bob", t0)

	reset := at(time.Hour)
	res, err := s.LinkIdentity(ctx, torii.IdentityLink{
		Identity:    torii.Identity{UserID: u.ID, Issuer: google, Subject: "sub-ann", Email: "ann@example.com"},
		VerifyEmail: true, ResetUnverified: true, At: reset})
	ok(t, err)
	if !res.Reset || !res.PasswordCleared || res.SessionsRevoked != 2 {
		t.Fatalf("result: reset %v, password cleared %v, sessions revoked %d; want true, true, 2",
			res.Reset, res.PasswordCleared, res.SessionsRevoked)
	}
	same(t, "identities removed", res.IdentitiesRemoved, []torii.Identity{squat})
	read := must[torii.User](t)(s.UserByID(ctx, u.ID))
	same(t, "token epoch", read.TokensValidAfter, &reset)
	if read.HasPassword() || !read.EmailVerified {
		t.Fatalf("after reset: password kept %v, verified %v", read.HasPassword(), read.EmailVerified)
	}
	same(t, "returned user", res.User, read)
	ids := must[[]torii.Identity](t)(s.IdentitiesByUser(ctx, u.ID))
	same(t, "identities after reset", ids, []torii.Identity{res.Identity})
	_, err = s.IdentityBySubject(ctx, google, "sub-squatter")
	is(t, err, torii.ErrNotFound)
	rt := must[torii.RefreshToken](t)(s.RefreshTokenByID(ctx, "rt-squat"))
	if rt.RevokedAt == nil {
		t.Error("the squatter's refresh token survived the reset")
	}
	// Bob is untouched.
	same(t, "bob's identity", must[torii.Identity](t)(s.IdentityBySubject(ctx, google, "sub-bob")), bobID)
	same(t, "bob", must[torii.User](t)(s.UserByID(ctx, other.ID)), other)
	if n := liveSessions(t, s, other.ID); n != 2 {
		t.Fatalf("bob's sessions touched: %d live", n)
	}
}

// testResetAtomic: when the link fails (the identity belongs to someone
// else), the reset it would have done is not half-written.
func testResetAtomic(t *testing.T, s torii.Store) {
	ctx := t.Context()
	owner := newUser(t, s, "owner@example.com")
	newIdentity(t, s, owner.ID, google, "taken", t0)
	u := passwordUser(t, s, "ann@example.com", false)
	squat := newIdentity(t, s, u.ID, google, "sub-squatter", t0)
	_, err := s.LinkIdentity(ctx, torii.IdentityLink{
		Identity:    torii.Identity{UserID: u.ID, Issuer: google, Subject: "taken"},
		VerifyEmail: true, ResetUnverified: true, At: at(time.Hour)})
	is(t, err, torii.ErrConflict)
	same(t, "user after failed link", must[torii.User](t)(s.UserByID(ctx, u.ID)), u)
	same(t, "identities after failed link", must[[]torii.Identity](t)(s.IdentitiesByUser(ctx, u.ID)), []torii.Identity{squat})
	if n := liveSessions(t, s, u.ID); n != 2 {
		t.Fatalf("%d live sessions after a failed link, want 2", n)
	}
}

// testEmailExact: lookups compare the normalised form exactly, never a
// Unicode case folding (PostgreSQL's lower() maps U+212A KELVIN SIGN to
// "k"): "\u212Aim@example.com" does not find kim@example.com.
func testEmailExact(t *testing.T, s torii.Store) {
	ctx := t.Context()
	// A name unlike the address: names are matched case-insensitively
	// in Unicode (lower() on each backend), emails are not.
	kim := must[torii.User](t)(s.CreateUser(ctx, torii.User{Email: "kim@example.com", Name: "Someone", CreatedAt: t0}))
	same(t, "ASCII case-insensitive", must[torii.User](t)(s.UserByEmail(ctx, " KIM@Example.COM ")).ID, kim.ID)
	_, err := s.UserByEmail(ctx, "\u212Aim@example.com")
	is(t, err, torii.ErrNotFound)
	list := must[[]torii.User](t)(s.ListUsers(ctx, torii.UserFilter{Query: "\u212Aim"}))
	if len(list) != 0 {
		t.Errorf("admin list filter %q matched %d users, want none", "\u212Aim", len(list))
	}
	list = must[[]torii.User](t)(s.ListUsers(ctx, torii.UserFilter{Query: "KIM@"}))
	if len(list) != 1 {
		t.Errorf("admin list filter KIM@ matched %d users, want 1", len(list))
	}
}

// testUpdateUserDeactivationEpoch: deactivating through UpdateUser moves
// the token epoch as SetUserStatus does.
func testUpdateUserDeactivationEpoch(t *testing.T, s torii.Store) {
	u := newUser(t, s, "ann@example.com")
	off := at(time.Hour)
	got := must[torii.User](t)(s.UpdateUser(t.Context(), u.ID, func(x *torii.User) error {
		x.Status, x.UpdatedAt = torii.StatusInactive, off
		return nil
	}))
	same(t, "returned epoch", got.TokensValidAfter, &off)
	same(t, "stored epoch", must[torii.User](t)(s.UserByID(t.Context(), u.ID)).TokensValidAfter, &off)
}
