package storetest

import (
	"testing"
	"time"

	"github.com/toriihq/torii"
)

var timeTests = []test{
	{"Times_RoundTripAsUTCMicroseconds", testTimesRoundTrip},
	{"Times_CompareInSQLToTheMicrosecond", testTimesCompare},
}

// Every time comes back in UTC, truncated to the microsecond, whatever zone
// and precision it went in with, on every backend: values written by one
// instance compare equal when read by another.
func testTimesRoundTrip(t *testing.T, s torii.Store) {
	ctx := t.Context()
	zone := time.FixedZone("UTC+5:30", 5*3600+1800)
	now := time.Now() // local, with a monotonic reading
	cases := []struct {
		name string
		in   time.Time
		want time.Time
	}{
		{"fixed", t0, t0},
		{"nanoseconds truncated", time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC), t0},
		{"other zone", t0.In(zone), t0},
		{"local with monotonic reading", now, now.UTC().Truncate(time.Microsecond)},
		{"before 1970", time.Date(1969, 12, 31, 23, 59, 59, 999999000, time.UTC), time.Date(1969, 12, 31, 23, 59, 59, 999999000, time.UTC)},
		{"far future", time.Date(2199, 12, 31, 23, 59, 59, 1000, time.UTC), time.Date(2199, 12, 31, 23, 59, 59, 1000, time.UTC)},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u := must[torii.User](t)(s.CreateUser(ctx, torii.User{Email: label("u", i) + "@example.com",
				Status: torii.StatusActive, CreatedAt: c.in, LastLoginAt: &c.in}))
			wantUser := torii.User{ID: u.ID, Email: u.Email, Status: torii.StatusActive,
				CreatedAt: c.want, UpdatedAt: c.want, LastLoginAt: &c.want}
			same(t, "created user", u, wantUser)
			same(t, "read user", must[torii.User](t)(s.UserByID(ctx, u.ID)), wantUser)
			d := must[torii.User](t)(s.UpdateUser(ctx, u.ID, func(u *torii.User) error {
				u.DeletedAt, u.UpdatedAt = &c.in, c.in
				return nil
			}))
			same(t, "deleted at", d.DeletedAt, &c.want)
			same(t, "updated at", d.UpdatedAt, c.want)

			v := newUser(t, s, label("v", i)+"@example.com")
			ss := torii.Session{ID: label("s", i), UserID: v.ID, CreatedAt: c.in, LastActivity: c.in, ExpiresAt: c.in, RevokedAt: &c.in}
			ok(t, s.CreateSession(ctx, ss))
			same(t, "session", must[torii.Session](t)(s.SessionByID(ctx, ss.ID)),
				torii.Session{ID: ss.ID, UserID: v.ID, CreatedAt: c.want, LastActivity: c.want, ExpiresAt: c.want, RevokedAt: &c.want})

			id := must[torii.Identity](t)(s.CreateIdentity(ctx, torii.Identity{UserID: v.ID, Issuer: "i", Subject: label("s", i), CreatedAt: c.in}))
			same(t, "created identity", id.CreatedAt, c.want)
			same(t, "read identity", must[torii.Identity](t)(s.IdentityBySubject(ctx, "i", label("s", i))).CreatedAt, c.want)

			e := must[torii.AuditEvent](t)(s.AppendAudit(ctx, torii.AuditEvent{At: c.in, Event: torii.AuditLogout}))
			same(t, "appended audit", e.At, c.want)
			list := must[[]torii.AuditEvent](t)(s.ListAudit(ctx, torii.AuditFilter{Limit: 1}))
			same(t, "listed audit", list[0].At, c.want)
		})
	}
}

// Comparisons in SQL (expiry, pruning) must order times as time does, to the
// microsecond and across second boundaries, whatever the stored form.
func testTimesCompare(t *testing.T, s torii.Store) {
	u := newUser(t, s, "ann@example.com")
	now := time.Date(2026, 1, 2, 3, 4, 6, 0, time.UTC)
	cases := []struct {
		expires time.Time
		live    bool
	}{
		{now.Add(-time.Microsecond), false},
		{now, false},
		{now.Add(time.Microsecond), true},
		{time.Date(2026, 1, 2, 3, 4, 5, 999999000, time.UTC), false},
		{time.Date(2026, 1, 2, 3, 4, 6, 100000000, time.UTC), true},
		{time.Date(2026, 1, 2, 3, 4, 10, 0, time.UTC), true},
		{time.Date(2026, 1, 2, 3, 4, 9, 900000000, time.UTC), true},
		{time.Date(2025, 12, 31, 23, 59, 59, 999999000, time.UTC), false},
		{now.In(time.FixedZone("UTC-8", -8*3600)).Add(time.Microsecond), true},
	}
	want := map[string]bool{}
	for i, c := range cases {
		id := label("s", i)
		ok(t, s.CreateSession(t.Context(), torii.Session{ID: id, UserID: u.ID,
			CreatedAt: now.Add(-time.Hour), LastActivity: now.Add(-time.Hour), ExpiresAt: c.expires}))
		want[id] = c.live
	}
	got := map[string]bool{}
	for _, ss := range must[[]torii.Session](t)(s.ListUserSessions(t.Context(), u.ID, now)) {
		got[ss.ID] = true
	}
	for id, live := range want {
		if got[id] != live {
			t.Errorf("session %s expiring at %v: listed %v at %v, want %v", id, session(t, s, id).ExpiresAt, got[id], now, live)
		}
	}
}
