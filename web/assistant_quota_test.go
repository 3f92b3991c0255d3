package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/toriihq/torii/gemini/geminitest"
	"github.com/toriihq/torii/testserver"
)

// Each reply of the fake costs 15 tokens (geminitest.DefaultUsage).

func wantQuotaExceeded(t *testing.T, r *testserver.Response, retryAfter time.Duration, resets string) {
	t.Helper()
	wantError(t, r, http.StatusTooManyRequests, "ASSISTANT_QUOTA_EXCEEDED")
	if got, want := r.Header.Get("Retry-After"), fmt.Sprint(int(retryAfter.Seconds())); got != want {
		t.Errorf("Retry-After %q, want %q", got, want)
	}
	if msg, _ := r.JSON()["error"].(map[string]any)["message"].(string); !strings.Contains(msg, resets) {
		t.Errorf("message %q does not say it resets at %s", msg, resets)
	}
}

func TestAssistantQuota_TheRequestThatCrossesIsServedTheNextRefusedUntilTheDayResets(t *testing.T) {
	clock := testserver.NewClock(time.Date(2026, 12, 2, 22, 0, 0, 0, time.UTC))
	srv, fake := startTeam(t, map[string]string{"TORII_ASSISTANT_QUOTA_DAILY": "20"}, clock)
	ada := person(t, srv, "ada@example.com", "Ada")
	room := makeRoom(t, ada, "Ask", "private", true)
	events := watch(t, srv, ada, room)
	ask(t, ada, events, room, "one") // 15 used: under 20
	ask(t, ada, events, room, "two") // 15 < 20: served, crosses to 30
	asked := len(fake.Requests())
	wantQuotaExceeded(t, say(t, ada, room, "three"), 2*time.Hour, "2026-12-03 00:00 UTC")
	if len(fake.Requests()) != asked || len(roomHistory(t, ada, room)) != 4 {
		t.Fatal("a refused request reached Gemini or was stored")
	}
	clock.Advance(2*time.Hour - time.Second)
	wantQuotaExceeded(t, say(t, ada, room, "still today"), time.Second, "2026-12-03 00:00 UTC")
	clock.Advance(time.Second) // midnight UTC: a new day
	if e := ask(t, ada, events, room, "tomorrow"); e.Kind != "assistant.done" {
		t.Fatalf("after the reset: %s %s", e.Kind, e.Data)
	}
}

func TestAssistantQuota_MonthlyBudgetResetsAtTheMonth(t *testing.T) {
	clock := testserver.NewClock(time.Date(2026, 12, 31, 12, 0, 0, 0, time.UTC))
	srv, _ := startTeam(t, map[string]string{"TORII_ASSISTANT_QUOTA_MONTHLY": "10"}, clock)
	ada := person(t, srv, "ada@example.com", "Ada")
	room := makeRoom(t, ada, "Ask", "private", true)
	events := watch(t, srv, ada, room)
	ask(t, ada, events, room, "one")
	wantQuotaExceeded(t, say(t, ada, room, "two"), 12*time.Hour, "2027-01-01 00:00 UTC")
	clock.Advance(12 * time.Hour)
	ask(t, ada, events, room, "new month")
}

func TestAssistantQuota_PerUserOverrideBeatsTheGroupsMostGenerousWins(t *testing.T) {
	clock := testserver.NewClock(time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC))
	srv, _ := startTeam(t, map[string]string{"TORII_ASSISTANT_QUOTA_DAILY": "10"}, clock)
	boss := adminClient(t, srv)
	ada := person(t, srv, "ada@example.com", "Ada")
	bob := person(t, srv, "bob@example.com", "Bob")
	everyone := groupIDByName(t, ada, "everyone")
	put := func(path string, body any) {
		t.Helper()
		wantStatus(t, "PUT "+path, boss.Do("PUT", path, body), http.StatusOK)
	}
	// The group's 1000 beats the default's 10 (the most generous wins)...
	put(fmt.Sprintf("/api/v1/admin/quotas/groups/%d", everyone), map[string]any{"daily": 1000})
	// ...but Ada's own override is the last word, even when lower.
	put(fmt.Sprintf("/api/v1/admin/quotas/users/%d", userID(t, ada)), map[string]any{"daily": 5, "monthly": nil})
	for _, c := range []*testserver.Client{ada, bob} {
		room := makeRoom(t, c, "Ask", "private", true)
		events := watch(t, srv, c, room)
		ask(t, c, events, room, "one") // 15 tokens: over 5 and 10, under 1000
		r := say(t, c, room, "two")
		switch c {
		case ada:
			wantQuotaExceeded(t, r, 12*time.Hour, "2026-12-03 00:00 UTC")
		case bob:
			wantStatus(t, "bob under the group's budget", r, http.StatusCreated)
			events.expect("message") // his question; the reply follows
		}
	}
	wantError(t, boss.Do("PUT", "/api/v1/admin/quotas/users/999999", map[string]any{"daily": 1}), http.StatusNotFound, "NOT_FOUND")
	wantError(t, boss.Do("PUT", fmt.Sprintf("/api/v1/admin/quotas/users/%d", userID(t, ada)), map[string]any{"daily": -1}), http.StatusUnprocessableEntity, "VALIDATION_ERROR")
	wantError(t, ada.Do("PUT", fmt.Sprintf("/api/v1/admin/quotas/users/%d", userID(t, ada)), map[string]any{"daily": 0}), http.StatusForbidden, "FORBIDDEN")
	// Removing Ada's override leaves her to the group's 1000.
	put(fmt.Sprintf("/api/v1/admin/quotas/users/%d", userID(t, ada)), map[string]any{"daily": nil, "monthly": nil})
	wantStatus(t, "ada after removal", say(t, ada, makeRoom(t, ada, "Again", "private", true), "hi"), http.StatusCreated)
}

func TestAssistantQuota_TwoInstancesShareTheCount(t *testing.T) {
	db := testserver.PostgresDatabase(t)
	fake := geminitest.New(t)
	env := map[string]string{"TORII_DATABASE": db, "TORII_GEMINI_API_KEY": "k", "TORII_GEMINI_BASE_URL": fake.URL,
		"TORII_ASSISTANT_QUOTA_DAILY": "20"}
	a := testserver.Start(t, testserver.Options{Env: env})
	b := testserver.Start(t, testserver.Options{Env: env})
	onA := person(t, a, "ada@example.com", "Ada")
	room := makeRoom(t, onA, "Ask", "private", true)
	events := watch(t, a, onA, room)
	ask(t, onA, events, room, "one")
	ask(t, onA, events, room, "two") // 30 tokens used, on instance A
	onB := b.Client(t)
	wantStatus(t, "sign in on B", onB.Do("POST", "/api/v1/auth/login", map[string]string{"email": "ada@example.com", "password": goodPassword}), http.StatusOK)
	wantError(t, say(t, onB, room, "three"), http.StatusTooManyRequests, "ASSISTANT_QUOTA_EXCEEDED")
}
