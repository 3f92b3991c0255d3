package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/toriihq/torii/gemini/geminitest"
	"github.com/toriihq/torii/testserver"
)

// eventWait bounds the wait for one event, so a missing event fails the
// test with a message instead of hanging it.
const eventWait = 15 * time.Second

// startAssistant runs torii with the assistant on, the real genai SDK
// pointed at a fake Gemini.
func startAssistant(t *testing.T, env map[string]string) (*testserver.Server, *geminitest.Server) {
	t.Helper()
	fake := geminitest.New(t)
	e := map[string]string{
		"TORII_GEMINI_API_KEY":       "test-gemini-key",
		"TORII_GEMINI_BASE_URL":      fake.URL,
		"TORII_GEMINI_MODEL":         "gemini-fake",
		"TORII_GEMINI_SYSTEM_PROMPT": "You are the torii test assistant.",
	}
	for k, v := range env {
		e[k] = v
	}
	fake.Key = "test-gemini-key"
	return testserver.Start(t, testserver.Options{Env: e}), fake
}

// person registers a user and returns their signed-in client.
func person(t *testing.T, srv *testserver.Server, email, name string) *testserver.Client {
	t.Helper()
	c := srv.Client(t)
	registerUser(t, c, email, name)
	return c
}

// makeRoom creates a room and returns its id.
func makeRoom(t *testing.T, c *testserver.Client, name, visibility string, assistant bool) int64 {
	t.Helper()
	r := c.Do("POST", "/api/v1/rooms", map[string]any{"name": name, "visibility": visibility, "assistant": assistant})
	if r.Status != http.StatusCreated {
		t.Fatalf("create room: %d %s", r.Status, r.Body)
	}
	var out struct{ Room struct{ ID int64 } }
	r.Decode(t, &out)
	return out.Room.ID
}

type messageOut struct {
	ID       int64
	Author   string
	Body     string
	Status   string
	ReplyTo  *int64
	ClientID string
	User     *struct{ Name string }
}

// say posts a message and returns the answer.
func say(t *testing.T, c *testserver.Client, room int64, body string) *testserver.Response {
	t.Helper()
	return c.Do("POST", fmt.Sprintf("/api/v1/rooms/%d/messages", room), map[string]string{"body": body})
}

// said posts a message that must be stored, and returns it.
func said(t *testing.T, c *testserver.Client, room int64, body string) messageOut {
	t.Helper()
	r := say(t, c, room, body)
	if r.Status != http.StatusCreated {
		t.Fatalf("post %q: %d %s", body, r.Status, r.Body)
	}
	var out struct{ Message messageOut }
	r.Decode(t, &out)
	return out.Message
}

// roomHistory lists a room's messages, oldest first.
func roomHistory(t *testing.T, c *testserver.Client, room int64) []messageOut {
	t.Helper()
	r := c.Do("GET", fmt.Sprintf("/api/v1/rooms/%d/messages?limit=100", room), nil)
	if r.Status != http.StatusOK {
		t.Fatalf("list: %d %s", r.Status, r.Body)
	}
	var out struct{ Messages []messageOut }
	r.Decode(t, &out)
	for i, j := 0, len(out.Messages)-1; i < j; i, j = i+1, j-1 {
		out.Messages[i], out.Messages[j] = out.Messages[j], out.Messages[i]
	}
	return out.Messages
}

// event is one server-sent event that is not a comment.
type event struct {
	Kind, ID, Data string
}

// decode unmarshals the event's data.
func (e event) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(e.Data), v); err != nil {
		t.Fatalf("%s event data %q: %v", e.Kind, e.Data, err)
	}
}

// stream is a room's event stream read over real HTTP (chat's sseStream),
// seen as a sequence of events.
type stream struct {
	t *testing.T
	s *sseStream
}

// watch opens room's event stream for c; when it returns, the stream is
// subscribed (the server subscribes before it sends the headers).
func watch(t *testing.T, srv *testserver.Server, c *testserver.Client, room int64) *stream {
	t.Helper()
	return watchPath(t, srv, c, fmt.Sprintf("/api/v1/rooms/%d/events", room))
}

func watchPath(t *testing.T, srv *testserver.Server, c *testserver.Client, path string) *stream {
	t.Helper()
	s := openStreamPath(t, srv, c, path)
	if s.Resp.StatusCode != http.StatusOK {
		t.Fatalf("events: %d", s.Resp.StatusCode)
	}
	return &stream{t: t, s: s}
}

// next returns the next event, skipping comments (heartbeats); it fails
// the test if the stream ends or nothing comes.
func (s *stream) next() event {
	s.t.Helper()
	timeout := time.After(eventWait)
	for {
		e, ok := s.s.recv(s.t, timeout, "event")
		if !ok {
			s.t.Fatal("event stream ended")
		}
		if e.Event == "" && e.Data == "" {
			continue
		}
		if e.Event == "" {
			e.Event = "message"
		}
		return event{Kind: e.Event, ID: e.ID, Data: e.Data}
	}
}

// expect reads the next events and fails unless their kinds are kinds, in
// order. It returns them.
func (s *stream) expect(kinds ...string) []event {
	s.t.Helper()
	var got []event
	for range kinds {
		got = append(got, s.next())
	}
	for i, k := range kinds {
		if got[i].Kind != k {
			var seen []string
			for _, e := range got {
				seen = append(seen, e.Kind+" "+e.Data)
			}
			s.t.Fatalf("events:\n%s\nwant kinds %q", strings.Join(seen, "\n"), kinds)
		}
	}
	return got
}

type deltaOut struct {
	ReplyTo int64
	Text    string
}

type doneOut struct {
	ReplyTo   int64
	MessageID int64
}

type errorOut struct {
	ReplyTo int64
	Code    string
	Message string
}
