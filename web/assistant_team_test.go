package web_test

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/toriihq/torii/app"
	"github.com/toriihq/torii/gemini/geminitest"
	"github.com/toriihq/torii/testserver"
)

// startTeam runs torii with the assistant on (the real SDK against the
// fake), boss@example.com as admin, and the given clock.
func startTeam(t *testing.T, env map[string]string, clock *testserver.Clock) (*testserver.Server, *geminitest.Server) {
	t.Helper()
	fake := geminitest.New(t)
	fake.Key = "test-gemini-key"
	e := map[string]string{
		"TORII_GEMINI_API_KEY":       "test-gemini-key",
		"TORII_GEMINI_BASE_URL":      fake.URL,
		"TORII_GEMINI_MODELS":        "gemini-flash-test,gemini-pro-test",
		"TORII_GEMINI_SYSTEM_PROMPT": "You are the torii test assistant.",
		"TORII_ADMIN_EMAILS":         "boss@example.com",
	}
	for k, v := range env {
		e[k] = v
	}
	opts := testserver.Options{Env: e}
	if clock != nil {
		opts.AppOptions = app.Options{Now: clock.Now}
	}
	return testserver.Start(t, opts), fake
}

// ask posts body in room, waits for the reply to end (done or error) on
// events, and returns the end event.
func ask(t *testing.T, c *testserver.Client, events *stream, room int64, body string) event {
	t.Helper()
	said(t, c, room, body)
	for {
		e := events.next()
		if e.Kind == "assistant.done" || e.Kind == "assistant.error" {
			return e
		}
	}
}

type replyOut struct {
	ID      int64
	Author  string
	Body    string
	Model   string
	Usage   *struct{ PromptTokens, OutputTokens, ThoughtsTokens, TotalTokens int64 }
	Sources []struct{ Title, URI string }
}

func lastReply(t *testing.T, c *testserver.Client, room int64) replyOut {
	t.Helper()
	r := c.Do("GET", fmt.Sprintf("/api/v1/rooms/%d/messages?limit=1", room), nil)
	var out struct{ Messages []replyOut }
	r.Decode(t, &out)
	if len(out.Messages) != 1 || out.Messages[0].Author != "assistant" {
		t.Fatalf("last message: %s", r.Body)
	}
	return out.Messages[0]
}

type usageRows struct {
	Rows []struct {
		Key, Label                                        string
		Requests, PromptTokens, OutputTokens, TotalTokens int64
	}
	Quota struct{ Daily, Monthly, UsedToday, UsedThisMonth int64 }
}

func TestAssistantUsage_StoredFromUsageMetadataAndReported(t *testing.T) {
	clock := testserver.NewClock(time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC))
	srv, fake := startTeam(t, nil, clock)
	boss := adminClient(t, srv)
	ada := person(t, srv, "ada@example.com", "Ada")
	room := makeRoom(t, ada, "Ask", "private", true)
	events := watch(t, srv, ada, room)
	fake.Enqueue(geminitest.Reply{Chunks: []string{"Hi"}, Usage: &geminitest.Usage{Prompt: 100, Candidates: 20, Thoughts: 30, Total: 150}})
	if e := ask(t, ada, events, room, "hello"); e.Kind != "assistant.done" {
		t.Fatalf("reply ended with %s %s", e.Kind, e.Data)
	}
	got := lastReply(t, ada, room)
	if got.Model != "gemini-flash-test" || got.Usage == nil || *got.Usage != (struct{ PromptTokens, OutputTokens, ThoughtsTokens, TotalTokens int64 }{100, 20, 30, 150}) {
		t.Fatalf("reply model %q usage %+v, want the default model and the fake's usageMetadata", got.Model, got.Usage)
	}
	// The stream's message event carries them too (replay after the question).
	clock.Advance(24 * time.Hour)
	fake.Enqueue(geminitest.Reply{Chunks: []string{"Again"}, Usage: &geminitest.Usage{Prompt: 7, Candidates: 3, Total: 10}})
	ask(t, ada, events, room, "again")

	var mine usageRows
	ada.Do("GET", "/api/v1/me/usage?by=day&from=2026-12-01&to=2026-12-03", nil).Decode(t, &mine)
	if len(mine.Rows) != 2 || mine.Rows[0].Key != "2026-12-02" || mine.Rows[0].TotalTokens != 150 ||
		mine.Rows[1].Key != "2026-12-03" || mine.Rows[1].PromptTokens != 7 || mine.Quota.UsedToday != 10 || mine.Quota.UsedThisMonth != 160 {
		t.Fatalf("my usage %+v", mine)
	}
	var byUser usageRows
	r := boss.Do("GET", "/api/v1/admin/usage?by=user&from=2026-12-02&to=2026-12-02", nil)
	r.Decode(t, &byUser)
	if len(byUser.Rows) != 1 || byUser.Rows[0].Label != "ada@example.com" || byUser.Rows[0].Requests != 1 ||
		byUser.Rows[0].PromptTokens != 100 || byUser.Rows[0].OutputTokens != 20 || byUser.Rows[0].TotalTokens != 150 {
		t.Fatalf("yesterday's usage per person: %s", r.Body)
	}
	var byModel usageRows
	boss.Do("GET", "/api/v1/admin/usage?by=model&from=2026-12-01", nil).Decode(t, &byModel)
	if len(byModel.Rows) != 1 || byModel.Rows[0].Key != "gemini-flash-test" || byModel.Rows[0].Requests != 2 || byModel.Rows[0].TotalTokens != 160 {
		t.Fatalf("usage by model %+v", byModel)
	}
	c := boss.Do("GET", "/api/v1/admin/usage?by=group&from=2026-12-01&format=csv", nil)
	recs, err := csv.NewReader(strings.NewReader(string(c.Body))).ReadAll()
	if err != nil || !strings.HasPrefix(c.Header.Get("Content-Type"), "text/csv") || len(recs) != 2 ||
		strings.Join(recs[0], ",") != "key,label,requests,promptTokens,outputTokens,totalTokens" || recs[1][1] != "everyone" || recs[1][5] != "160" {
		t.Fatalf("csv %q %v: %s", c.Header.Get("Content-Type"), err, c.Body)
	}
	wantError(t, boss.Do("GET", "/api/v1/admin/usage?by=room", nil), http.StatusUnprocessableEntity, "VALIDATION_ERROR")
	wantError(t, ada.Do("GET", "/api/v1/admin/usage", nil), http.StatusForbidden, "FORBIDDEN")
}

func TestAssistantSettings_FakeReceivesTheConversationsModelInstructionAndGrounding(t *testing.T) {
	srv, fake := startTeam(t, nil, nil)
	ada := person(t, srv, "ada@example.com", "Ada")
	room := makeRoom(t, ada, "Ask", "private", true)
	path := fmt.Sprintf("/api/v1/rooms/%d", room)
	r := ada.Do("PATCH", path, map[string]any{"model": "gemini-pro-test", "systemPrompt": "Answer like a pirate.", "grounding": true})
	if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"model":"gemini-pro-test"`) {
		t.Fatalf("PATCH: %d %s", r.Status, r.Body)
	}
	events := watch(t, srv, ada, room)
	fake.Enqueue(geminitest.Reply{Chunks: []string{"Arr"}, Sources: []geminitest.Source{{Title: "Pirates", URI: "https://example.com/pirates"}}})
	ask(t, ada, events, room, "hello")
	req := fake.Requests()[len(fake.Requests())-1]
	if req.Model != "gemini-pro-test" || !strings.HasPrefix(req.System(), "Answer like a pirate.") || !req.GoogleSearch() {
		t.Fatalf("fake received model %q system %q tools %v", req.Model, req.System(), req.Tools)
	}
	got := lastReply(t, ada, room)
	if got.Model != "gemini-pro-test" || len(got.Sources) != 1 || got.Sources[0].URI != "https://example.com/pirates" {
		t.Fatalf("reply %+v, want the model and the grounding source", got)
	}
	// Back to the defaults: the server's instruction, no tool.
	ada.Do("PATCH", path, map[string]any{"model": "gemini-flash-test", "systemPrompt": "", "grounding": false})
	ask(t, ada, events, room, "again")
	req = fake.Requests()[len(fake.Requests())-1]
	if req.Model != "gemini-flash-test" || !strings.HasPrefix(req.System(), "You are the torii test assistant.") || req.GoogleSearch() {
		t.Fatalf("after reset: model %q system %q tools %v", req.Model, req.System(), req.Tools)
	}
}

func TestAssistantSettings_OwnerOnlyAndOnlyOfferedModels(t *testing.T) {
	srv, _ := startTeam(t, nil, nil)
	boss := adminClient(t, srv)
	ada := person(t, srv, "ada@example.com", "Ada")
	bob := person(t, srv, "bob@example.com", "Bob")
	room := makeRoom(t, ada, "Shared", "public", true)
	path := fmt.Sprintf("/api/v1/rooms/%d", room)
	wantError(t, bob.Do("PATCH", path, map[string]any{"systemPrompt": "x"}), http.StatusForbidden, "FORBIDDEN")
	wantError(t, ada.Do("PATCH", path, map[string]any{"model": "gemini-ultra"}), http.StatusUnprocessableEntity, "VALIDATION_ERROR")
	plain := makeRoom(t, ada, "Plain", "private", false)
	wantError(t, ada.Do("PATCH", fmt.Sprintf("/api/v1/rooms/%d", plain), map[string]any{"model": "gemini-flash-test"}), http.StatusUnprocessableEntity, "VALIDATION_ERROR")

	// The admin gives the research group gemini-pro-test: Ada, outside
	// it, may no longer pick it; Bob, inside, may.
	r := boss.Do("POST", "/api/v1/groups", map[string]string{"name": "Research"})
	if r.Status != http.StatusCreated {
		t.Fatalf("create group: %d %s", r.Status, r.Body)
	}
	var g struct{ Group struct{ ID int64 } }
	r.Decode(t, &g)
	research := g.Group.ID
	// A site admin adds a member at once (an admin's act, security.md I.45).
	wantStatus(t, "add bob", boss.Do("POST", fmt.Sprintf("/api/v1/groups/%d/members", research), map[string]any{"userId": userID(t, bob)}), http.StatusCreated)
	wantStatus(t, "limit the model", boss.Do("PUT", "/api/v1/admin/models/gemini-pro-test/groups", map[string]any{"groupIds": []int64{research}}), http.StatusOK)
	wantError(t, ada.Do("PATCH", path, map[string]any{"model": "gemini-pro-test"}), http.StatusUnprocessableEntity, "VALIDATION_ERROR")
	bobRoom := makeRoom(t, bob, "Bob's", "private", true)
	wantStatus(t, "bob picks pro", bob.Do("PATCH", fmt.Sprintf("/api/v1/rooms/%d", bobRoom), map[string]any{"model": "gemini-pro-test"}), http.StatusOK)
	var models struct{ Models []struct{ Name string } }
	ada.Do("GET", "/api/v1/assistant/models", nil).Decode(t, &models)
	if len(models.Models) != 1 || models.Models[0].Name != "gemini-flash-test" {
		t.Fatalf("models offered to Ada: %+v", models)
	}
}
