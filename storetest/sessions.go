package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/toriihq/torii"
)

var sessionTests = []test{
	{"CreateSession_RoundTrip", testCreateSessionRoundTrip},
	{"CreateSession_DuplicateIDConflicts", testCreateSessionDuplicate},
	{"TouchSession_OnlyMovesForward", testTouchSession},
	{"RevokeSession_OneOfTheUsersOwn", testRevokeSession},
	{"RevokeUserSessions_AllButOneReturnsIDs", testRevokeUserSessions},
	{"ListUserSessions_LiveOnlyNewestFirst", testListUserSessions},
	{"DeleteExpiredSessions_ExpiredOrRevokedBefore", testDeleteExpiredSessions},
	{"CreateSessionAudited_BothOrNeither", testCreateSessionAudited},
	{"CreateSessionAudited_ConcurrentWritesEachTheirOwnRows", testCreateSessionAuditedConcurrent},
}

func session(t *testing.T, s torii.Store, id string) torii.Session {
	t.Helper()
	return must[torii.Session](t)(s.SessionByID(t.Context(), id))
}

func testCreateSessionRoundTrip(t *testing.T, s torii.Store) {
	u := newUser(t, s, "ann@example.com")
	live := torii.Session{ID: "hash-live", UserID: u.ID, IP: "2001:db8::1", UserAgent: "Mozilla/5.0",
		CreatedAt: t0, LastActivity: at(time.Minute), ExpiresAt: at(24 * time.Hour)}
	ok(t, s.CreateSession(t.Context(), live))
	same(t, "live session", session(t, s, live.ID), live)

	// SessionByID returns a session whatever its state.
	dead := live
	dead.ID, dead.RevokedAt, dead.ExpiresAt = "hash-dead", ptr(at(2*time.Minute)), at(-time.Hour)
	ok(t, s.CreateSession(t.Context(), dead))
	same(t, "revoked, expired session", session(t, s, dead.ID), dead)
}

func testCreateSessionDuplicate(t *testing.T, s torii.Store) {
	ann := newUser(t, s, "ann@example.com")
	bob := newUser(t, s, "bob@example.com")
	first := newSession(t, s, ann.ID, "same-hash", t0, time.Hour)
	err := s.CreateSession(t.Context(), torii.Session{ID: "same-hash", UserID: bob.ID, CreatedAt: t0, LastActivity: t0, ExpiresAt: at(time.Hour)})
	is(t, err, torii.ErrConflict)
	same(t, "first session", session(t, s, "same-hash"), first)
}

func testTouchSession(t *testing.T, s torii.Store) {
	u := newUser(t, s, "ann@example.com")
	newSession(t, s, u.ID, "s", t0, time.Hour)
	steps := []struct {
		name  string
		touch time.Time
		want  time.Time
	}{
		{"later moves it", at(time.Minute), at(time.Minute)},
		{"earlier is ignored", at(30 * time.Second), at(time.Minute)},
		{"equal is ignored", at(time.Minute), at(time.Minute)},
		{"one microsecond later moves it", at(time.Minute + time.Microsecond), at(time.Minute + time.Microsecond)},
	}
	for _, st := range steps {
		ok(t, s.TouchSession(t.Context(), "s", st.touch))
		same(t, st.name+": LastActivity", session(t, s, "s").LastActivity, st.want)
	}
}

func testRevokeSession(t *testing.T, s torii.Store) {
	ctx := t.Context()
	ann := newUser(t, s, "ann@example.com")
	bob := newUser(t, s, "bob@example.com")
	newSession(t, s, ann.ID, "a1", t0, time.Hour)
	newSession(t, s, ann.ID, "a2", t0, time.Hour)
	newSession(t, s, bob.ID, "b1", t0, time.Hour)

	ok(t, s.RevokeSession(ctx, ann.ID, "a1", at(time.Minute)))
	same(t, "a1 RevokedAt", session(t, s, "a1").RevokedAt, ptr(at(time.Minute)))
	same(t, "a2 RevokedAt", session(t, s, "a2").RevokedAt, nil)

	is(t, s.RevokeSession(ctx, ann.ID, "a1", at(2*time.Minute)), torii.ErrNotFound)
	same(t, "a1 RevokedAt after a second revoke", session(t, s, "a1").RevokedAt, ptr(at(time.Minute)))

	is(t, s.RevokeSession(ctx, ann.ID, "b1", at(time.Minute)), torii.ErrNotFound)
	same(t, "b1 RevokedAt", session(t, s, "b1").RevokedAt, nil)
}

func testRevokeUserSessions(t *testing.T, s torii.Store) {
	ctx := t.Context()
	ann := newUser(t, s, "ann@example.com")
	bob := newUser(t, s, "bob@example.com")
	newSession(t, s, ann.ID, "a1", t0, time.Hour)
	newSession(t, s, ann.ID, "a2", t0, time.Hour)
	newSession(t, s, ann.ID, "a3", at(time.Minute), time.Hour)
	newSession(t, s, ann.ID, "a-revoked", t0, time.Hour)
	ok(t, s.RevokeSession(ctx, ann.ID, "a-revoked", at(time.Second)))
	newSession(t, s, ann.ID, "a-expired", at(-2*time.Hour), time.Hour)
	newSession(t, s, bob.ID, "b1", t0, time.Hour)

	when := at(10 * time.Minute)
	got := must[[]string](t)(s.RevokeUserSessions(ctx, ann.ID, "a2", when))
	slices.Sort(got)
	same(t, "revoked ids", got, []string{"a1", "a3"})
	for id, want := range map[string]*time.Time{
		"a1": &when, "a2": nil, "a3": &when, "a-revoked": ptr(at(time.Second)), "b1": nil,
	} {
		same(t, id+" RevokedAt", session(t, s, id).RevokedAt, want)
	}

	got = must[[]string](t)(s.RevokeUserSessions(ctx, ann.ID, "", at(20*time.Minute)))
	same(t, "revoked with no exception", got, []string{"a2"})
	if got := must[[]string](t)(s.RevokeUserSessions(ctx, ann.ID, "", at(30*time.Minute))); len(got) != 0 {
		t.Errorf("nothing left to revoke, yet revoked %v", got)
	}
}

func testListUserSessions(t *testing.T, s torii.Store) {
	ctx := t.Context()
	ann := newUser(t, s, "ann@example.com")
	bob := newUser(t, s, "bob@example.com")
	now := at(time.Hour)
	old := newSession(t, s, ann.ID, "old", t0, 24*time.Hour)
	newest := newSession(t, s, ann.ID, "newest", at(50*time.Minute), 24*time.Hour)
	mid := newSession(t, s, ann.ID, "mid", at(30*time.Minute), 24*time.Hour)
	edge := newSession(t, s, ann.ID, "edge", at(10*time.Minute), 50*time.Minute+time.Microsecond)
	newSession(t, s, ann.ID, "expired-now", at(20*time.Minute), 40*time.Minute)
	newSession(t, s, ann.ID, "revoked", at(40*time.Minute), 24*time.Hour)
	ok(t, s.RevokeSession(ctx, ann.ID, "revoked", at(45*time.Minute)))
	newSession(t, s, bob.ID, "bob", at(55*time.Minute), 24*time.Hour)

	got := must[[]torii.Session](t)(s.ListUserSessions(ctx, ann.ID, now))
	same(t, "live sessions", got, []torii.Session{newest, mid, edge, old})
}

func testDeleteExpiredSessions(t *testing.T, s torii.Store) {
	ctx := t.Context()
	u := newUser(t, s, "ann@example.com")
	before := at(time.Hour)
	newSession(t, s, u.ID, "expired", t0, time.Hour-time.Microsecond)
	newSession(t, s, u.ID, "expires-at-before", t0, time.Hour)
	newSession(t, s, u.ID, "revoked", t0, 24*time.Hour)
	ok(t, s.RevokeSession(ctx, u.ID, "revoked", before.Add(-time.Microsecond)))
	newSession(t, s, u.ID, "revoked-at-before", t0, 24*time.Hour)
	ok(t, s.RevokeSession(ctx, u.ID, "revoked-at-before", before))
	newSession(t, s, u.ID, "live", t0, 24*time.Hour)

	n := must[int64](t)(s.DeleteExpiredSessions(ctx, before))
	if n != 2 {
		t.Errorf("deleted %d sessions, want 2", n)
	}
	for _, id := range []string{"expired", "revoked"} {
		_, err := s.SessionByID(ctx, id)
		is(t, err, torii.ErrNotFound)
	}
	for _, id := range []string{"expires-at-before", "revoked-at-before", "live"} {
		if _, err := s.SessionByID(ctx, id); err != nil {
			t.Errorf("session %s: %v, want kept", id, err)
		}
	}
}

func testCreateSessionAudited(t *testing.T, s torii.Store) {
	ctx := t.Context()
	u := newUser(t, s, "ann@example.com")
	ss := torii.Session{ID: "s1", UserID: u.ID, IP: "192.0.2.1", UserAgent: "ua", CreatedAt: t0, LastActivity: t0, ExpiresAt: at(time.Hour)}
	ev := torii.AuditEvent{At: t0, Event: torii.AuditSignInSuccess, UserID: &u.ID, Email: u.Email, Detail: map[string]any{"method": "google"}}
	ok(t, s.CreateSessionAudited(ctx, ss, ev))
	same(t, "session", session(t, s, "s1"), ss)
	events := must[[]torii.AuditEvent](t)(s.ListAudit(ctx, torii.AuditFilter{}))
	if len(events) != 1 || events[0].Event != torii.AuditSignInSuccess || *events[0].UserID != u.ID || events[0].Detail["method"] != "google" {
		t.Fatalf("audit = %+v", events)
	}
	// A session id that is taken: neither the session nor the event is written.
	is(t, s.CreateSessionAudited(ctx, ss, ev), torii.ErrConflict)
	if n := len(must[[]torii.AuditEvent](t)(s.ListAudit(ctx, torii.AuditFilter{}))); n != 1 {
		t.Fatalf("%d audit events after a failed write, want 1", n)
	}
}

// testCreateSessionAuditedConcurrent starts many sign-in writes at once
// (on SQLite they share group commits, written with multi-row INSERTs),
// some with a session id that is taken: exactly those fail, and every
// other write has its own session and its own audit event, once.
func testCreateSessionAuditedConcurrent(t *testing.T, s torii.Store) {
	ctx := t.Context()
	u := newUser(t, s, "ann@example.com")
	const n = 40
	taken := func(i int) bool { return i%13 == 5 }
	for i := range n {
		if taken(i) {
			ok(t, s.CreateSession(ctx, torii.Session{ID: label("s", i), UserID: u.ID, CreatedAt: t0, LastActivity: t0, ExpiresAt: at(time.Hour)}))
		}
	}
	sessions := make([]torii.Session, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		sessions[i] = torii.Session{ID: label("s", i), UserID: u.ID, IP: fmt.Sprintf("192.0.2.%d", i), UserAgent: label("ua", i),
			CreatedAt: at(time.Duration(i) * time.Second), LastActivity: at(time.Duration(i) * time.Second), ExpiresAt: at(time.Hour)}
		wg.Go(func() {
			<-start
			errs[i] = s.CreateSessionAudited(ctx, sessions[i], torii.AuditEvent{At: sessions[i].CreatedAt, Event: torii.AuditSignInSuccess,
				UserID: &u.ID, Email: u.Email, IP: sessions[i].IP, UserAgent: sessions[i].UserAgent, Detail: map[string]any{"n": i}})
		})
	}
	close(start)
	wg.Wait()
	events := must[[]torii.AuditEvent](t)(s.ListAudit(ctx, torii.AuditFilter{Limit: 100}))
	byN := map[int]torii.AuditEvent{}
	for _, e := range events {
		k := int(e.Detail["n"].(float64))
		if _, dup := byN[k]; dup {
			t.Fatalf("two audit events for write %d", k)
		}
		byN[k] = e
	}
	for i := range n {
		e, logged := byN[i]
		if taken(i) {
			is(t, errs[i], torii.ErrConflict)
			if logged {
				t.Fatalf("write %d failed but its audit event was written", i)
			}
			continue
		}
		ok(t, errs[i])
		same(t, "session", session(t, s, sessions[i].ID), sessions[i])
		if !logged || e.IP != sessions[i].IP || e.UserAgent != sessions[i].UserAgent || !e.At.Equal(sessions[i].CreatedAt) ||
			e.Event != torii.AuditSignInSuccess || e.UserID == nil || *e.UserID != u.ID || e.Email != u.Email {
			t.Fatalf("write %d: audit event %+v (logged %v)", i, e, logged)
		}
	}
}
