package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/toriihq/torii"
)

var auditTests = []test{
	{"AppendAudit_RoundTrip", testAppendAuditRoundTrip},
	{"ListAudit_NewestFirstAndFilters", testListAuditFilters},
	{"ListAudit_PagesWithBefore", testListAuditPages},
	{"ListAudit_FollowsForwardWithAfterAndEvents", testListAuditAfter},
	{"PruneAudit_DeletesOlderThanBefore", testPruneAudit},
}

func appendAudit(t *testing.T, s torii.Store, e torii.AuditEvent) torii.AuditEvent {
	t.Helper()
	return must[torii.AuditEvent](t)(s.AppendAudit(t.Context(), e))
}

func testAppendAuditRoundTrip(t *testing.T, s torii.Store) {
	u := newUser(t, s, "ann@example.com")
	full := torii.AuditEvent{At: t0, Event: torii.AuditSignInFailure, UserID: &u.ID, Email: "ann@example.com",
		IP: "192.0.2.7", UserAgent: "curl/8",
		// JSON's own types, so that what comes back is what went in.
		Detail: map[string]any{"reason": "bad_password", "attempt": 3.0, "mfa": false,
			"fields": []any{"email", "name"}, "nested": map[string]any{"k": nil}}}
	bare := torii.AuditEvent{At: at(time.Second), Event: torii.AuditSignInFailure, Email: "nobody@example.com"}

	gotFull, gotBare := appendAudit(t, s, full), appendAudit(t, s, bare)
	if gotFull.ID <= 0 || gotBare.ID <= gotFull.ID {
		t.Fatalf("ids %d then %d, want positive and growing", gotFull.ID, gotBare.ID)
	}
	full.ID, bare.ID = gotFull.ID, gotBare.ID
	same(t, "appended", []torii.AuditEvent{gotFull, gotBare}, []torii.AuditEvent{full, bare})
	list := must[[]torii.AuditEvent](t)(s.ListAudit(t.Context(), torii.AuditFilter{}))
	same(t, "listed", list, []torii.AuditEvent{bare, full})
}

func testListAuditFilters(t *testing.T, s torii.Store) {
	ann := newUser(t, s, "ann@example.com")
	bob := newUser(t, s, "bob@example.com")
	e1 := appendAudit(t, s, torii.AuditEvent{At: t0, Event: torii.AuditRegister, UserID: &ann.ID})
	e2 := appendAudit(t, s, torii.AuditEvent{At: at(1), Event: torii.AuditSignInSuccess, UserID: &ann.ID})
	e3 := appendAudit(t, s, torii.AuditEvent{At: at(2), Event: torii.AuditSignInSuccess, UserID: &bob.ID})
	e4 := appendAudit(t, s, torii.AuditEvent{At: at(3), Event: torii.AuditSignInFailure})
	e5 := appendAudit(t, s, torii.AuditEvent{At: at(4), Event: torii.AuditLogout, UserID: &ann.ID})

	cases := []struct {
		name string
		f    torii.AuditFilter
		want []torii.AuditEvent
	}{
		{"all, newest first", torii.AuditFilter{}, []torii.AuditEvent{e5, e4, e3, e2, e1}},
		{"by user", torii.AuditFilter{UserID: &ann.ID}, []torii.AuditEvent{e5, e2, e1}},
		{"by event", torii.AuditFilter{Event: torii.AuditSignInSuccess}, []torii.AuditEvent{e3, e2}},
		{"by user and event", torii.AuditFilter{UserID: &bob.ID, Event: torii.AuditSignInSuccess}, []torii.AuditEvent{e3}},
		{"no match", torii.AuditFilter{Event: torii.AuditTokenReuse}, nil},
		{"limit", torii.AuditFilter{Limit: 2}, []torii.AuditEvent{e5, e4}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := must[[]torii.AuditEvent](t)(s.ListAudit(t.Context(), c.f))
			if !slices.Equal(auditIDs(got), auditIDs(c.want)) {
				t.Errorf("ids = %v, want %v", auditIDs(got), auditIDs(c.want))
			}
		})
	}
}

func testListAuditPages(t *testing.T, s torii.Store) {
	var all []int64
	for i := range 5 {
		all = append(all, appendAudit(t, s, torii.AuditEvent{At: at(time.Duration(i) * time.Second), Event: torii.AuditLogout}).ID)
	}
	slices.Reverse(all) // newest first
	var paged []int64
	before := int64(0)
	for range 4 {
		page := must[[]torii.AuditEvent](t)(s.ListAudit(t.Context(), torii.AuditFilter{Before: before, Limit: 2}))
		if len(page) == 0 {
			break
		}
		paged = append(paged, auditIDs(page)...)
		before = page[len(page)-1].ID
	}
	if !slices.Equal(paged, all) {
		t.Errorf("paged ids = %v, want %v", paged, all)
	}
}

func testListAuditAfter(t *testing.T, s torii.Store) {
	names := []string{torii.AuditLogout, torii.AuditSignInSuccess, torii.AuditUserStatus, torii.AuditLogout, torii.AuditAllowlistRemove, torii.AuditUserStatus}
	var ids []int64
	for i, name := range names {
		ids = append(ids, appendAudit(t, s, torii.AuditEvent{At: at(time.Duration(i) * time.Second), Event: name}).ID)
	}
	watched := []string{torii.AuditUserStatus, torii.AuditAllowlistRemove}
	var followed []int64
	var after int64 // from the first event
	for range 4 {
		page := must[[]torii.AuditEvent](t)(s.ListAudit(t.Context(), torii.AuditFilter{Forward: true, After: after, Events: watched, Limit: 2}))
		if len(page) == 0 {
			break
		}
		followed = append(followed, auditIDs(page)...)
		after = page[len(page)-1].ID
	}
	if want := []int64{ids[2], ids[4], ids[5]}; !slices.Equal(followed, want) {
		t.Errorf("followed ids = %v, want %v (oldest first, watched events only)", followed, want)
	}
}

func testPruneAudit(t *testing.T, s torii.Store) {
	before := at(time.Hour)
	appendAudit(t, s, torii.AuditEvent{At: t0, Event: torii.AuditLogout})
	appendAudit(t, s, torii.AuditEvent{At: before.Add(-time.Microsecond), Event: torii.AuditLogout})
	kept := []torii.AuditEvent{
		appendAudit(t, s, torii.AuditEvent{At: before, Event: torii.AuditLogout}),
		appendAudit(t, s, torii.AuditEvent{At: before.Add(time.Hour), Event: torii.AuditLogout}),
	}
	if n := must[int64](t)(s.PruneAudit(t.Context(), before)); n != 2 {
		t.Errorf("pruned %d events, want 2", n)
	}
	got := must[[]torii.AuditEvent](t)(s.ListAudit(t.Context(), torii.AuditFilter{}))
	slices.Reverse(kept)
	same(t, "kept events", got, kept)
}
