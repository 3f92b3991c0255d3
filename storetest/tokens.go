package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/toriihq/torii"
)

var tokenTests = []test{
	{"SigningKeys_EmptyAtFirst", testSigningKeysEmpty},
	{"UpdateSigningKeys_InsertsRetiresDeletesNewestFirst", testUpdateSigningKeys},
	{"UpdateSigningKeys_ConcurrentRotationAddsExactlyOneKey", testUpdateSigningKeysRace},
	{"UpdateSigningKeys_ErrorWritesNothing", testUpdateSigningKeysError},
	{"UpdateSigningKeys_InvalidKeyWritesNothing", testUpdateSigningKeysInvalid},
	{"CreateRefreshToken_RoundTripStartsAChain", testCreateRefreshToken},
	{"CreateRefreshToken_UnknownSessionOrDuplicate", testCreateRefreshTokenErrors},
	{"RotateRefreshToken_SpendsAndChains", testRotateRefreshToken},
	{"RotateRefreshToken_ReuseRevokesTheWholeChain", testRotateRefreshTokenReuse},
	{"RotateRefreshToken_ConcurrentRotationsHaveOneWinner", testRotateRefreshTokenRace},
	{"RotateRefreshToken_RevokedOrExpiredIsNotFound", testRotateRefreshTokenUnusable},
	{"RevokeRefreshChain_OnlyThatChain", testRevokeRefreshChain},
	{"RevokeSession_RevokesItsRefreshTokens", testRevokeSessionRevokesRefresh},
	{"RevokeUserSessions_RevokesRefreshTokensButTheExceptedSession", testRevokeUserSessionsRevokesRefresh},
	{"SetUserStatus_InactiveRevokesRefreshTokens", testSetUserStatusRevokesRefresh},
	{"UpdateUser_DeactivationOrDeletionRevokesRefreshTokens", testUpdateUserRevokesRefresh},
	{"DeleteExpiredSessions_DeletesTheirRefreshTokens", testDeleteExpiredSessionsCascades},
}

// signingKey returns a key whose fields are all distinct and recognisable.
func signingKey(id string, created time.Time) torii.SigningKey {
	return torii.SigningKey{
		ID: id, Algorithm: "RS256",
		PrivateKey: torii.PrivateKey("private-" + id + "\x00\xff"),
		PublicJWK:  []byte(`{"kty":"RSA","kid":"` + id + `"}`),
		CreatedAt:  created, NotAfter: created.Add(25 * time.Hour),
	}
}

func keyIDs(keys []torii.SigningKey) []string {
	return ids(keys, func(x torii.SigningKey) string { return x.ID })
}

func storedKeys(t *testing.T, s torii.Store) []torii.SigningKey {
	t.Helper()
	return must[[]torii.SigningKey](t)(s.SigningKeys(t.Context()))
}

func testSigningKeysEmpty(t *testing.T, s torii.Store) {
	if keys := storedKeys(t, s); len(keys) != 0 {
		t.Fatalf("keys = %v, want none", keys)
	}
}

func testUpdateSigningKeys(t *testing.T, s torii.Store) {
	ctx := t.Context()
	k1, k2 := signingKey("k1", t0), signingKey("k2", at(24*time.Hour))
	got := must[[]torii.SigningKey](t)(s.UpdateSigningKeys(ctx, func(keys []torii.SigningKey) ([]torii.SigningKey, error) {
		same(t, "keys seen by the first update", keys, []torii.SigningKey{})
		return []torii.SigningKey{k1, k2}, nil
	}))
	want := []torii.SigningKey{k2, k1}
	same(t, "returned keys, newest first", got, want)
	same(t, "stored keys, newest first", storedKeys(t, s), want)

	// Retire k1 early (a new NotAfter) and add k3; then delete k1.
	k3 := signingKey("k3", at(48*time.Hour))
	retired := k1
	retired.NotAfter = at(30 * time.Minute)
	must[[]torii.SigningKey](t)(s.UpdateSigningKeys(ctx, func(keys []torii.SigningKey) ([]torii.SigningKey, error) {
		same(t, "keys seen by the second update", keys, want)
		keys[1].NotAfter = retired.NotAfter
		keys[0].PrivateKey = torii.PrivateKey("ignored: a stored key is immutable")
		return append(keys, k3), nil
	}))
	same(t, "after retiring k1 and adding k3", storedKeys(t, s), []torii.SigningKey{k3, k2, retired})

	must[[]torii.SigningKey](t)(s.UpdateSigningKeys(ctx, func(keys []torii.SigningKey) ([]torii.SigningKey, error) {
		return keys[:2], nil
	}))
	same(t, "after deleting k1", storedKeys(t, s), []torii.SigningKey{k3, k2})

	// An update that returns the keys unchanged writes nothing.
	must[[]torii.SigningKey](t)(s.UpdateSigningKeys(ctx, func(keys []torii.SigningKey) ([]torii.SigningKey, error) { return keys, nil }))
	same(t, "after a no-op update", storedKeys(t, s), []torii.SigningKey{k3, k2})
}

// Several instances start at once on an empty database, or decide at once
// that the key is due for rotation: each runs the same decision inside
// UpdateSigningKeys, and exactly one key is added each time.
func testUpdateSigningKeysRace(t *testing.T, s torii.Store) {
	const n = 8
	race := func(round int, now time.Time) {
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Go(func() {
				_, err := s.UpdateSigningKeys(t.Context(), func(keys []torii.SigningKey) ([]torii.SigningKey, error) {
					if len(keys) > 0 && !keys[0].CreatedAt.Before(now) {
						return keys, nil // someone else rotated already
					}
					return append(keys, signingKey(fmt.Sprintf("r%d-g%d", round, i), now)), nil
				})
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			ok(t, err)
		}
	}
	race(1, t0)
	if keys := storedKeys(t, s); len(keys) != 1 {
		t.Fatalf("first start: %d keys %v, want exactly 1", len(keys), keyIDs(keys))
	}
	race(2, at(24*time.Hour))
	keys := storedKeys(t, s)
	if len(keys) != 2 || !keys[0].CreatedAt.Equal(at(24*time.Hour)) {
		t.Fatalf("rotation: keys %v, want exactly one new key on top of the first", keyIDs(keys))
	}
}

func testUpdateSigningKeysError(t *testing.T, s torii.Store) {
	ctx := t.Context()
	must[[]torii.SigningKey](t)(s.UpdateSigningKeys(ctx, func([]torii.SigningKey) ([]torii.SigningKey, error) {
		return []torii.SigningKey{signingKey("k1", t0)}, nil
	}))
	boom := errors.New("boom")
	_, err := s.UpdateSigningKeys(ctx, func(keys []torii.SigningKey) ([]torii.SigningKey, error) {
		return []torii.SigningKey{signingKey("k2", at(time.Hour))}, boom
	})
	is(t, err, boom)
	same(t, "keys after a failed update", keyIDs(storedKeys(t, s)), []string{"k1"})
}

func testUpdateSigningKeysInvalid(t *testing.T, s torii.Store) {
	ctx := t.Context()
	must[[]torii.SigningKey](t)(s.UpdateSigningKeys(ctx, func([]torii.SigningKey) ([]torii.SigningKey, error) {
		return []torii.SigningKey{signingKey("k1", t0)}, nil
	}))
	for name, bad := range map[string][]torii.SigningKey{
		"no id":       {signingKey("", at(time.Hour))},
		"no private":  {{ID: "k2", Algorithm: "RS256", PublicJWK: []byte("{}"), CreatedAt: t0, NotAfter: t0}},
		"repeated id": {signingKey("k2", at(time.Hour)), signingKey("k2", at(2*time.Hour))},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := s.UpdateSigningKeys(ctx, func(keys []torii.SigningKey) ([]torii.SigningKey, error) {
				return append(bad, keys...), nil
			})
			hasCode(t, err, torii.EValidation)
			same(t, "keys", keyIDs(storedKeys(t, s)), []string{"k1"})
		})
	}
}

// refreshFixture is a user with two live sessions.
type refreshFixture struct {
	user   torii.User
	s1, s2 torii.Session
}

func newRefreshFixture(t *testing.T, s torii.Store, email string) refreshFixture {
	u := newUser(t, s, email)
	return refreshFixture{
		user: u,
		s1:   newSession(t, s, u.ID, email+"-s1", t0, 24*time.Hour),
		s2:   newSession(t, s, u.ID, email+"-s2", t0, 24*time.Hour),
	}
}

// newRefresh stores the first token of a chain for a session.
func newRefresh(t *testing.T, s torii.Store, ss torii.Session, id string) torii.RefreshToken {
	t.Helper()
	rt := torii.RefreshToken{ID: id, UserID: ss.UserID, SessionID: ss.ID, Audience: "https://torii.example.com",
		CreatedAt: t0, ExpiresAt: ss.ExpiresAt}
	ok(t, s.CreateRefreshToken(t.Context(), rt))
	rt.ChainID = id
	return rt
}

func refreshToken(t *testing.T, s torii.Store, id string) torii.RefreshToken {
	t.Helper()
	return must[torii.RefreshToken](t)(s.RefreshTokenByID(t.Context(), id))
}

// child is the token a rotation at `when` stores.
func child(id string, when time.Time) torii.RefreshToken {
	return torii.RefreshToken{ID: id, CreatedAt: when, ExpiresAt: when.Add(time.Hour)}
}

// revokedAt returns when each token was revoked (nil: not revoked).
func revokedAt(t *testing.T, s torii.Store, ids ...string) map[string]*time.Time {
	t.Helper()
	out := map[string]*time.Time{}
	for _, id := range ids {
		out[id] = refreshToken(t, s, id).RevokedAt
	}
	return out
}

func testCreateRefreshToken(t *testing.T, s torii.Store) {
	f := newRefreshFixture(t, s, "ann@example.com")
	rt := newRefresh(t, s, f.s1, "a1")
	same(t, "stored token", refreshToken(t, s, "a1"), rt)

	full := torii.RefreshToken{ID: "a2", UserID: f.user.ID, SessionID: f.s2.ID, ChainID: "c", ParentID: "p",
		Audience: "api://x", CreatedAt: t0, ExpiresAt: at(time.Hour), SpentAt: ptr(at(time.Minute)), RevokedAt: ptr(at(2 * time.Minute))}
	ok(t, s.CreateRefreshToken(t.Context(), full))
	same(t, "token with every field", refreshToken(t, s, "a2"), full)

	_, err := s.RefreshTokenByID(t.Context(), "missing")
	is(t, err, torii.ErrNotFound)
}

func testCreateRefreshTokenErrors(t *testing.T, s torii.Store) {
	f := newRefreshFixture(t, s, "ann@example.com")
	newRefresh(t, s, f.s1, "a1")
	err := s.CreateRefreshToken(t.Context(), torii.RefreshToken{ID: "a1", UserID: f.user.ID, SessionID: f.s2.ID, CreatedAt: t0, ExpiresAt: at(time.Hour)})
	is(t, err, torii.ErrConflict)
	err = s.CreateRefreshToken(t.Context(), torii.RefreshToken{ID: "a2", UserID: f.user.ID, SessionID: "no-such-session", CreatedAt: t0, ExpiresAt: at(time.Hour)})
	is(t, err, torii.ErrNotFound)
	same(t, "first token's session", refreshToken(t, s, "a1").SessionID, f.s1.ID)
}

func testRotateRefreshToken(t *testing.T, s torii.Store) {
	ctx := t.Context()
	f := newRefreshFixture(t, s, "ann@example.com")
	a1 := newRefresh(t, s, f.s1, "a1")
	when := at(10 * time.Minute)
	// The caller's UserID, SessionID, ChainID, ParentID and Audience are
	// replaced by the spent token's: a chain cannot be moved.
	next := child("a2", when)
	next.UserID, next.SessionID, next.ChainID, next.ParentID, next.Audience = 999, f.s2.ID, "other", "other", "other"
	spent := must[torii.RefreshToken](t)(s.RotateRefreshToken(ctx, "a1", next, when))
	a1.SpentAt = &when
	same(t, "spent token returned", spent, a1)
	same(t, "spent token stored", refreshToken(t, s, "a1"), a1)
	same(t, "child", refreshToken(t, s, "a2"), torii.RefreshToken{ID: "a2", UserID: f.user.ID, SessionID: f.s1.ID,
		ChainID: "a1", ParentID: "a1", Audience: a1.Audience, CreatedAt: when, ExpiresAt: when.Add(time.Hour)})

	later := at(20 * time.Minute)
	must[torii.RefreshToken](t)(s.RotateRefreshToken(ctx, "a2", child("a3", later), later))
	a3 := refreshToken(t, s, "a3")
	if a3.ChainID != "a1" || a3.ParentID != "a2" {
		t.Errorf("grandchild chain %q parent %q, want a1, a2", a3.ChainID, a3.ParentID)
	}
	_, err := s.RotateRefreshToken(ctx, "missing", child("x", later), later)
	is(t, err, torii.ErrNotFound)
}

func testRotateRefreshTokenReuse(t *testing.T, s torii.Store) {
	ctx := t.Context()
	f := newRefreshFixture(t, s, "ann@example.com")
	newRefresh(t, s, f.s1, "a1")
	newRefresh(t, s, f.s1, "other-chain")
	must[torii.RefreshToken](t)(s.RotateRefreshToken(ctx, "a1", child("a2", at(time.Minute)), at(time.Minute)))
	must[torii.RefreshToken](t)(s.RotateRefreshToken(ctx, "a2", child("a3", at(2*time.Minute)), at(2*time.Minute)))

	when := at(3 * time.Minute)
	spent, err := s.RotateRefreshToken(ctx, "a1", child("evil", when), when)
	is(t, err, torii.ErrRefreshTokenReused)
	hasCode(t, err, torii.EUnauthorized)
	if spent.ID != "a1" || spent.UserID != f.user.ID || spent.ChainID != "a1" {
		t.Errorf("reused token returned as %+v, want a1 of user %d", spent, f.user.ID)
	}
	same(t, "revocations", revokedAt(t, s, "a1", "a2", "a3", "other-chain"),
		map[string]*time.Time{"a1": &when, "a2": &when, "a3": &when, "other-chain": nil})
	if _, err := s.RefreshTokenByID(ctx, "evil"); !errors.Is(err, torii.ErrNotFound) {
		t.Errorf("the re-used token minted a child: %v", err)
	}
	// The live end of the chain is dead too.
	_, err = s.RotateRefreshToken(ctx, "a3", child("a4", at(4*time.Minute)), at(4*time.Minute))
	is(t, err, torii.ErrNotFound)
}

// Two clients race with the same token: exactly one gets the child, every
// other one is a re-use, and the chain ends revoked.
func testRotateRefreshTokenRace(t *testing.T, s torii.Store) {
	f := newRefreshFixture(t, s, "ann@example.com")
	newRefresh(t, s, f.s1, "a1")
	const n = 8
	when := at(time.Minute)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, errs[i] = s.RotateRefreshToken(t.Context(), "a1", child(label("next", i), when), when)
		})
	}
	wg.Wait()
	winners, children := 0, 0
	for i, err := range errs {
		switch {
		case err == nil:
			winners++
		case !errors.Is(err, torii.ErrRefreshTokenReused):
			t.Errorf("rotation %d: %v, want success or ErrRefreshTokenReused", i, err)
		}
		if _, err := s.RefreshTokenByID(t.Context(), label("next", i)); err == nil {
			children++
		}
	}
	if winners != 1 || children != 1 {
		t.Fatalf("%d winners and %d children, want exactly 1 of each", winners, children)
	}
}

func testRotateRefreshTokenUnusable(t *testing.T, s torii.Store) {
	ctx := t.Context()
	f := newRefreshFixture(t, s, "ann@example.com")
	newRefresh(t, s, f.s1, "revoked")
	must[int64](t)(s.RevokeRefreshChain(ctx, "revoked", at(time.Minute)))
	rt := newRefresh(t, s, f.s1, "expired")
	for id, when := range map[string]time.Time{"revoked": at(2 * time.Minute), "expired": rt.ExpiresAt} {
		_, err := s.RotateRefreshToken(ctx, id, child(id+"-child", when), when)
		is(t, err, torii.ErrNotFound)
		if got := refreshToken(t, s, id); got.SpentAt != nil {
			t.Errorf("%s: spent at %v by a refused rotation", id, got.SpentAt)
		}
		if _, err := s.RefreshTokenByID(ctx, id+"-child"); !errors.Is(err, torii.ErrNotFound) {
			t.Errorf("%s: a refused rotation stored a child", id)
		}
	}
}

func testRevokeRefreshChain(t *testing.T, s torii.Store) {
	ctx := t.Context()
	f := newRefreshFixture(t, s, "ann@example.com")
	newRefresh(t, s, f.s1, "a1")
	must[torii.RefreshToken](t)(s.RotateRefreshToken(ctx, "a1", child("a2", at(time.Minute)), at(time.Minute)))
	newRefresh(t, s, f.s1, "b1")
	when := at(5 * time.Minute)
	if n := must[int64](t)(s.RevokeRefreshChain(ctx, "a1", when)); n != 2 {
		t.Errorf("revoked %d tokens, want 2", n)
	}
	if n := must[int64](t)(s.RevokeRefreshChain(ctx, "a1", at(time.Hour))); n != 0 {
		t.Errorf("second revocation revoked %d tokens, want 0", n)
	}
	same(t, "revocations", revokedAt(t, s, "a1", "a2", "b1"), map[string]*time.Time{"a1": &when, "a2": &when, "b1": nil})
}

func testRevokeSessionRevokesRefresh(t *testing.T, s torii.Store) {
	f := newRefreshFixture(t, s, "ann@example.com")
	newRefresh(t, s, f.s1, "a1")
	newRefresh(t, s, f.s2, "b1")
	when := at(time.Minute)
	ok(t, s.RevokeSession(t.Context(), f.user.ID, f.s1.ID, when))
	same(t, "revocations", revokedAt(t, s, "a1", "b1"), map[string]*time.Time{"a1": &when, "b1": nil})
}

func testRevokeUserSessionsRevokesRefresh(t *testing.T, s torii.Store) {
	ctx := t.Context()
	f := newRefreshFixture(t, s, "ann@example.com")
	bob := newRefreshFixture(t, s, "bob@example.com")
	newRefresh(t, s, f.s1, "a1")
	newRefresh(t, s, f.s2, "a2")
	newRefresh(t, s, bob.s1, "b1")
	when := at(time.Minute)
	must[[]string](t)(s.RevokeUserSessions(ctx, f.user.ID, f.s2.ID, when))
	same(t, "all but the excepted session", revokedAt(t, s, "a1", "a2", "b1"), map[string]*time.Time{"a1": &when, "a2": nil, "b1": nil})
	later := at(2 * time.Minute)
	must[[]string](t)(s.RevokeUserSessions(ctx, f.user.ID, "", later))
	same(t, "with no exception", revokedAt(t, s, "a1", "a2", "b1"), map[string]*time.Time{"a1": &when, "a2": &later, "b1": nil})
}

func testSetUserStatusRevokesRefresh(t *testing.T, s torii.Store) {
	ctx := t.Context()
	f := newRefreshFixture(t, s, "ann@example.com")
	bob := newRefreshFixture(t, s, "bob@example.com")
	newRefresh(t, s, f.s1, "a1")
	newRefresh(t, s, f.s2, "a2")
	newRefresh(t, s, bob.s1, "b1")
	must[torii.User](t)(s.SetUserStatus(ctx, f.user.ID, torii.StatusActive, at(time.Minute)))
	same(t, "after staying active", revokedAt(t, s, "a1", "a2", "b1"), map[string]*time.Time{"a1": nil, "a2": nil, "b1": nil})
	when := at(2 * time.Minute)
	must[torii.User](t)(s.SetUserStatus(ctx, f.user.ID, torii.StatusInactive, when))
	same(t, "after deactivation", revokedAt(t, s, "a1", "a2", "b1"), map[string]*time.Time{"a1": &when, "a2": &when, "b1": nil})
	same(t, "session", session(t, s, f.s1.ID).RevokedAt, &when)
}

func testUpdateUserRevokesRefresh(t *testing.T, s torii.Store) {
	ctx := t.Context()
	ann := newRefreshFixture(t, s, "ann@example.com")
	bob := newRefreshFixture(t, s, "bob@example.com")
	newRefresh(t, s, ann.s1, "a1")
	newRefresh(t, s, bob.s1, "b1")
	when := at(time.Minute)
	must[torii.User](t)(s.UpdateUser(ctx, ann.user.ID, func(u *torii.User) error {
		u.Name, u.UpdatedAt = "renamed", when
		return nil
	}))
	same(t, "after a rename", revokedAt(t, s, "a1", "b1"), map[string]*time.Time{"a1": nil, "b1": nil})
	must[torii.User](t)(s.UpdateUser(ctx, ann.user.ID, func(u *torii.User) error {
		u.Status, u.UpdatedAt = torii.StatusInactive, when
		return nil
	}))
	later := at(2 * time.Minute)
	deleteUser(t, s, bob.user.ID, later)
	// deleteUser leaves UpdatedAt alone: revocation happens at UpdatedAt.
	bobAt := refreshToken(t, s, "b1").RevokedAt
	same(t, "ann after deactivation", refreshToken(t, s, "a1").RevokedAt, &when)
	if bobAt == nil {
		t.Error("deleting bob left his refresh token unrevoked")
	}
}

func testDeleteExpiredSessionsCascades(t *testing.T, s torii.Store) {
	ctx := t.Context()
	u := newUser(t, s, "ann@example.com")
	old := newSession(t, s, u.ID, "old", t0, time.Hour)
	live := newSession(t, s, u.ID, "live", t0, 48*time.Hour)
	newRefresh(t, s, old, "a1")
	newRefresh(t, s, live, "b1")
	must[int64](t)(s.DeleteExpiredSessions(ctx, at(2*time.Hour)))
	_, err := s.RefreshTokenByID(ctx, "a1")
	is(t, err, torii.ErrNotFound)
	refreshToken(t, s, "b1")
}
