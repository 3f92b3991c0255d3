package main_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/toriihq/torii/gemini/geminitest"
	"github.com/toriihq/torii/testserver"
)

// sseEvent is any event of a room's stream.
type sseEvent struct{ Kind, Data string }

// openEvents opens room's event stream on base and delivers every event.
func openEvents(t *testing.T, base string, jar http.CookieJar, room int64) <-chan sseEvent {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("%s/api/v1/rooms/%d/events", base, room), nil)
	resp, err := (&http.Client{Jar: jar}).Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		cancel()
		t.Fatalf("open stream: %v %v", resp, err)
	}
	ch := make(chan sseEvent, 1024)
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		e := sseEvent{Kind: "message"}
		for sc.Scan() {
			k, v, _ := strings.Cut(sc.Text(), ":")
			v = strings.TrimPrefix(v, " ")
			switch {
			case sc.Text() == "":
				if e.Data != "" {
					ch <- e
				}
				e = sseEvent{Kind: "message"}
			case k == "event":
				e.Kind = v
			case k == "data":
				e.Data = v
			}
		}
	}()
	return ch
}

// waitEvent returns the first event of kind on ch whose data holds
// contains, within d.
func waitEvent(t *testing.T, ch <-chan sseEvent, kind, contains string, d time.Duration) sseEvent {
	t.Helper()
	deadline := time.After(d)
	for {
		select {
		case e := <-ch:
			if e.Kind == kind && strings.Contains(e.Data, contains) {
				return e
			}
		case <-deadline:
			t.Fatalf("no %s event with %q within %s", kind, contains, d)
		}
	}
}

// TestInstances_AssistantRepliesSurviveTheirInstance: with two processes
// on one PostgreSQL database, a reply running on A is stopped from another
// device signed in on B; and when A is killed mid-reply, B marks the reply
// failed within the lease (its text so far stored as incomplete) and the
// room takes a new question.
func TestInstances_AssistantRepliesSurviveTheirInstance(t *testing.T) {
	t.Parallel()
	database := testserver.PostgresDatabase(t)
	bin := buildBinary(t)
	fake := geminitest.New(t)
	const lease = 2 * time.Second
	procs := startProcesses(t, bin, database, 2, map[string]string{
		"TORII_GEMINI_API_KEY": "k", "TORII_GEMINI_BASE_URL": fake.URL, "TORII_ASSISTANT_LEASE": lease.String()})
	a := browser(t, procs)[0]
	register(t, a, "ada@example.com")
	r := a.Do("POST", "/api/v1/rooms", map[string]any{"name": "Ask", "visibility": "private", "assistant": true})
	want(t, "create room", r, http.StatusCreated)
	var out struct{ Room struct{ ID int64 } }
	r.Decode(t, &out)
	room := out.Room.ID
	// Another device: a session of its own, on B.
	phone := (&testserver.Server{URL: procs[1].URL}).Client(t)
	want(t, "phone signs in", phone.Do("POST", "/api/v1/auth/login",
		map[string]string{"email": "ada@example.com", "password": "a long enough password"}), http.StatusOK)
	onB := openEvents(t, procs[1].URL, phone.HTTP.Jar, room)

	// Stop from the phone, on B, while A runs the reply.
	gate := geminitest.NewGate()
	fake.Enqueue(geminitest.Reply{Chunks: []string{"Thinking"}, Gate: gate, Rest: []string{" never sent"}})
	want(t, "ask on A", a.Do("POST", fmt.Sprintf("/api/v1/rooms/%d/messages", room), map[string]string{"body": "first"}), http.StatusCreated)
	waitEvent(t, onB, "assistant.delta", "Thinking", 10*time.Second)
	want(t, "stop on B", phone.Do("POST", fmt.Sprintf("/api/v1/rooms/%d/assistant/cancel", room), nil), http.StatusNoContent)
	waitEvent(t, onB, "assistant.error", "ASSISTANT_CANCELLED", 10*time.Second)
	select {
	case <-gate.ClientGone():
	case <-time.After(10 * time.Second):
		t.Fatal("A did not end its request to Gemini after the stop")
	}

	// A crash mid-reply: B fails the reply once the lease has passed.
	gate = geminitest.NewGate()
	defer gate.Release()
	fake.Enqueue(geminitest.Reply{Chunks: []string{"Half an ", "answer"}, Gate: gate, Rest: []string{" never sent"}})
	want(t, "ask on A", a.Do("POST", fmt.Sprintf("/api/v1/rooms/%d/messages", room), map[string]string{"body": "second"}), http.StatusCreated)
	waitEvent(t, onB, "assistant.delta", "answer", 10*time.Second)
	procs[0].kill()
	killed := time.Now()
	e := waitEvent(t, onB, "assistant.error", "ASSISTANT_INTERRUPTED", 10*time.Second)
	// The lease, the sweep's half lease, and a second for the machine.
	if took := time.Since(killed); took > lease+lease/2+time.Second {
		t.Errorf("the abandoned reply was failed after %s, want within %s", took, lease+lease/2)
	}
	var failed struct{ ReplyTo int64 }
	if err := json.Unmarshal([]byte(e.Data), &failed); err != nil || failed.ReplyTo == 0 {
		t.Fatalf("assistant.error %s", e.Data)
	}
	var hist struct {
		Messages []struct {
			Author, Body, Status string
			ReplyTo              *int64
		}
	}
	phone.Do("GET", fmt.Sprintf("/api/v1/rooms/%d/messages?limit=1", room), nil).Decode(t, &hist)
	if len(hist.Messages) != 1 || hist.Messages[0].Body != "Half an answer" || hist.Messages[0].Status != "incomplete" {
		t.Fatalf("last message %+v, want the partial reply stored as incomplete", hist.Messages)
	}
	// The room is free: B answers the next question.
	fake.Enqueue(geminitest.Text("Back."))
	want(t, "ask on B", phone.Do("POST", fmt.Sprintf("/api/v1/rooms/%d/messages", room), map[string]string{"body": "third"}), http.StatusCreated)
	waitEvent(t, onB, "assistant.done", "", 10*time.Second)
}
