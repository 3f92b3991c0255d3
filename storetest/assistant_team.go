package storetest

import (
	"strconv"
	"testing"
	"time"

	"github.com/toriihq/torii"
)

var assistantTeamTests = []test{
	{"AssistantUsage_TokensUsedCountsFromTheBoundaries", testTokensUsedBoundaries},
	{"AssistantUsage_ReportGroupsByUserGroupModelAndDay", testUsageReport},
	{"AssistantUsage_OfMessagesReturnsTheReplysUsage", testUsageOfMessages},
	{"AssistantQuota_OverridesSetListAndRemove", testQuotaOverrides},
	{"AssistantRoom_SettingsRoundTrip", testRoomAssistantRoundTrip},
	{"AssistantModelGroups_ReplaceTheList", testModelGroups},
	{"AssistantRun_OneLiveRunPerRoomAndAbandonedTakenOver", testRunsClaim},
	{"AssistantRun_UpdateReportsStopAndLostRuns", testRunsUpdateStop},
	{"AssistantRun_TakeAbandonedHandsEachOnce", testRunsTakeAbandoned},
	{"AssistantTitle_MarkTakenOnceAndKeptApartFromSettings", testAutoTitleTakenOnce},
}

func usageRow(s torii.Store, t *testing.T, user, room int64, model string, total int64, at time.Time) torii.AssistantUsage {
	t.Helper()
	return must[torii.AssistantUsage](t)(s.RecordUsage(t.Context(), torii.AssistantUsage{UserID: user, RoomID: room,
		Model: model, PromptTokens: total - 1, OutputTokens: 1, TotalTokens: total, CreatedAt: at}))
}

func testTokensUsedBoundaries(t *testing.T, s torii.Store) {
	u := newUser(t, s, "ann@example.com")
	day := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	month := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	usageRow(s, t, u.ID, 1, "m", 1000, month.Add(-time.Microsecond)) // last month
	usageRow(s, t, u.ID, 1, "m", 100, month)                         // first instant of the month
	usageRow(s, t, u.ID, 1, "m", 10, day.Add(-time.Microsecond))     // yesterday
	usageRow(s, t, u.ID, 1, "m", 1, day)                             // first instant of the day
	d, m, err := s.TokensUsed(t.Context(), u.ID, day, month)
	ok(t, err)
	if d != 1 || m != 111 {
		t.Fatalf("TokensUsed = %d, %d; want 1 today and 111 this month", d, m)
	}
}

func testUsageReport(t *testing.T, s torii.Store) {
	ctx := t.Context()
	ann, bob := newUser(t, s, "ann@example.com"), newUser(t, s, "bob@example.com")
	g := newGroup(t, s, "Research", nil)
	ok(t, s.SetGroupMember(ctx, torii.GroupMember{GroupID: g.ID, UserID: bob.ID, Role: torii.GroupRoleMember, CreatedAt: t0}))
	d1 := time.Date(2026, 3, 10, 23, 0, 0, 0, time.UTC)
	usageRow(s, t, ann.ID, 1, "flash", 10, d1)
	usageRow(s, t, bob.ID, 1, "pro", 20, d1)
	usageRow(s, t, bob.ID, 1, "pro", 40, d1.Add(2*time.Hour))
	usageRow(s, t, bob.ID, 1, "pro", 80, d1.Add(48*time.Hour)) // outside [from, to)
	f := torii.UsageFilter{From: d1.Add(-time.Hour), To: d1.Add(24 * time.Hour)}
	report := func(by string, user *int64) []torii.UsageRow {
		f.By, f.UserID = by, user
		return must[[]torii.UsageRow](t)(s.UsageReport(ctx, f))
	}
	key := func(id int64) string { return strconv.FormatInt(id, 10) }
	same(t, "by user", report(torii.UsageByUser, nil), []torii.UsageRow{
		{Key: key(ann.ID), Requests: 1, PromptTokens: 9, OutputTokens: 1, TotalTokens: 10},
		{Key: key(bob.ID), Requests: 2, PromptTokens: 58, OutputTokens: 2, TotalTokens: 60}})
	same(t, "by group", report(torii.UsageByGroup, nil), []torii.UsageRow{
		{Key: key(g.ID), Requests: 2, PromptTokens: 58, OutputTokens: 2, TotalTokens: 60}})
	same(t, "by model", report(torii.UsageByModel, nil), []torii.UsageRow{
		{Key: "flash", Requests: 1, PromptTokens: 9, OutputTokens: 1, TotalTokens: 10},
		{Key: "pro", Requests: 2, PromptTokens: 58, OutputTokens: 2, TotalTokens: 60}})
	same(t, "by day (UTC)", report(torii.UsageByDay, nil), []torii.UsageRow{
		{Key: "2026-03-10", Requests: 2, PromptTokens: 28, OutputTokens: 2, TotalTokens: 30},
		{Key: "2026-03-11", Requests: 1, PromptTokens: 39, OutputTokens: 1, TotalTokens: 40}})
	same(t, "one user's", report(torii.UsageByModel, &ann.ID), []torii.UsageRow{
		{Key: "flash", Requests: 1, PromptTokens: 9, OutputTokens: 1, TotalTokens: 10}})
	_, err := s.UsageReport(ctx, torii.UsageFilter{From: f.From, To: f.To, By: "room"})
	hasCode(t, err, torii.EValidation)
}

func testUsageOfMessages(t *testing.T, s torii.Store) {
	ctx := t.Context()
	ann := newUser(t, s, "ann@example.com")
	r := must[torii.Room](t)(s.CreateRoom(ctx, torii.Room{Name: "r", Visibility: torii.RoomPrivate, CreatedBy: &ann.ID, CreatedAt: t0}))
	m, _, err := s.CreateMessage(ctx, torii.Message{RoomID: r.ID, Author: torii.AuthorAssistant, Body: "hi", CreatedAt: t0})
	ok(t, err)
	u := must[torii.AssistantUsage](t)(s.RecordUsage(ctx, torii.AssistantUsage{UserID: ann.ID, RoomID: r.ID, MessageID: &m.ID,
		Model: "flash", PromptTokens: 3, OutputTokens: 4, ThoughtsTokens: 5, TotalTokens: 12,
		SourcesJSON: `[{"title":"Go","uri":"https://go.dev/"}]`, CreatedAt: t0}))
	got := must[map[int64]torii.AssistantUsage](t)(s.UsageOfMessages(ctx, []int64{m.ID, m.ID + 100}))
	same(t, "usage of messages", got, map[int64]torii.AssistantUsage{m.ID: u})
}

func testQuotaOverrides(t *testing.T, s torii.Store) {
	ctx := t.Context()
	ann := newUser(t, s, "ann@example.com")
	g1, g2 := newGroup(t, s, "A", nil), newGroup(t, s, "B", nil)
	for _, g := range []torii.Group{g1, g2} {
		ok(t, s.SetGroupMember(ctx, torii.GroupMember{GroupID: g.ID, UserID: ann.ID, Role: torii.GroupRoleMember, CreatedAt: t0}))
	}
	ok(t, s.SetGroupQuota(ctx, g1.ID, torii.TokenQuota{Daily: ptr[int64](100)}))
	ok(t, s.SetGroupQuota(ctx, g2.ID, torii.TokenQuota{Monthly: ptr[int64](0)}))
	ok(t, s.SetUserQuota(ctx, ann.ID, torii.TokenQuota{Daily: ptr[int64](5), Monthly: ptr[int64](50)}))
	own, groups, err := s.QuotasOf(ctx, ann.ID)
	ok(t, err)
	same(t, "own", own, &torii.TokenQuota{Daily: ptr[int64](5), Monthly: ptr[int64](50)})
	same(t, "groups", groups, []torii.TokenQuota{{Daily: ptr[int64](100)}, {Monthly: ptr[int64](0)}})
	same(t, "overrides", must[[]torii.QuotaOverride](t)(s.QuotaOverrides(ctx)), []torii.QuotaOverride{
		{Subject: "user", ID: ann.ID, TokenQuota: torii.TokenQuota{Daily: ptr[int64](5), Monthly: ptr[int64](50)}},
		{Subject: "group", ID: g1.ID, TokenQuota: torii.TokenQuota{Daily: ptr[int64](100)}},
		{Subject: "group", ID: g2.ID, TokenQuota: torii.TokenQuota{Monthly: ptr[int64](0)}}})
	ok(t, s.SetUserQuota(ctx, ann.ID, torii.TokenQuota{}))
	own, _, err = s.QuotasOf(ctx, ann.ID)
	ok(t, err)
	if own != nil {
		t.Fatalf("own override after removal = %+v", own)
	}
	is(t, s.SetGroupQuota(ctx, g2.ID+100, torii.TokenQuota{Daily: ptr[int64](1)}), torii.ErrNotFound)
}

func testRoomAssistantRoundTrip(t *testing.T, s torii.Store) {
	ctx := t.Context()
	ann := newUser(t, s, "ann@example.com")
	r := must[torii.Room](t)(s.CreateRoom(ctx, torii.Room{Name: "r", Visibility: torii.RoomPrivate, Assistant: true, CreatedBy: &ann.ID, CreatedAt: t0}))
	same(t, "defaults", must[torii.RoomAssistant](t)(s.RoomAssistant(ctx, r.ID)), torii.RoomAssistant{RoomID: r.ID})
	want := torii.RoomAssistant{RoomID: r.ID, Model: "pro", SystemPrompt: "Be terse.", Grounding: true}
	ok(t, s.SetRoomAssistant(ctx, want))
	same(t, "set", must[torii.RoomAssistant](t)(s.RoomAssistant(ctx, r.ID)), want)
	want.Grounding = false
	ok(t, s.SetRoomAssistant(ctx, want))
	same(t, "changed", must[torii.RoomAssistant](t)(s.RoomAssistant(ctx, r.ID)), want)
}

func testModelGroups(t *testing.T, s torii.Store) {
	ctx := t.Context()
	g1, g2 := newGroup(t, s, "A", nil), newGroup(t, s, "B", nil)
	ok(t, s.SetModelGroups(ctx, "pro", []int64{g2.ID, g1.ID, g1.ID}))
	same(t, "limited", must[map[string][]int64](t)(s.ModelGroups(ctx)), map[string][]int64{"pro": {g1.ID, g2.ID}})
	ok(t, s.SetModelGroups(ctx, "pro", nil))
	same(t, "unlimited", must[map[string][]int64](t)(s.ModelGroups(ctx)), map[string][]int64{})
}

func newRun(t *testing.T, s torii.Store, id string, lease time.Time) torii.AssistantRun {
	t.Helper()
	ann := newUserOnce(t, s)
	rooms := must[[]torii.Room](t)(s.RoomsVisibleTo(t.Context(), ann))
	return torii.AssistantRun{RoomID: rooms[0].ID, RunID: id, UserID: ann, ReplyTo: 1, LeaseUntil: lease, StartedAt: t0}
}

func newUserOnce(t *testing.T, s torii.Store) int64 {
	if u, err := s.UserByEmail(t.Context(), "runner@example.com"); err == nil {
		return u.ID
	}
	return newUser(t, s, "runner@example.com").ID
}

func testRunsClaim(t *testing.T, s torii.Store) {
	ctx := t.Context()
	a := newRun(t, s, "a", at(10*time.Second))
	if old, err := s.ClaimRun(ctx, a, t0); err != nil || old != nil {
		t.Fatalf("first claim: %v, %v", old, err)
	}
	b := newRun(t, s, "b", at(20*time.Second))
	_, err := s.ClaimRun(ctx, b, at(10*time.Second-time.Microsecond))
	is(t, err, torii.ErrConflict)
	old, err := s.ClaimRun(ctx, b, at(10*time.Second))
	ok(t, err)
	if old == nil || old.RunID != "a" {
		t.Fatalf("abandoned = %+v, want run a", old)
	}
	same(t, "room's run", must[torii.AssistantRun](t)(s.RunOf(ctx, b.RoomID)).RunID, "b")
}

func testRunsUpdateStop(t *testing.T, s torii.Store) {
	ctx := t.Context()
	a := newRun(t, s, "a", at(10*time.Second))
	_, err := s.ClaimRun(ctx, a, t0)
	ok(t, err)
	stop, err := s.UpdateRun(ctx, a.RoomID, "a", 7, "Hello", at(30*time.Second))
	ok(t, err)
	if stop {
		t.Fatal("stop before any was asked")
	}
	ok(t, s.RequestStop(ctx, a.RoomID))
	stop, err = s.UpdateRun(ctx, a.RoomID, "a", 7, "Hello, wor", at(40*time.Second))
	ok(t, err)
	got := must[torii.AssistantRun](t)(s.RunOf(ctx, a.RoomID))
	if !stop || got.Body != "Hello, wor" || got.ReplyTo != 7 || !got.LeaseUntil.Equal(at(40*time.Second)) {
		t.Fatalf("stop %v, run %+v", stop, got)
	}
	_, err = s.UpdateRun(ctx, a.RoomID, "other", 7, "x", at(50*time.Second))
	is(t, err, torii.ErrNotFound)
	ok(t, s.EndRun(ctx, a.RoomID, "a"))
	_, err = s.RunOf(ctx, a.RoomID)
	is(t, err, torii.ErrNotFound)
	is(t, s.RequestStop(ctx, a.RoomID), torii.ErrNotFound)
}

func testRunsTakeAbandoned(t *testing.T, s torii.Store) {
	ctx := t.Context()
	a := newRun(t, s, "a", at(10*time.Second))
	_, err := s.ClaimRun(ctx, a, t0)
	ok(t, err)
	if got := must[[]torii.AssistantRun](t)(s.TakeAbandonedRuns(ctx, at(10*time.Second))); len(got) != 0 {
		t.Fatalf("taken while the lease holds: %+v", got)
	}
	got := must[[]torii.AssistantRun](t)(s.TakeAbandonedRuns(ctx, at(11*time.Second)))
	if len(got) != 1 || got[0].RunID != "a" {
		t.Fatalf("taken %+v, want run a", got)
	}
	if again := must[[]torii.AssistantRun](t)(s.TakeAbandonedRuns(ctx, at(11*time.Second))); len(again) != 0 {
		t.Fatalf("taken twice: %+v", again)
	}
}

func testAutoTitleTakenOnce(t *testing.T, s torii.Store) {
	ctx := t.Context()
	ann := newUser(t, s, "ann@example.com")
	r := must[torii.Room](t)(s.CreateRoom(ctx, torii.Room{Name: "r", Visibility: torii.RoomPrivate, Assistant: true, CreatedBy: &ann.ID, CreatedAt: t0}))
	if must[bool](t)(s.TakeAutoTitle(ctx, r.ID)) {
		t.Fatal("a room never marked gave its title mark")
	}
	ok(t, s.MarkAutoTitle(ctx, r.ID))
	// The mark lives beside the settings: setting them keeps it, and it
	// does not show in them.
	set := torii.RoomAssistant{RoomID: r.ID, Model: "pro", SystemPrompt: "Be terse."}
	ok(t, s.SetRoomAssistant(ctx, set))
	same(t, "settings", must[torii.RoomAssistant](t)(s.RoomAssistant(ctx, r.ID)), set)
	if !must[bool](t)(s.TakeAutoTitle(ctx, r.ID)) {
		t.Fatal("the mark was not taken")
	}
	if must[bool](t)(s.TakeAutoTitle(ctx, r.ID)) {
		t.Fatal("the mark was taken twice")
	}
	same(t, "settings after", must[torii.RoomAssistant](t)(s.RoomAssistant(ctx, r.ID)), set)
}
