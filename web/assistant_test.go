package web_test

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/toriihq/torii/gemini/geminitest"
	"github.com/toriihq/torii/testserver"
)

func TestAssistant_StreamedReplyStoredAndAnnouncedInOrder(t *testing.T) {
	srv, fake := startAssistant(t, nil)
	ada := person(t, srv, "ada@example.com", "Ada Lovelace")
	room := makeRoom(t, ada, "Ask Gemini", "private", true)
	events := watch(t, srv, ada, room)
	fake.Enqueue(geminitest.Text("Hello, ", "Ada", "!"))

	asked := said(t, ada, room, "Hi there")
	got := events.expect("message", "assistant.delta", "assistant.delta", "assistant.delta", "message", "assistant.done")

	if got[0].ID != strconv.FormatInt(asked.ID, 10) {
		t.Errorf("first event id %q, want the user's message %d", got[0].ID, asked.ID)
	}
	var text string
	for _, e := range got[1:4] {
		if e.ID != "" {
			t.Errorf("delta has an id line %q", e.ID)
		}
		var d deltaOut
		e.decode(t, &d)
		if d.ReplyTo != asked.ID {
			t.Errorf("delta replyTo %d, want %d", d.ReplyTo, asked.ID)
		}
		text += d.Text
	}
	if text != "Hello, Ada!" {
		t.Errorf("deltas = %q", text)
	}
	var reply messageOut
	got[4].decode(t, &reply)
	if reply.Author != "assistant" || reply.User != nil || reply.Body != "Hello, Ada!" || reply.Status != "complete" ||
		reply.ReplyTo == nil || *reply.ReplyTo != asked.ID || got[4].ID != strconv.FormatInt(reply.ID, 10) {
		t.Errorf("reply event id %q data %+v", got[4].ID, reply)
	}
	var done doneOut
	got[5].decode(t, &done)
	if got[5].ID != "" || done.ReplyTo != asked.ID || done.MessageID != reply.ID {
		t.Errorf("done = %+v (id %q), want replyTo %d messageId %d", done, got[5].ID, asked.ID, reply.ID)
	}

	// Stored as one message, after the question.
	h := roomHistory(t, ada, room)
	if len(h) != 2 || h[0].ID != asked.ID || h[1].ID != reply.ID || h[1].Body != "Hello, Ada!" {
		t.Fatalf("history = %+v", h)
	}
	// A stream that reconnects replays the reply, not the deltas.
	replay := watchAfter(t, srv, ada, room, asked.ID)
	if e := replay.next(); e.Kind != "message" || e.ID != strconv.FormatInt(reply.ID, 10) {
		t.Fatalf("replay after %d: %+v", asked.ID, e)
	}
}

func TestAssistant_SendsHistoryAndSystemPrompt(t *testing.T) {
	srv, fake := startAssistant(t, nil)
	ada := person(t, srv, "ada@example.com", "Ada Lovelace")
	room := makeRoom(t, ada, "Ask Gemini", "private", true)
	events := watch(t, srv, ada, room)

	fake.Enqueue(geminitest.Text("Nice name!"))
	said(t, ada, room, "My cat is called Pixel.")
	events.expect("message", "assistant.delta", "message", "assistant.done")
	fake.Enqueue(geminitest.Text("Pixel."))
	said(t, ada, room, "What is my cat called?")
	events.expect("message", "assistant.delta", "message", "assistant.done")

	reqs := fake.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests to Gemini, want 2", len(reqs))
	}
	r := reqs[1]
	if r.Model != "gemini-fake" || r.APIKey != "test-gemini-key" {
		t.Errorf("model %q key %q", r.Model, r.APIKey)
	}
	if r.SystemInstruction == nil || !strings.HasPrefix(r.SystemInstruction.Text(), "You are the torii test assistant.") {
		t.Errorf("systemInstruction = %+v", r.SystemInstruction)
	}
	want := []struct{ role, text string }{
		{"user", "[Ada Lovelace] My cat is called Pixel."},
		{"model", "Nice name!"},
		{"user", "[Ada Lovelace] What is my cat called?"},
	}
	if len(r.Contents) != len(want) {
		t.Fatalf("contents = %+v", r.Contents)
	}
	for i, w := range want {
		if r.Contents[i].Role != w.role || r.Contents[i].Text() != w.text {
			t.Errorf("content %d = %s %q, want %s %q", i, r.Contents[i].Role, r.Contents[i].Text(), w.role, w.text)
		}
	}
}

func TestAssistant_FailuresAreReportedAndTheNextMessageWorks(t *testing.T) {
	tests := []struct {
		name       string
		reply      geminitest.Reply
		wantCode   string
		wantStored string // the stored reply's status, "" for none
		wantText   string
	}{
		{"429 quota", geminitest.Reply{Status: 429}, "ASSISTANT_QUOTA", "", ""},
		{"500", geminitest.Reply{Status: 500}, "ASSISTANT_UNAVAILABLE", "", ""},
		{"safety-blocked prompt", geminitest.Reply{BlockReason: "SAFETY"}, "ASSISTANT_BLOCKED", "", ""},
		{"safety stop after text", geminitest.Reply{Chunks: []string{"Well, "}, Finish: "SAFETY"}, "ASSISTANT_BLOCKED", "error", "Well, "},
		{"mid-stream disconnect", geminitest.Reply{Chunks: []string{"Half ", "a reply"}, Cut: true}, "ASSISTANT_INTERRUPTED", "incomplete", "Half a reply"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, fake := startAssistant(t, nil)
			ada := person(t, srv, "ada@example.com", "Ada Lovelace")
			room := makeRoom(t, ada, "Ask Gemini", "private", true)
			events := watch(t, srv, ada, room)
			fake.Enqueue(tt.reply)

			r := say(t, ada, room, "Tell me something")
			if r.Status != http.StatusCreated {
				t.Fatalf("post: %d %s", r.Status, r.Body)
			}
			requestID := r.Header.Get("X-Request-Id")
			kinds := []string{"message"}
			for range tt.reply.Chunks {
				kinds = append(kinds, "assistant.delta")
			}
			if tt.wantStored != "" {
				kinds = append(kinds, "message")
			}
			got := events.expect(append(kinds, "assistant.error")...)
			var e errorOut
			got[len(got)-1].decode(t, &e)
			if e.Code != tt.wantCode || e.Message == "" || e.ReplyTo == 0 {
				t.Fatalf("assistant.error = %+v, want code %s", e, tt.wantCode)
			}

			h := roomHistory(t, ada, room)
			if h[0].Body != "Tell me something" {
				t.Fatalf("the user's message is gone: %+v", h)
			}
			switch {
			case tt.wantStored == "" && len(h) != 1:
				t.Fatalf("history = %+v, want the question only", h)
			case tt.wantStored != "" && (len(h) != 2 || h[1].Status != tt.wantStored || h[1].Body != tt.wantText || h[1].Author != "assistant"):
				t.Fatalf("history = %+v, want a reply %q with status %s", h, tt.wantText, tt.wantStored)
			}
			logs := srv.Logs.String()
			if !strings.Contains(logs, "assistant reply failed") || !strings.Contains(logs, requestID) ||
				!strings.Contains(logs, tt.wantCode) {
				t.Errorf("no log line with the request id %s and code %s", requestID, tt.wantCode)
			}
			if strings.Contains(logs, "test-gemini-key") {
				t.Error("the Gemini key is in the logs")
			}

			fake.Enqueue(geminitest.Text("All good."))
			said(t, ada, room, "Again?")
			events.expect("message", "assistant.delta", "message", "assistant.done")
		})
	}
}

func TestAssistant_OffWithoutKey(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	ada := person(t, srv, "ada@example.com", "Ada Lovelace")
	if cfg := ada.Do("GET", "/api/v1/auth/config", nil).JSON(); cfg["assistant"] != false {
		t.Fatalf("auth/config assistant = %v", cfg["assistant"])
	}
	r := ada.Do("POST", "/api/v1/rooms", map[string]any{"name": "Ask Gemini", "visibility": "private", "assistant": true})
	wantError(t, r, http.StatusBadRequest, "ASSISTANT_NOT_CONFIGURED")
	room := makeRoom(t, ada, "Team", "public", false)
	wantError(t, say(t, ada, room, "@gemini hello?"), http.StatusBadRequest, "ASSISTANT_NOT_CONFIGURED")
	if h := roomHistory(t, ada, room); len(h) != 0 {
		t.Fatalf("refused message stored: %+v", h)
	}
	said(t, ada, room, "plain messages still work")
}

func TestAssistant_MentionInSharedRoomIsSeenByEveryone(t *testing.T) {
	srv, fake := startAssistant(t, nil)
	ada := person(t, srv, "ada@example.com", "Ada Lovelace")
	bob := person(t, srv, "bob@example.com", "Bob")
	room := makeRoom(t, ada, "Team", "public", false)
	bobSees := watch(t, srv, bob, room)

	said(t, bob, room, "Lunch at noon?")
	bobSees.expect("message")
	fake.Enqueue(geminitest.Text("Noon works."))
	asked := said(t, ada, room, "@gemini when is lunch?")
	got := bobSees.expect("message", "assistant.delta", "message", "assistant.done")
	var reply messageOut
	got[2].decode(t, &reply)
	if reply.Body != "Noon works." || *reply.ReplyTo != asked.ID {
		t.Fatalf("Bob saw reply %+v", reply)
	}
	reqs := fake.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests: a plain message must not ask Gemini", len(reqs))
	}
	if c := reqs[0].Contents; len(c) != 1 || c[0].Text() != "[Bob] Lunch at noon?\n\n[Ada Lovelace] @gemini when is lunch?" {
		t.Fatalf("contents = %+v", c)
	}
}

func TestAssistant_OneReplyInFlightPerRoom(t *testing.T) {
	srv, fake := startAssistant(t, nil)
	ada := person(t, srv, "ada@example.com", "Ada Lovelace")
	bob := person(t, srv, "bob@example.com", "Bob")
	room := makeRoom(t, ada, "Team", "public", false)
	events := watch(t, srv, ada, room)
	gate := geminitest.NewGate()
	fake.Enqueue(geminitest.Reply{Chunks: []string{"Thinking"}, Gate: gate, Rest: []string{" done."}})

	said(t, ada, room, "@gemini first question")
	events.expect("message", "assistant.delta")
	<-gate.Reached()

	for _, c := range []*testserver.Client{ada, bob} {
		r := say(t, c, room, "@gemini second question")
		wantError(t, r, http.StatusTooManyRequests, "RATE_LIMITED")
		if r.Header.Get("Retry-After") == "" {
			t.Error("no Retry-After")
		}
	}
	said(t, bob, room, "a plain message is fine meanwhile")
	events.expect("message")

	gate.Release()
	events.expect("assistant.delta", "message", "assistant.done")
	for _, m := range roomHistory(t, ada, room) {
		if strings.Contains(m.Body, "second question") {
			t.Fatalf("a refused question was stored: %+v", m)
		}
	}
	fake.Enqueue(geminitest.Text("Sure."))
	said(t, bob, room, "@gemini now?")
	events.expect("message", "assistant.delta", "message", "assistant.done")
}

func TestAssistant_PerUserLimit(t *testing.T) {
	srv, fake := startAssistant(t, map[string]string{"TORII_RATE_ASSISTANT_USER": "2/1h"})
	ada := person(t, srv, "ada@example.com", "Ada Lovelace")
	bob := person(t, srv, "bob@example.com", "Bob")
	room := makeRoom(t, ada, "Ask Gemini", "private", true)
	events := watch(t, srv, ada, room)
	fake.SetDefault(geminitest.Text("ok"))
	for i := range 2 {
		said(t, ada, room, fmt.Sprintf("question %d", i))
		events.expect("message", "assistant.delta", "message", "assistant.done")
	}
	r := say(t, ada, room, "question 3")
	wantError(t, r, http.StatusTooManyRequests, "RATE_LIMITED")
	if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || s <= 0 {
		t.Fatalf("Retry-After = %q", r.Header.Get("Retry-After"))
	}
	if n := len(roomHistory(t, ada, room)); n != 4 {
		t.Fatalf("%d messages, want 4 (the refused one not stored)", n)
	}
	// The limit is per user.
	bobRoom := makeRoom(t, bob, "Bob asks", "private", true)
	said(t, bob, bobRoom, "my first question")
}

func TestAssistant_StopEndpoint(t *testing.T) {
	srv, fake := startAssistant(t, nil)
	ada := person(t, srv, "ada@example.com", "Ada Lovelace")
	bob := person(t, srv, "bob@example.com", "Bob")
	room := makeRoom(t, ada, "Team", "public", false)
	private := makeRoom(t, ada, "Ask Gemini", "private", true)
	events := watch(t, srv, ada, room)
	gate := geminitest.NewGate()
	fake.Enqueue(geminitest.Reply{Chunks: []string{"Let me think"}, Gate: gate, Rest: []string{" never sent"}})
	stop := func(c *testserver.Client, room int64) *testserver.Response {
		return c.Do("POST", fmt.Sprintf("/api/v1/rooms/%d/assistant/cancel", room), nil)
	}

	asked := said(t, ada, room, "@gemini a long question")
	events.expect("message", "assistant.delta")
	<-gate.Reached()
	wantError(t, stop(bob, room), http.StatusForbidden, "FORBIDDEN")
	wantError(t, stop(bob, private), http.StatusNotFound, "NOT_FOUND")
	if r := stop(ada, room); r.Status != http.StatusNoContent {
		t.Fatalf("stop: %d %s", r.Status, r.Body)
	}
	<-gate.ClientGone() // the request to Gemini was cancelled
	got := events.expect("message", "assistant.error")
	var reply messageOut
	got[0].decode(t, &reply)
	var e errorOut
	got[1].decode(t, &e)
	if reply.Body != "Let me think" || reply.Status != "incomplete" || *reply.ReplyTo != asked.ID ||
		e.Code != "ASSISTANT_CANCELLED" || e.ReplyTo != asked.ID {
		t.Fatalf("reply %+v, error %+v", reply, e)
	}
	if r := stop(ada, room); r.Status != http.StatusNoContent {
		t.Fatalf("stop with nothing in flight: %d", r.Status)
	}
}

func TestAssistant_ShutdownCancelsReplies(t *testing.T) {
	srv, fake := startAssistant(t, nil)
	ada := person(t, srv, "ada@example.com", "Ada Lovelace")
	room := makeRoom(t, ada, "Ask Gemini", "private", true)
	events := watch(t, srv, ada, room)
	gate := geminitest.NewGate()
	defer gate.Release()
	fake.Enqueue(geminitest.Reply{Chunks: []string{"Partial"}, Gate: gate})

	said(t, ada, room, "A question")
	events.expect("message", "assistant.delta")
	<-gate.Reached()
	srv.Stop()
	<-gate.ClientGone() // the request to Gemini was cancelled
	// Streams still open may or may not see the stored reply before they
	// close with the reconnect hint; the reply is stored either way, and
	// a reconnecting client replays it.

	// Restarted on the same database, the reply is there.
	again := testserver.Start(t, testserver.Options{Env: map[string]string{"TORII_DATABASE": srv.Database}})
	c := again.Client(t)
	if r := c.Do("POST", "/api/v1/auth/login", map[string]string{"email": "ada@example.com", "password": goodPassword}); r.Status != http.StatusOK {
		t.Fatalf("login: %d %s", r.Status, r.Body)
	}
	h := roomHistory(t, c, room)
	if len(h) != 2 || h[1].Status != "incomplete" || h[1].Body != "Partial" {
		t.Fatalf("history after restart: %+v", h)
	}
}

// watchAfter opens room's event stream replaying after id.
func watchAfter(t *testing.T, srv *testserver.Server, c *testserver.Client, room, after int64) *stream {
	t.Helper()
	return watchPath(t, srv, c, fmt.Sprintf("/api/v1/rooms/%d/events?after=%d", room, after))
}
