// Package storetest is the conformance suite of torii.Store: every backend
// runs the same tests, so a rule of the contract (store.go's doc comments,
// data-model.md) is never checked on one backend only.
package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/toriihq/torii"
)

// test is one named behaviour, run on a fresh store.
type test struct {
	name string
	run  func(t *testing.T, s torii.Store)
}

// RunTests runs the conformance suite, one subtest per rule, each on a fresh
// store from newStore (which should migrate it and register its cleanup).
// The subtests run in parallel (up to go test's -parallel at once): each
// has a store of its own, so a rule added to any list below is parallel
// too, and newStore must be safe to call from several goroutines.
func RunTests(t *testing.T, newStore func(t *testing.T) torii.Store) {
	var all []test
	for _, group := range [][]test{userTests, identityTests, googleTests, roleTests, sessionTests, auditTests, accountTests, timeTests, miscTests, tokenTests, groupTests, invitationTests, roomTests, messageTests, roomPageTests, setupTests, mailTests, proofTests, languageTests, oauthTests, recoveryTests, teamChatTests, assistantTeamTests} {
		all = append(all, group...)
	}
	// The multi-instance races (races.go).
	all = append(all, raceTests...)
	for _, tc := range all {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, newStore(t))
		})
	}
}

// t0 is the suite's fixed "now": it has microseconds, which both backends
// keep, so round trips are exact.
var t0 = time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC)

// at returns t0 moved by d.
func at(d time.Duration) time.Time { return t0.Add(d) }

// ptr returns a pointer to v.
func ptr[T any](v T) *T { return &v }

// opts compares times by instant and location, so that a time read back in
// another zone than UTC is a failure, not a pass.
var opts = cmp.Options{cmp.Comparer(func(a, b time.Time) bool {
	return a.Equal(b) && a.Location() == b.Location()
})}

// same fails the test unless got equals want.
func same[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if d := cmp.Diff(want, got, opts); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", what, d)
	}
}

// ok fails the test now if err is not nil.
func ok(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

// is fails the test unless errors.Is(err, target).
func is(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("error = %v, want %v", err, target)
	}
}

// hasCode fails the test unless err carries the coded error code.
func hasCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := torii.ErrorCode(err); got != code {
		t.Errorf("error = %v (code %q), want code %q", err, got, code)
	}
}

// newUser creates a live user with the given email, created at t0.
func newUser(t *testing.T, s torii.Store, email string) torii.User {
	t.Helper()
	u, err := s.CreateUser(t.Context(), torii.User{Email: email, Name: email, Status: torii.StatusActive, CreatedAt: t0})
	ok(t, err)
	return u
}

// newSession creates a session of userID, created (and last active) at
// created, that expires ttl later.
func newSession(t *testing.T, s torii.Store, userID int64, id string, created time.Time, ttl time.Duration) torii.Session {
	t.Helper()
	ss := torii.Session{ID: id, UserID: userID, IP: "192.0.2.1", UserAgent: "test",
		CreatedAt: created, LastActivity: created, ExpiresAt: created.Add(ttl)}
	ok(t, s.CreateSession(t.Context(), ss))
	return ss
}

// deleteUser soft-deletes a user at the given time, through UpdateUser, the
// only way the contract offers.
func deleteUser(t *testing.T, s torii.Store, id int64, when time.Time) {
	t.Helper()
	_, err := s.UpdateUser(t.Context(), id, func(u *torii.User) error {
		u.DeletedAt = &when
		return nil
	})
	ok(t, err)
}

// ids reduces a list to its ids, for comparing lists by identity and
// order; userIDs and the others below name it for each type.
func ids[T any, K comparable](list []T, id func(T) K) []K {
	out := make([]K, len(list))
	for i, x := range list {
		out[i] = id(x)
	}
	return out
}

func userIDs(users []torii.User) []int64 { return ids(users, func(x torii.User) int64 { return x.ID }) }

func sessionIDs(list []torii.Session) []string {
	return ids(list, func(x torii.Session) string { return x.ID })
}

func auditIDs(list []torii.AuditEvent) []int64 {
	return ids(list, func(x torii.AuditEvent) int64 { return x.ID })
}

var miscTests = []test{
	{"Ping", func(t *testing.T, s torii.Store) { ok(t, s.Ping(t.Context())) }},
	{"MissingRows_ErrNotFound", testMissingRows},
}

// testMissingRows checks the contract's default: a missing row (or a row
// referring to one that is missing) is ErrNotFound.
func testMissingRows(t *testing.T, s torii.Store) {
	ctx := t.Context()
	u := newUser(t, s, "ann@example.com")
	gone := newUser(t, s, "gone@example.com")
	deleteUser(t, s, gone.ID, at(time.Hour))
	const missing = 1 << 40
	noop := func(*torii.User) error { return nil }
	cases := []struct {
		name string
		call func() error
	}{
		{"UserByID", func() error { _, err := s.UserByID(ctx, missing); return err }},
		{"UserByID deleted", func() error { _, err := s.UserByID(ctx, gone.ID); return err }},
		{"UserByEmail", func() error { _, err := s.UserByEmail(ctx, "nobody@example.com"); return err }},
		{"UserByEmail deleted", func() error { _, err := s.UserByEmail(ctx, "gone@example.com"); return err }},
		{"UpdateUser", func() error { _, err := s.UpdateUser(ctx, missing, noop); return err }},
		{"UpdateUser deleted", func() error { _, err := s.UpdateUser(ctx, gone.ID, noop); return err }},
		{"SetUserStatus", func() error { _, err := s.SetUserStatus(ctx, missing, torii.StatusInactive, t0); return err }},
		{"SetUserStatus deleted", func() error { _, err := s.SetUserStatus(ctx, gone.ID, torii.StatusActive, t0); return err }},
		{"CreateIdentity unknown user", func() error {
			_, err := s.CreateIdentity(ctx, torii.Identity{UserID: missing, Issuer: "i", Subject: "s", CreatedAt: t0})
			return err
		}},
		{"IdentityBySubject", func() error { _, err := s.IdentityBySubject(ctx, "i", "s"); return err }},
		{"DeleteIdentity", func() error { return s.DeleteIdentity(ctx, u.ID, missing) }},
		{"SetUserRoles", func() error { return s.SetUserRoles(ctx, missing, []string{torii.RoleAdmin}) }},
		{"SetUserRoles deleted", func() error { return s.SetUserRoles(ctx, gone.ID, nil) }},
		{"AddUserRole", func() error { return s.AddUserRole(ctx, missing, torii.RoleAdmin) }},
		{"CreateSession unknown user", func() error {
			return s.CreateSession(ctx, torii.Session{ID: "x", UserID: missing, CreatedAt: t0, LastActivity: t0, ExpiresAt: at(time.Hour)})
		}},
		{"SessionByID", func() error { _, err := s.SessionByID(ctx, "missing"); return err }},
		{"TouchSession", func() error { return s.TouchSession(ctx, "missing", t0) }},
		{"RevokeSession", func() error { return s.RevokeSession(ctx, u.ID, "missing", t0) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.call()
			is(t, err, torii.ErrNotFound)
			hasCode(t, err, torii.ENotFound)
		})
	}
}

// must is a shorthand for calls whose error the test does not expect.
func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return v
	}
}

// label names the i-th item of a generated set.
func label(prefix string, i int) string { return fmt.Sprintf("%s%03d", prefix, i) }
