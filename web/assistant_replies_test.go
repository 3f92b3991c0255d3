package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/toriihq/torii/gemini/geminitest"
	"github.com/toriihq/torii/testserver"
)

// Working with replies (docs/api.md): regenerate, edit and resend, export,
// generated titles, and the audit of the team settings.

// untilEnd reads events up to the end of a reply (done or error) and
// returns the kinds seen and the end event.
func untilEnd(t *testing.T, events *stream) ([]string, event) {
	t.Helper()
	var kinds []string
	for {
		e := events.next()
		kinds = append(kinds, e.Kind)
		if e.Kind == "assistant.done" || e.Kind == "assistant.error" {
			return kinds, e
		}
	}
}

func regenerate(c *testserver.Client, room int64) *testserver.Response {
	return c.Do("POST", fmt.Sprintf("/api/v1/rooms/%d/assistant/regenerate", room), nil)
}

func resend(c *testserver.Client, room, id int64, body string) *testserver.Response {
	return c.Do("POST", fmt.Sprintf("/api/v1/rooms/%d/assistant/resend", room), map[string]any{"messageId": id, "body": body})
}

// lastAsked is the text of the last user turn the fake received in a
// streamed request.
func lastAsked(t *testing.T, fake *geminitest.Server) string {
	t.Helper()
	reqs := fake.Requests()
	for i := len(reqs) - 1; i >= 0; i-- {
		if reqs[i].Stream {
			cs := reqs[i].Contents
			return cs[len(cs)-1].Text()
		}
	}
	t.Fatal("no streamed request")
	return ""
}

func wantMessage(t *testing.T, r *testserver.Response, status int, code, message string) {
	t.Helper()
	wantError(t, r, status, code)
	if got, _ := r.JSON()["error"].(map[string]any)["message"].(string); got != message {
		t.Errorf("message %q, want %q", got, message)
	}
}

func TestAssistantRegenerate_ReplacesTheLastReplyByANewAnswerToTheSameQuestion(t *testing.T) {
	srv, fake := startAssistant(t, nil)
	ada := person(t, srv, "ada@example.com", "Ada")
	room := makeRoom(t, ada, "Ask", "private", true)
	events := watch(t, srv, ada, room)
	ask(t, ada, events, room, "What is 2+2?")
	first := roomHistory(t, ada, room)[1]
	fake.Enqueue(geminitest.Text("Four."))
	r := regenerate(ada, room)
	wantStatus(t, "regenerate", r, http.StatusAccepted)
	var out struct{ Message messageOut }
	r.Decode(t, &out)
	if out.Message.Body != "What is 2+2?" {
		t.Fatalf("regenerate answered %+v, want the question", out.Message)
	}
	kinds, end := untilEnd(t, events)
	// The old reply goes before the new one streams.
	if end.Kind != "assistant.done" || kinds[0] != "message.delete" {
		t.Fatalf("events %q", kinds)
	}
	if got := lastAsked(t, fake); !strings.HasSuffix(got, "What is 2+2?") {
		t.Fatalf("the model was asked %q", got)
	}
	h := roomHistory(t, ada, room)
	live := []string{}
	for _, m := range h {
		if m.ID == first.ID && m.Body != "" {
			t.Fatalf("the old reply kept its text: %+v", m)
		}
		if m.Body != "" {
			live = append(live, m.Author+": "+m.Body)
		}
	}
	if strings.Join(live, "|") != "user: What is 2+2?|assistant: Four." {
		t.Fatalf("history %q", live)
	}
	// A regenerate costs like a question: two requests of 15 tokens.
	var usage usageRows
	ada.Do("GET", "/api/v1/me/usage?by=model", nil).Decode(t, &usage)
	if usage.Quota.UsedToday != 30 {
		t.Fatalf("used today %d, want 30", usage.Quota.UsedToday)
	}
}

func TestAssistantResend_EditsTheLastQuestionAndAnswersTheNewText(t *testing.T) {
	srv, fake := startAssistant(t, nil)
	ada := person(t, srv, "ada@example.com", "Ada")
	room := makeRoom(t, ada, "Ask", "private", true)
	events := watch(t, srv, ada, room)
	ask(t, ada, events, room, "Capital of Frence?")
	q := roomHistory(t, ada, room)[0]
	fake.Enqueue(geminitest.Text("Paris."))
	wantStatus(t, "resend", resend(ada, room, q.ID, "Capital of France?"), http.StatusAccepted)
	kinds, end := untilEnd(t, events)
	if end.Kind != "assistant.done" || kinds[0] != "message.edit" || kinds[1] != "message.delete" {
		t.Fatalf("events %q", kinds)
	}
	if got := lastAsked(t, fake); got != "[Ada] Capital of France?" {
		t.Fatalf("the model was asked %q", got)
	}
	var live []string
	for _, m := range roomHistory(t, ada, room) {
		if m.Body != "" {
			live = append(live, m.Body)
		}
	}
	if strings.Join(live, "|") != "Capital of France?|Paris." {
		t.Fatalf("history %q", live)
	}
	var raw struct {
		Messages []struct {
			ID       int64
			EditedAt *string
		}
	}
	ada.Do("GET", fmt.Sprintf("/api/v1/rooms/%d/messages", room), nil).Decode(t, &raw)
	for _, m := range raw.Messages {
		if m.ID == q.ID && m.EditedAt == nil {
			t.Fatal("the resent question is not marked edited")
		}
	}
}

func TestAssistantRegenerate_Refusals(t *testing.T) {
	srv, fake := startAssistant(t, map[string]string{"TORII_ASSISTANT_QUOTA_DAILY": "20"})
	ada := person(t, srv, "ada@example.com", "Ada")
	bob := person(t, srv, "bob@example.com", "Bob")

	empty := makeRoom(t, ada, "Empty", "private", true)
	wantMessage(t, regenerate(ada, empty), http.StatusConflict, "CONFLICT", "There is no question to answer again in this conversation.")

	team := makeRoom(t, ada, "team", "public", false)
	wantError(t, regenerate(ada, team), http.StatusUnprocessableEntity, "VALIDATION_ERROR")

	// A Gemini conversation others can see: only the asker may redo it.
	shared := makeRoom(t, ada, "Shared", "public", true)
	events := watch(t, srv, ada, shared)
	ask(t, ada, events, shared, "one")
	wantMessage(t, regenerate(bob, shared), http.StatusForbidden, "FORBIDDEN",
		"Only the person who asked the last question can have it answered again.")
	q := roomHistory(t, ada, shared)[0]
	wantMessage(t, resend(bob, shared, q.ID, "mine now"), http.StatusForbidden, "FORBIDDEN",
		"Only the person who asked the last question can have it answered again.")
	wantError(t, regenerate(bob, makeRoom(t, ada, "Private", "private", true)), http.StatusNotFound, "NOT_FOUND")

	// A reply in progress: the room is still answering.
	gate := geminitest.NewGate()
	fake.Enqueue(geminitest.Reply{Chunks: []string{"Long "}, Gate: gate, Rest: []string{"answer."}})
	said(t, ada, shared, "two")
	<-gate.Reached()
	wantMessage(t, regenerate(ada, shared), http.StatusTooManyRequests, "RATE_LIMITED",
		"Gemini is still answering in this room. Wait for the reply or stop it.")
	gate.Release()
	untilEnd(t, events)

	// Editing a question that is not the last one.
	wantMessage(t, resend(ada, shared, q.ID, "one, again"), http.StatusConflict, "CONFLICT",
		"Only the last question can be edited and sent again.")
	wantError(t, resend(ada, shared, roomHistory(t, ada, shared)[2].ID, " "), http.StatusUnprocessableEntity, "VALIDATION_ERROR")

	// 30 tokens used of 20: a regenerate counts as a question, and is
	// refused before Gemini hears of it; the reply stays.
	asked := len(fake.Requests())
	before := roomHistory(t, ada, shared)
	wantQuotaExceededAny(t, regenerate(ada, shared))
	if len(fake.Requests()) != asked {
		t.Fatal("a refused regenerate reached Gemini")
	}
	after := roomHistory(t, ada, shared)
	if len(after) != len(before) || after[len(after)-1].Body != before[len(before)-1].Body {
		t.Fatal("a refused regenerate changed the conversation")
	}
}

func wantQuotaExceededAny(t *testing.T, r *testserver.Response) {
	t.Helper()
	wantError(t, r, http.StatusTooManyRequests, "ASSISTANT_QUOTA_EXCEEDED")
	if r.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
}

// userEvents opens c's user stream (room.update and the like).
func userEvents(t *testing.T, srv *testserver.Server, c *testserver.Client) *stream {
	t.Helper()
	return watchPath(t, srv, c, "/api/v1/events")
}

// untilRenamed reads the user stream to the room.update of room and
// returns the room's name then.
func untilRenamed(t *testing.T, c *testserver.Client, events *stream, room int64) string {
	t.Helper()
	for {
		e := events.next()
		if e.Kind != "room.update" {
			continue
		}
		var d struct {
			Room struct {
				ID   int64
				Name string
			}
			RoomID int64
		}
		e.decode(t, &d)
		if d.Room.ID == room || d.RoomID == room {
			return roomName(t, c, room)
		}
	}
}

func roomName(t *testing.T, c *testserver.Client, room int64) string {
	t.Helper()
	var out struct {
		Rooms []struct {
			ID   int64
			Name string
		}
	}
	c.Do("GET", "/api/v1/rooms", nil).Decode(t, &out)
	for _, r := range out.Rooms {
		if r.ID == room {
			return r.Name
		}
	}
	t.Fatalf("room %d not listed", room)
	return ""
}

func makeTitledRoom(t *testing.T, c *testserver.Client) int64 {
	t.Helper()
	r := c.Do("POST", "/api/v1/rooms", map[string]any{"name": "Gemini, Dec 2", "visibility": "private", "assistant": true, "autoTitle": true})
	wantStatus(t, "create", r, http.StatusCreated)
	var out struct{ Room struct{ ID int64 } }
	r.Decode(t, &out)
	return out.Room.ID
}

func TestAssistantTitle_TheFirstExchangeNamesTheConversation(t *testing.T) {
	srv, fake := startAssistant(t, nil)
	ada := person(t, srv, "ada@example.com", "Ada")
	user := userEvents(t, srv, ada)
	room := makeTitledRoom(t, ada)
	fake.Enqueue(geminitest.Text("Steep green tea at 80 °C for two minutes."))
	fake.EnqueueUnary(geminitest.Reply{Chunks: []string{"\"Brewing green tea.\"\n"}, Usage: &geminitest.Usage{Prompt: 60, Candidates: 4, Total: 64}})
	events := watch(t, srv, ada, room)
	ask(t, ada, events, room, "How do I brew green tea?")
	if got := untilRenamed(t, ada, user, room); got != "Brewing green tea" {
		t.Fatalf("title %q", got)
	}
	var title *geminitest.Request
	for _, r := range fake.Requests() {
		if !r.Stream {
			title = &r
		}
	}
	if title == nil || !strings.Contains(title.System(), "title") ||
		!strings.Contains(title.Contents[0].Text(), "How do I brew green tea?") ||
		!strings.Contains(title.Contents[0].Text(), "Steep green tea at 80 °C") {
		t.Fatalf("title request %+v", title)
	}
	// Its tokens count: 15 for the reply, 64 for the title.
	var usage usageRows
	ada.Do("GET", "/api/v1/me/usage", nil).Decode(t, &usage)
	if usage.Quota.UsedToday != 79 {
		t.Fatalf("used today %d, want 79", usage.Quota.UsedToday)
	}
	// Only the first exchange names it.
	ask(t, ada, events, room, "And black tea?")
	for _, r := range fake.Requests() {
		if !r.Stream && r.Contents[0].Text() != title.Contents[0].Text() {
			t.Fatalf("a second title request: %q", r.Contents[0].Text())
		}
	}
}

func TestAssistantTitle_TheQuestionsFirstWordsWhenTheTitleCallFails(t *testing.T) {
	srv, fake := startAssistant(t, nil)
	ada := person(t, srv, "ada@example.com", "Ada")
	user := userEvents(t, srv, ada)
	room := makeTitledRoom(t, ada)
	fake.EnqueueUnary(geminitest.Reply{Status: http.StatusInternalServerError})
	events := watch(t, srv, ada, room)
	ask(t, ada, events, room, "Please explain how the quick brown fox jumps over dogs")
	if got := untilRenamed(t, ada, user, room); got != "Please explain how the quick brown…" {
		t.Fatalf("title %q", got)
	}
}

func TestAssistantTitle_OnlyForAssistantRooms(t *testing.T) {
	srv, _ := startAssistant(t, nil)
	ada := person(t, srv, "ada@example.com", "Ada")
	r := ada.Do("POST", "/api/v1/rooms", map[string]any{"name": "team", "visibility": "public", "autoTitle": true})
	wantError(t, r, http.StatusUnprocessableEntity, "VALIDATION_ERROR")
}

func TestRoomExport_MarkdownAndJSONForThoseWhoMayReadTheRoom(t *testing.T) {
	srv, fake := startAssistant(t, nil)
	ada := person(t, srv, "ada@example.com", "Ada")
	bob := person(t, srv, "bob@example.com", "Bob")
	room := makeRoom(t, ada, "Tea notes", "private", true)
	events := watch(t, srv, ada, room)
	fake.Enqueue(geminitest.Text("Use ", "```go\nfmt.Println(\"tea\")\n```"))
	ask(t, ada, events, room, "Show me Go")

	md := ada.Do("GET", fmt.Sprintf("/api/v1/rooms/%d/export?format=markdown", room), nil)
	wantStatus(t, "markdown", md, http.StatusOK)
	if ct, cd := md.Header.Get("Content-Type"), md.Header.Get("Content-Disposition"); !strings.HasPrefix(ct, "text/markdown") ||
		!strings.Contains(cd, "attachment") || !strings.Contains(cd, ".md") {
		t.Fatalf("headers %q %q", ct, cd)
	}
	body := string(md.Body)
	for _, want := range []string{"# Tea notes\n", "## Ada · ", "\n\nShow me Go\n", "## Gemini", "```go\nfmt.Println(\"tea\")\n```"} {
		if !strings.Contains(body, want) {
			t.Errorf("markdown lacks %q:\n%s", want, body)
		}
	}

	js := ada.Do("GET", fmt.Sprintf("/api/v1/rooms/%d/export?format=json", room), nil)
	wantStatus(t, "json", js, http.StatusOK)
	var out struct {
		Room      struct{ Name string }
		Assistant *struct{ Model string }
		Messages  []struct {
			Author, Body string
			Usage        *struct{ TotalTokens int64 }
		}
	}
	if err := json.Unmarshal(js.Body, &out); err != nil {
		t.Fatal(err)
	}
	if out.Room.Name != "Tea notes" || out.Assistant == nil || len(out.Messages) != 2 ||
		out.Messages[0].Body != "Show me Go" || out.Messages[1].Usage == nil || out.Messages[1].Usage.TotalTokens != 15 {
		t.Fatalf("json export %s", js.Body)
	}

	wantError(t, bob.Do("GET", fmt.Sprintf("/api/v1/rooms/%d/export", room), nil), http.StatusNotFound, "NOT_FOUND")
	bad := ada.Do("GET", fmt.Sprintf("/api/v1/rooms/%d/export?format=pdf", room), nil)
	wantError(t, bad, http.StatusUnprocessableEntity, "VALIDATION_ERROR")
	if f := bad.JSON()["error"].(map[string]any)["fields"].(map[string]any)["format"]; f != "must be markdown or json" {
		t.Fatalf("format field: %v", f)
	}
}

func TestRoomRenameAndDelete_AnAssistantRoomsOwnerUsesTheRoomEndpoints(t *testing.T) {
	srv, _ := startAssistant(t, nil)
	ada := person(t, srv, "ada@example.com", "Ada")
	room := makeRoom(t, ada, "Gemini, Dec 2", "private", true)
	wantStatus(t, "rename", ada.Do("PATCH", fmt.Sprintf("/api/v1/rooms/%d", room), map[string]any{"name": "Tea"}), http.StatusOK)
	if got := roomName(t, ada, room); got != "Tea" {
		t.Fatalf("name %q", got)
	}
	wantStatus(t, "delete", ada.Do("DELETE", fmt.Sprintf("/api/v1/rooms/%d", room), nil), http.StatusNoContent)
	wantError(t, ada.Do("GET", fmt.Sprintf("/api/v1/rooms/%d/export", room), nil), http.StatusNotFound, "NOT_FOUND")
}

func TestAssistantAudit_QuotaModelLimitAndRoomSettingsChangesAreAudited(t *testing.T) {
	srv, _ := startTeam(t, nil, nil)
	boss := adminClient(t, srv)
	ada := person(t, srv, "ada@example.com", "Ada")
	everyone := groupIDByName(t, ada, "everyone")
	wantStatus(t, "user quota", boss.Do("PUT", fmt.Sprintf("/api/v1/admin/quotas/users/%d", userID(t, ada)), map[string]any{"daily": 500}), http.StatusOK)
	wantStatus(t, "group quota", boss.Do("PUT", fmt.Sprintf("/api/v1/admin/quotas/groups/%d", everyone), map[string]any{"monthly": 9000}), http.StatusOK)
	wantStatus(t, "model limit", boss.Do("PUT", "/api/v1/admin/models/gemini-pro-test/groups", map[string]any{"groupIds": []int64{everyone}}), http.StatusOK)
	room := makeRoom(t, ada, "Ask", "private", true)
	wantStatus(t, "settings", ada.Do("PATCH", fmt.Sprintf("/api/v1/rooms/%d", room),
		map[string]any{"model": "gemini-pro-test", "systemPrompt": "Be terse.", "grounding": true}), http.StatusOK)

	audit := func(event string) []map[string]any {
		t.Helper()
		var out struct {
			Events []struct {
				Event  string
				Detail map[string]any
				Email  string
			}
		}
		boss.Do("GET", "/api/v1/admin/audit?event="+event, nil).Decode(t, &out)
		var ds []map[string]any
		for _, e := range out.Events {
			e.Detail["by"] = e.Email
			ds = append(ds, e.Detail)
		}
		return ds
	}
	q := audit("assistant.quota.set")
	if len(q) != 2 || q[0]["subject"] != "group" || q[0]["monthly"] != 9000.0 || q[0]["daily"] != nil ||
		q[1]["subject"] != "user" || q[1]["daily"] != 500.0 || q[1]["by"] != "boss@example.com" {
		t.Fatalf("quota audit %v", q)
	}
	if m := audit("assistant.model.limit"); len(m) != 1 || m[0]["model"] != "gemini-pro-test" {
		t.Fatalf("model audit %v", m)
	}
	s := audit("room.assistant.update")
	if len(s) != 1 || s[0]["model"] != "gemini-pro-test" || s[0]["systemPrompt"] != true || s[0]["grounding"] != true ||
		s[0]["by"] != "ada@example.com" {
		t.Fatalf("room settings audit %v", s)
	}
	if strings.Contains(fmt.Sprint(s), "Be terse") {
		t.Fatal("the audit holds the instruction's text")
	}
}

func TestAssistantTitle_DoesNotHoldTheReply(t *testing.T) {
	srv, fake := startAssistant(t, nil)
	ada := person(t, srv, "ada@example.com", "Ada")
	user := userEvents(t, srv, ada)
	room := makeTitledRoom(t, ada)
	gate := geminitest.NewGate()
	defer gate.Release()
	fake.EnqueueUnary(geminitest.Reply{Chunks: []string{"Slow title"}, Gate: gate})
	events := watch(t, srv, ada, room)
	// The reply is done while the title request is still pending.
	if e := ask(t, ada, events, room, "Anything"); e.Kind != "assistant.done" {
		t.Fatalf("end %s %s", e.Kind, e.Data)
	}
	<-gate.Reached()
	if got := roomName(t, ada, room); got != "Gemini, Dec 2" {
		t.Fatalf("renamed before the title came: %q", got)
	}
	// A question asked meanwhile is answered.
	if e := ask(t, ada, events, room, "More"); e.Kind != "assistant.done" {
		t.Fatalf("second end %s %s", e.Kind, e.Data)
	}
	gate.Release()
	if got := untilRenamed(t, ada, user, room); got != "Slow title" {
		t.Fatalf("title %q", got)
	}
}

func TestAssistantTitle_ARenameBeforeTheFirstReplyKeepsTheName(t *testing.T) {
	srv, fake := startAssistant(t, nil)
	ada := person(t, srv, "ada@example.com", "Ada")
	user := userEvents(t, srv, ada)
	room := makeTitledRoom(t, ada)
	wantStatus(t, "rename", ada.Do("PATCH", fmt.Sprintf("/api/v1/rooms/%d", room), map[string]any{"name": "Mine"}), http.StatusOK)
	if got := untilRenamed(t, ada, user, room); got != "Mine" {
		t.Fatalf("name %q", got)
	}
	events := watch(t, srv, ada, room)
	ask(t, ada, events, room, "Anything")
	// A second titled room shows the title request is made once its reply
	// is done: when that one is renamed, the first would have been too.
	other := makeTitledRoom(t, ada)
	ask(t, ada, watch(t, srv, ada, other), other, "Other")
	if got := untilRenamed(t, ada, user, other); got != geminitest.DefaultTitle {
		t.Fatalf("other title %q", got)
	}
	if got := roomName(t, ada, room); got != "Mine" {
		t.Fatalf("the owner's name was replaced by %q", got)
	}
	n := 0
	for _, r := range fake.Requests() {
		if !r.Stream {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d title requests, want 1 (the other room's)", n)
	}
}
