package web_test

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/toriihq/torii/testserver"
)

func TestChat_DefaultRoomAndCreateRoom(t *testing.T) {
	srv := chatServer(t)
	ann := srv.Client(t)
	registerUser(t, ann, "ann@example.com", "Ann")
	g := general(t, ann)
	pub := createRoom(t, ann, map[string]any{"name": "  random ", "visibility": "public"})
	if pub.Name != "random" || pub.ID <= g {
		t.Errorf("created %+v", pub)
	}
	for _, tc := range []struct {
		body  any
		field string
	}{
		{map[string]any{"name": "", "visibility": "public"}, "name"},
		{map[string]any{"name": strings.Repeat("x", 81), "visibility": "public"}, "name"},
		{map[string]any{"name": "x", "visibility": "secret"}, "visibility"},
		{map[string]any{"name": "x", "visibility": "group"}, "groupId"},
		{map[string]any{"name": "x", "visibility": "public", "groupId": 1}, "groupId"},
		{map[string]any{"name": 5, "visibility": "public"}, "name"},
	} {
		r := ann.Do("POST", "/api/v1/rooms", tc.body)
		wantError(t, r, http.StatusUnprocessableEntity, "VALIDATION_ERROR")
		if !strings.Contains(string(r.Body), `"`+tc.field+`"`) {
			t.Errorf("%v: fields %s, want %s", tc.body, r.Body, tc.field)
		}
	}
	wantError(t, srv.Client(t).Do("GET", "/api/v1/rooms", nil), http.StatusUnauthorized, "UNAUTHORIZED")
}

func TestChat_AssistantNotConfigured(t *testing.T) {
	srv := chatServer(t)
	ann := srv.Client(t)
	registerUser(t, ann, "ann@example.com", "Ann")
	if cfg := ann.Do("GET", "/api/v1/auth/config", nil).JSON(); cfg["assistant"] != false {
		t.Errorf("config assistant = %v, want false", cfg["assistant"])
	}
	wantError(t, ann.Do("POST", "/api/v1/rooms", map[string]any{"name": "ask", "visibility": "private", "assistant": true}),
		http.StatusBadRequest, "ASSISTANT_NOT_CONFIGURED")
	g := general(t, ann)
	wantError(t, ann.Do("POST", fmt.Sprintf("/api/v1/rooms/%d/messages", g), map[string]string{"body": "@Gemini what is up?"}),
		http.StatusBadRequest, "ASSISTANT_NOT_CONFIGURED")
	if n := len(history(t, ann, g, "")); n != 0 {
		t.Errorf("%d messages stored after refusals", n)
	}
}

func history(t *testing.T, c *testserver.Client, room int64, query string) []chatMessage {
	t.Helper()
	r := c.Do("GET", fmt.Sprintf("/api/v1/rooms/%d/messages%s", room, query), nil)
	if r.Status != http.StatusOK {
		t.Fatalf("history: %d %s", r.Status, r.Body)
	}
	var out struct{ Messages []chatMessage }
	r.Decode(t, &out)
	return out.Messages
}

func TestChat_SendWithSameClientIDIsIdempotent(t *testing.T) {
	srv := chatServer(t)
	ann := srv.Client(t)
	registerUser(t, ann, "ann@example.com", "Ann")
	g := general(t, ann)
	first := send(t, ann, g, "hello", "c-1")
	if first.Author != "user" || first.User == nil || first.User.Name != "Ann" || first.Status != "complete" || first.ClientID != "c-1" {
		t.Errorf("message = %+v", first)
	}
	r := ann.Do("POST", fmt.Sprintf("/api/v1/rooms/%d/messages", g), map[string]string{"body": "hello", "clientId": "c-1"})
	var again struct{ Message chatMessage }
	r.Decode(t, &again)
	if r.Status != http.StatusOK || again.Message.ID != first.ID {
		t.Errorf("retry: %d %s, want 200 and message %d", r.Status, r.Body, first.ID)
	}
	if n := len(history(t, ann, g, "")); n != 1 {
		t.Errorf("room holds %d messages, want 1", n)
	}
}

func TestChat_MessageBodyLimits(t *testing.T) {
	srv := chatServer(t)
	ann := srv.Client(t)
	registerUser(t, ann, "ann@example.com", "Ann")
	g := general(t, ann)
	send(t, ann, g, strings.Repeat("é", 4096), "") // 8192 bytes
	for _, body := range []any{
		map[string]any{"body": strings.Repeat("a", 8193)},
		map[string]any{"body": "   \n"},
		map[string]any{"body": 42},
		map[string]any{"body": "x", "clientId": strings.Repeat("c", 65)},
	} {
		wantError(t, ann.Do("POST", fmt.Sprintf("/api/v1/rooms/%d/messages", g), body), http.StatusUnprocessableEntity, "VALIDATION_ERROR")
	}
	wantError(t, ann.Do("POST", fmt.Sprintf("/api/v1/rooms/%d/messages", g), "{"), http.StatusBadRequest, "BAD_REQUEST")
	if n := len(history(t, ann, g, "")); n != 1 {
		t.Errorf("room holds %d messages, want 1", n)
	}
}

func TestChat_HistoryIsNewestFirstPagedByBefore(t *testing.T) {
	srv := chatServer(t)
	ann := srv.Client(t)
	registerUser(t, ann, "ann@example.com", "Ann")
	g := general(t, ann)
	var want []int64
	for i := range 7 {
		want = append(want, send(t, ann, g, fmt.Sprint(i), "").ID)
	}
	slices.Reverse(want)
	var got []int64
	q := "?limit=3"
	for pages := 0; ; pages++ {
		r := ann.Do("GET", fmt.Sprintf("/api/v1/rooms/%d/messages%s", g, q), nil)
		var out struct {
			Messages   []chatMessage
			NextBefore *int64
		}
		r.Decode(t, &out)
		for _, m := range out.Messages {
			got = append(got, m.ID)
		}
		if out.NextBefore == nil {
			break
		}
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		q = fmt.Sprintf("?limit=3&before=%d", *out.NextBefore)
	}
	if !slices.Equal(got, want) {
		t.Errorf("pages = %v, want %v", got, want)
	}
	wantError(t, ann.Do("GET", fmt.Sprintf("/api/v1/rooms/%d/messages?before=x", g), nil), http.StatusUnprocessableEntity, "VALIDATION_ERROR")
}

// A room one cannot see is 404 on every endpoint, never its messages
// (security.md H.40).
func TestChat_PrivateRoomOfAnotherUserIsNotFound(t *testing.T) {
	srv := chatServer(t)
	ann, bob := srv.Client(t), srv.Client(t)
	registerUser(t, ann, "ann@example.com", "Ann")
	registerUser(t, bob, "bob@example.com", "Bob")
	priv := createRoom(t, ann, map[string]any{"name": "notes", "visibility": "private"})
	send(t, ann, priv.ID, "secret", "")
	for _, path := range []string{"/messages", "/events"} {
		wantError(t, bob.Do("GET", fmt.Sprintf("/api/v1/rooms/%d%s", priv.ID, path), nil), http.StatusNotFound, "NOT_FOUND")
	}
	wantError(t, bob.Do("POST", fmt.Sprintf("/api/v1/rooms/%d/messages", priv.ID), map[string]string{"body": "hi"}), http.StatusNotFound, "NOT_FOUND")
	for _, id := range []string{"999999", "abc", "-1"} {
		wantError(t, bob.Do("GET", "/api/v1/rooms/"+id+"/messages", nil), http.StatusNotFound, "NOT_FOUND")
	}
	var rooms struct{ Rooms []chatRoom }
	bob.Do("GET", "/api/v1/rooms", nil).Decode(t, &rooms)
	for _, r := range rooms.Rooms {
		if r.ID == priv.ID {
			t.Error("bob's room list shows ann's private room")
		}
	}
}

func TestChat_StreamHeadersHeartbeatAndLiveMessage(t *testing.T) {
	srv := chatServer(t)
	ann, bob := srv.Client(t), srv.Client(t)
	registerUser(t, ann, "ann@example.com", "Ann")
	registerUser(t, bob, "bob@example.com", "Bob")
	g := general(t, ann)
	old := send(t, ann, g, "before the stream", "")
	s := openStream(t, srv, bob, g, "")
	h := s.Resp.Header
	if s.Resp.StatusCode != 200 || h.Get("Content-Type") != "text/event-stream" || h.Get("X-Accel-Buffering") != "no" || h.Get("Cache-Control") != "no-store" {
		t.Fatalf("stream answer %d %v", s.Resp.StatusCode, h)
	}
	// Headers arrived before any event: the heartbeat is the first thing.
	for e := range s.Events {
		if e.Comment == "ping" {
			break
		}
		t.Fatalf("before the first heartbeat got %+v", e)
	}
	m := send(t, ann, g, "live", "")
	got := s.nextMessage(t)
	if got.ID != m.ID || got.Body != "live" || got.ID == old.ID {
		t.Errorf("live message = %+v, want %d", got, m.ID)
	}
}

// TestChat_ReplayHasNoGapOrDuplicate: a reader drops its stream at random
// points and resumes with Last-Event-ID while senders post concurrently;
// what it received, in order, is exactly what was stored.
func TestChat_ReplayHasNoGapOrDuplicate(t *testing.T) {
	srv := chatServer(t)
	ann, bob := srv.Client(t), srv.Client(t)
	registerUser(t, ann, "ann@example.com", "Ann")
	registerUser(t, bob, "bob@example.com", "Bob")
	g := general(t, ann)
	const senders, each = 3, 40
	var wg sync.WaitGroup
	for i := range senders {
		wg.Go(func() {
			c := srv.Client(t)
			login(c, "ann@example.com", goodPassword)
			for j := range each {
				send(t, c, g, fmt.Sprintf("%d-%d", i, j), fmt.Sprintf("%d-%d", i, j))
			}
		})
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var got []int64
	last := "0"
	for len(got) < senders*each {
		s := openStream(t, srv, bob, g, last)
		for n := 1 + rng.IntN(15); n > 0 && len(got) < senders*each; n-- {
			m := s.nextMessage(t)
			got = append(got, m.ID)
			last = fmt.Sprint(m.ID)
		}
		s.Close()
	}
	wg.Wait()
	stored := history(t, ann, g, "?limit=100")
	stored = append(stored, history(t, ann, g, fmt.Sprintf("?limit=100&before=%d", stored[len(stored)-1].ID))...)
	var want []int64
	for _, m := range stored {
		want = append(want, m.ID)
	}
	slices.Reverse(want)
	if !slices.Equal(got, want) {
		t.Errorf("received %d ids %v\nstored %d ids %v", len(got), got, len(want), want)
	}
}

func TestChat_ReconnectAfterDropLosesNothing(t *testing.T) {
	srv := chatServer(t)
	ann := srv.Client(t)
	registerUser(t, ann, "ann@example.com", "Ann")
	g := general(t, ann)
	s := openStream(t, srv, ann, g, "")
	a := send(t, ann, g, "a", "")
	if got := s.nextMessage(t); got.ID != a.ID {
		t.Fatalf("got %d, want %d", got.ID, a.ID)
	}
	s.Close()
	b := send(t, ann, g, "b", "")
	c := send(t, ann, g, "c", "")
	// ?after= works as Last-Event-ID does (for clients that cannot set it).
	r := openStreamQuery(t, srv, ann, g, a.ID)
	for _, want := range []int64{b.ID, c.ID} {
		if got := r.nextMessage(t); got.ID != want {
			t.Fatalf("after reconnect got %d, want %d", got.ID, want)
		}
	}
	d := send(t, ann, g, "d", "")
	if got := r.nextMessage(t); got.ID != d.ID {
		t.Fatalf("live after replay got %d, want %d", got.ID, d.ID)
	}
}

func openStreamQuery(t *testing.T, srv *testserver.Server, c *testserver.Client, room, after int64) *sseStream {
	t.Helper()
	// The Last-Event-ID header is left empty; ?after= carries the id.
	return openStreamPath(t, srv, c, fmt.Sprintf("/api/v1/rooms/%d/events?after=%d", room, after))
}
