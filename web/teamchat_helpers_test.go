package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/toriihq/torii/app"
	"github.com/toriihq/torii/testserver"
)

// teamServer is chatServer with an admin address (boss@example.com) and,
// when db is set, that database.
func teamServer(t *testing.T, db string) *testserver.Server {
	t.Helper()
	env := map[string]string{"TORII_RATE_MESSAGES_USER": "off", "TORII_ADMIN_EMAILS": "boss@example.com"}
	if db != "" {
		env["TORII_DATABASE"] = db
	}
	return testserver.Start(t, testserver.Options{Env: env, AppOptions: app.Options{
		Hasher: testserver.FastHasher(), ChatHeartbeat: 50 * time.Millisecond, StreamWriteTimeout: 200 * time.Millisecond,
	}})
}

// teamMember registers a user and returns their browser and id.
func teamMember(t *testing.T, srv *testserver.Server, email, name string) (*testserver.Client, int64) {
	t.Helper()
	c := srv.Client(t)
	registerUser(t, c, email, name)
	return c, userID(t, c)
}

// teamRoom is a room as the team chat's endpoints show it.
type teamRoom struct {
	ID         int64  `json:"id"`
	Name       string `json:"name"`
	Kind       string `json:"kind"`
	Visibility string `json:"visibility"`
	Topic      string `json:"topic"`
	Archived   bool   `json:"archived"`
	OwnerID    *int64 `json:"ownerId"`
	Unread     int    `json:"unread"`
	Mentions   int    `json:"mentions"`
	Members    []struct {
		ID int64 `json:"id"`
	} `json:"members"`
}

// teamMessage is a message with issue 17's fields.
type teamMessage struct {
	ID        int64      `json:"id"`
	RoomID    int64      `json:"roomId"`
	Body      string     `json:"body"`
	EditedAt  *time.Time `json:"editedAt"`
	Deleted   bool       `json:"deleted"`
	Mentions  []int64    `json:"mentions"`
	ReplyTo   *int64     `json:"replyTo"`
	Reactions []struct {
		Emoji   string  `json:"emoji"`
		Count   int     `json:"count"`
		UserIDs []int64 `json:"userIds"`
	} `json:"reactions"`
	ReplyPreview *struct {
		ID   int64  `json:"id"`
		Body string `json:"body"`
	} `json:"replyPreview"`
}

func openDM(t *testing.T, c *testserver.Client, want int, ids ...int64) teamRoom {
	t.Helper()
	r := c.Do("POST", "/api/v1/dms", map[string]any{"userIds": ids})
	if r.Status != want {
		t.Fatalf("open DM: %d %s, want %d", r.Status, r.Body, want)
	}
	var out struct{ Room teamRoom }
	r.Decode(t, &out)
	return out.Room
}

func teamRooms(t *testing.T, c *testserver.Client) map[int64]teamRoom {
	t.Helper()
	var out struct{ Rooms []teamRoom }
	c.Do("GET", "/api/v1/rooms", nil).Decode(t, &out)
	m := map[int64]teamRoom{}
	for _, r := range out.Rooms {
		m[r.ID] = r
	}
	return m
}

func postTeam(t *testing.T, c *testserver.Client, room int64, body map[string]any) teamMessage {
	t.Helper()
	r := c.Do("POST", fmt.Sprintf("/api/v1/rooms/%d/messages", room), body)
	if r.Status != http.StatusCreated {
		t.Fatalf("send: %d %s", r.Status, r.Body)
	}
	var out struct{ Message teamMessage }
	r.Decode(t, &out)
	return out.Message
}

func mustStatus(t *testing.T, r *testserver.Response, want int) *testserver.Response {
	t.Helper()
	if r.Status != want {
		t.Fatalf("got %d %s, want %d", r.Status, r.Body, want)
	}
	return r
}

// openEvents opens the user stream with lastID as Last-Event-ID ("" for
// none).
func openEvents(t *testing.T, srv *testserver.Server, c *testserver.Client, lastID string) *sseStream {
	t.Helper()
	s := openStreamPath(t, srv, c, "/api/v1/events", "Last-Event-ID", lastID)
	if s.Resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/v1/events: %d", s.Resp.StatusCode)
	}
	return s
}

// next returns the next event of one of the kinds (comments and other
// kinds skipped), checking that its data is JSON with a roomId.
func (s *sseStream) next(t *testing.T, kinds ...string) sseEvent {
	t.Helper()
	timeout := time.After(streamWait)
	for {
		e, ok := s.recv(t, timeout, fmt.Sprint(kinds))
		if !ok {
			t.Fatalf("stream ended while %v was expected", kinds)
		}
		for _, k := range kinds {
			if e.Event == k {
				var d map[string]any
				if err := json.Unmarshal([]byte(e.Data), &d); err != nil {
					t.Fatalf("%s data %q: %v", e.Event, e.Data, err)
				}
				if _, ok := d["roomId"]; !ok {
					t.Fatalf("%s data without roomId: %s", e.Event, e.Data)
				}
				return e
			}
		}
	}
}

// message decodes the message of a message.* or reaction event.
func (e sseEvent) message(t *testing.T) teamMessage {
	t.Helper()
	var m teamMessage
	if err := json.Unmarshal([]byte(e.Data), &m); err != nil {
		t.Fatalf("%s data %q: %v", e.Event, e.Data, err)
	}
	return m
}

// roomIDOf returns the roomId of an event's data.
func (e sseEvent) roomIDOf(t *testing.T) int64 {
	t.Helper()
	var d struct {
		RoomID int64 `json:"roomId"`
	}
	if err := json.Unmarshal([]byte(e.Data), &d); err != nil {
		t.Fatal(err)
	}
	return d.RoomID
}

// until returns the events received up to and including the first of
// kind that match accepts: a test shows that something did NOT arrive by
// finding it absent before a later marker event.
func (s *sseStream) until(t *testing.T, kind string, match func(sseEvent) bool) []sseEvent {
	t.Helper()
	var seen []sseEvent
	timeout := time.After(streamWait)
	for {
		e, ok := s.recv(t, timeout, "matching "+kind)
		if !ok {
			t.Fatalf("stream ended while waiting for %s", kind)
		}
		if e.Event == "" {
			continue // a comment
		}
		seen = append(seen, e)
		if e.Event == kind && match(e) {
			return seen
		}
	}
}
