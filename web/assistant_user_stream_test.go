package web_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/toriihq/torii/gemini/geminitest"
	"github.com/toriihq/torii/testserver"
)

// TestUserStream_AssistantReplyCarriesModelAndUsage: the user stream's
// message event for a stored reply has its model and tokens, as the room
// stream's and the history's do (a page shows whichever stream it hears
// the reply on first).
func TestUserStream_AssistantReplyCarriesModelAndUsage(t *testing.T) {
	clock := testserver.NewClock(time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC))
	srv, fake := startTeam(t, nil, clock)
	ada := person(t, srv, "ada@example.com", "Ada")
	room := makeRoom(t, ada, "Ask", "private", true)
	events := watch(t, srv, ada, room)
	user := openEvents(t, srv, ada, "")
	fake.Enqueue(geminitest.Reply{Chunks: []string{"Hi"}, Usage: &geminitest.Usage{Prompt: 100, Candidates: 20, Total: 120}})
	if e := ask(t, ada, events, room, "hello"); e.Kind != "assistant.done" {
		t.Fatalf("reply ended with %s %s", e.Kind, e.Data)
	}
	for {
		e := user.next(t, "message")
		var got replyOut
		if err := json.Unmarshal([]byte(e.Data), &got); err != nil {
			t.Fatalf("message data %q: %v", e.Data, err)
		}
		if got.Author != "assistant" {
			continue
		}
		if got.Model != "gemini-flash-test" || got.Usage == nil || got.Usage.TotalTokens != 120 {
			t.Fatalf("reply on the user stream without its model and usage: %s", e.Data)
		}
		return
	}
}
