package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/toriihq/torii"
)

var identityTests = []test{
	{"CreateIdentity_RoundTrip", testCreateIdentityRoundTrip},
	{"CreateIdentity_UniqueIssuerSubjectAcrossUsers", testCreateIdentityUnique},
	{"IdentityBySubject_NeedsIssuerAndSubject", testIdentityBySubject},
	{"IdentitiesByUser_OldestFirst", testIdentitiesByUser},
	{"DeleteIdentity_OnlyTheUsersOwn", testDeleteIdentity},
}

const google = "https://accounts.google.com"

func newIdentity(t *testing.T, s torii.Store, userID int64, issuer, subject string, created time.Time) torii.Identity {
	t.Helper()
	return must[torii.Identity](t)(s.CreateIdentity(t.Context(), torii.Identity{
		UserID: userID, Issuer: issuer, Subject: subject, Email: subject + "@gmail.com", CreatedAt: created}))
}

func testCreateIdentityRoundTrip(t *testing.T, s torii.Store) {
	u := newUser(t, s, "ann@example.com")
	in := torii.Identity{UserID: u.ID, Issuer: google, Subject: "1234567890", Email: "Ann@Gmail.com", CreatedAt: t0}
	got, err := s.CreateIdentity(t.Context(), in)
	ok(t, err)
	if got.ID <= 0 {
		t.Fatalf("ID = %d, want > 0", got.ID)
	}
	want := in
	want.ID = got.ID
	same(t, "created identity", got, want)
	same(t, "read identity", must[torii.Identity](t)(s.IdentityBySubject(t.Context(), google, "1234567890")), want)
}

func testCreateIdentityUnique(t *testing.T, s torii.Store) {
	ann := newUser(t, s, "ann@example.com")
	bob := newUser(t, s, "bob@example.com")
	first := newIdentity(t, s, ann.ID, google, "sub-1", t0)
	cases := []struct {
		name            string
		user            int64
		issuer, subject string
		conflict        bool
	}{
		{"same pair, same user", ann.ID, google, "sub-1", true},
		{"same pair, other user", bob.ID, google, "sub-1", true},
		{"same subject, other issuer", bob.ID, "https://login.example.org", "sub-1", false},
		{"same issuer, other subject", bob.ID, google, "sub-2", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.CreateIdentity(t.Context(), torii.Identity{UserID: c.user, Issuer: c.issuer, Subject: c.subject, CreatedAt: t0})
			if c.conflict {
				is(t, err, torii.ErrConflict)
			} else {
				ok(t, err)
			}
		})
	}
	same(t, "owner of sub-1", must[torii.Identity](t)(s.IdentityBySubject(t.Context(), google, "sub-1")), first)
}

func testIdentityBySubject(t *testing.T, s torii.Store) {
	u := newUser(t, s, "ann@example.com")
	newIdentity(t, s, u.ID, google, "sub-1", t0)
	_, err := s.IdentityBySubject(t.Context(), "https://login.example.org", "sub-1")
	is(t, err, torii.ErrNotFound)
	_, err = s.IdentityBySubject(t.Context(), google, "SUB-1")
	is(t, err, torii.ErrNotFound)
}

func testIdentitiesByUser(t *testing.T, s torii.Store) {
	ann := newUser(t, s, "ann@example.com")
	bob := newUser(t, s, "bob@example.com")
	late := newIdentity(t, s, ann.ID, google, "late", at(2*time.Hour))
	early := newIdentity(t, s, ann.ID, "https://login.example.org", "early", t0)
	mid := newIdentity(t, s, ann.ID, google, "mid", at(time.Hour))
	newIdentity(t, s, bob.ID, google, "bob", at(-time.Hour))

	got := must[[]torii.Identity](t)(s.IdentitiesByUser(t.Context(), ann.ID))
	same(t, "ann's identities", got, []torii.Identity{early, mid, late})
	carol := newUser(t, s, "carol@example.com")
	if got := must[[]torii.Identity](t)(s.IdentitiesByUser(t.Context(), carol.ID)); len(got) != 0 {
		t.Errorf("a user without identities has %v", got)
	}
}

func testDeleteIdentity(t *testing.T, s torii.Store) {
	ctx := t.Context()
	ann := newUser(t, s, "ann@example.com")
	bob := newUser(t, s, "bob@example.com")
	annID := newIdentity(t, s, ann.ID, google, "ann", t0)
	bobID := newIdentity(t, s, bob.ID, google, "bob", t0)

	is(t, s.DeleteIdentity(ctx, ann.ID, bobID.ID), torii.ErrNotFound)
	same(t, "bob's identity", must[torii.Identity](t)(s.IdentityBySubject(ctx, google, "bob")), bobID)

	ok(t, s.DeleteIdentity(ctx, ann.ID, annID.ID))
	_, err := s.IdentityBySubject(ctx, google, "ann")
	is(t, err, torii.ErrNotFound)
	is(t, s.DeleteIdentity(ctx, ann.ID, annID.ID), torii.ErrNotFound)

	// The pair is free again once unlinked.
	again := newIdentity(t, s, bob.ID, google, "ann", at(time.Hour))
	ids := must[[]torii.Identity](t)(s.IdentitiesByUser(ctx, bob.ID))
	if !slices.EqualFunc(ids, []torii.Identity{bobID, again}, func(a, b torii.Identity) bool { return a.ID == b.ID }) {
		t.Errorf("bob's identities = %v", ids)
	}
}
