package web_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/toriihq/torii/gemini/geminitest"
)

type replayDelta struct {
	ReplyTo int64
	Text    string
	Offset  int
	AskedBy int64
	Replay  bool
}

// A page that (re)opens the room's stream mid-reply gets the reply so far
// first, marked replay, then the live deltas with their offsets; Stop
// works from that other device.
func TestAssistantReplay_StreamOpenedMidReplyGetsThePartialTextThenLive(t *testing.T) {
	srv, fake := startAssistant(t, nil)
	ada := person(t, srv, "ada@example.com", "Ada")
	room := makeRoom(t, ada, "Ask", "private", true)
	first := watch(t, srv, ada, room)
	gate := geminitest.NewGate()
	defer gate.Release()
	fake.Enqueue(geminitest.Reply{Chunks: []string{"Once upon ", "a time ✦"}, Gate: gate, Rest: []string{" the end."}})
	asked := said(t, ada, room, "Tell me a story")
	first.expect("message", "assistant.delta", "assistant.delta")

	// The reload: a fresh stream, no Last-Event-ID.
	reloaded := watch(t, srv, ada, room)
	var d replayDelta
	reloaded.expect("assistant.delta")[0].decode(t, &d)
	if !d.Replay || d.Text != "Once upon a time ✦" || d.Offset != 0 || d.ReplyTo != asked.ID || d.AskedBy != userID(t, ada) {
		t.Fatalf("replayed delta %+v, want the text so far, offset 0, asked by Ada", d)
	}
	gate.Release()
	var live replayDelta
	reloaded.expect("assistant.delta")[0].decode(t, &live)
	if live.Replay || live.Text != " the end." || live.Offset != 18 {
		t.Fatalf("live delta %+v, want the rest at offset 18 (UTF-16 units)", live)
	}
	reloaded.expect("message", "assistant.done")

	// A reconnect after the question (Last-Event-ID) replays it, then the
	// reply in flight.
	gate2 := geminitest.NewGate()
	defer gate2.Release()
	fake.Enqueue(geminitest.Reply{Chunks: []string{"Second"}, Gate: gate2})
	q2 := said(t, ada, room, "Another")
	first.expect("assistant.delta", "message", "assistant.done", "message", "assistant.delta")
	again := watchAfter(t, srv, ada, room, q2.ID-1)
	again.expect("message", "assistant.delta")

	// Stop from another device (a session of its own).
	phone := srv.Client(t)
	wantStatus(t, "phone signs in", phone.Do("POST", "/api/v1/auth/login", map[string]string{"email": "ada@example.com", "password": goodPassword}), http.StatusOK)
	wantStatus(t, "stop from the phone", phone.Do("POST", fmt.Sprintf("/api/v1/rooms/%d/assistant/cancel", room), nil), http.StatusNoContent)
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(srv.Logs.String())
		}
	})
	e := again.expect("message", "assistant.error")[1]
	var ae errorOut
	e.decode(t, &ae)
	if ae.Code != "ASSISTANT_CANCELLED" || ae.ReplyTo != q2.ID {
		t.Fatalf("assistant.error %+v", ae)
	}
	// Nobody else may stop a reply.
	bob := person(t, srv, "bob@example.com", "Bob")
	pub := makeRoom(t, ada, "Public", "public", true)
	gate3 := geminitest.NewGate()
	defer gate3.Release()
	fake.Enqueue(geminitest.Reply{Chunks: []string{"x"}, Gate: gate3})
	pubEvents := watch(t, srv, bob, pub)
	said(t, ada, pub, "hi")
	pubEvents.expect("message", "assistant.delta")
	wantError(t, bob.Do("POST", fmt.Sprintf("/api/v1/rooms/%d/assistant/cancel", pub), nil), http.StatusForbidden, "FORBIDDEN")
}
