package web_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/toriihq/torii/testserver"
)

// wantRateLimited checks a 429 RATE_LIMITED with a Retry-After.
func wantRateLimited(t *testing.T, r *testserver.Response) {
	t.Helper()
	wantError(t, r, http.StatusTooManyRequests, "RATE_LIMITED")
	if r.Header.Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
}

type roomPage struct {
	Rooms []struct {
		ID            int64  `json:"id"`
		Name          string `json:"name"`
		LastMessageID *int64 `json:"lastMessageId"`
	} `json:"rooms"`
	NextAfter *int64 `json:"nextAfter"`
}

func rooms(t *testing.T, c *testserver.Client, query string) roomPage {
	t.Helper()
	r := c.Do("GET", "/api/v1/rooms"+query, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("rooms%s: %d %s", query, r.Status, r.Body)
	}
	var p roomPage
	r.Decode(t, &p)
	return p
}

func TestCreationLimits_RoomsPerUserAnswer429WithRetryAfter(t *testing.T) {
	clock := testserver.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	srv := testserver.Start(t, testserver.Options{Env: map[string]string{"TORII_RATE_ROOMS_USER": "3/1h"}, AppOptions: appOpts(clock)})
	ann, bob := srv.Client(t), srv.Client(t)
	registerUser(t, ann, "ann@example.com", "Ann")
	registerUser(t, bob, "bob@example.com", "Bob")
	for i := range 3 {
		createRoom(t, ann, map[string]any{"name": fmt.Sprint("r", i), "visibility": "private"})
	}
	wantRateLimited(t, ann.Do("POST", "/api/v1/rooms", map[string]any{"name": "one too many", "visibility": "private"}))
	if n := len(rooms(t, ann, "").Rooms); n != 4 {
		t.Fatalf("ann sees %d rooms, want general and her 3 (the refused one not stored)", n)
	}
	// The limit is per user.
	createRoom(t, bob, map[string]any{"name": "bob's", "visibility": "private"})
	// And per window.
	clock.Advance(time.Hour + time.Second)
	createRoom(t, ann, map[string]any{"name": "an hour later", "visibility": "private"})
}

func TestCreationLimits_MessagesPerUserAnswer429WithRetryAfter(t *testing.T) {
	clock := testserver.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	srv := testserver.Start(t, testserver.Options{Env: map[string]string{"TORII_RATE_MESSAGES_USER": "5/10s"}, AppOptions: appOpts(clock)})
	ann := srv.Client(t)
	registerUser(t, ann, "ann@example.com", "Ann")
	g := general(t, ann)
	for i := range 5 {
		send(t, ann, g, "hi", fmt.Sprint("c", i))
	}
	r := ann.Do("POST", fmt.Sprintf("/api/v1/rooms/%d/messages", g), map[string]string{"body": "flood", "clientId": "c5"})
	wantRateLimited(t, r)
	if got := history(t, ann, g, ""); len(got) != 5 {
		t.Fatalf("%d messages stored, want 5", len(got))
	}
	clock.Advance(11 * time.Second)
	send(t, ann, g, "later", "c6")
}

func TestCreationLimits_GroupsPerUserAnswer429WithRetryAfter(t *testing.T) {
	env := map[string]string{"TORII_RATE_GROUPS_USER": "2/1h", "TORII_ADMIN_EMAILS": "boss@example.com"}
	srv := start(t, env)
	admin := adminClient(t, srv)
	for i := range 2 {
		if r := admin.Do("POST", "/api/v1/groups", map[string]string{"name": fmt.Sprint("team ", i)}); r.Status != http.StatusCreated {
			t.Fatalf("create group: %d %s", r.Status, r.Body)
		}
	}
	wantRateLimited(t, admin.Do("POST", "/api/v1/groups", map[string]string{"name": "team 3"}))
}

func TestRoomList_PagedByIDWithNewestMessageID(t *testing.T) {
	srv := start(t, map[string]string{"TORII_RATE_ROOMS_USER": "off"})
	ann := srv.Client(t)
	registerUser(t, ann, "ann@example.com", "Ann")
	g := general(t, ann)
	last := send(t, ann, g, "hello", "c1")
	for i := range 120 {
		createRoom(t, ann, map[string]any{"name": fmt.Sprint("r", i), "visibility": "private"})
	}
	first := rooms(t, ann, "")
	if len(first.Rooms) != 50 || first.NextAfter == nil || *first.NextAfter != first.Rooms[49].ID {
		t.Fatalf("default page: %d rooms, nextAfter %v", len(first.Rooms), first.NextAfter)
	}
	if first.Rooms[0].ID != g || first.Rooms[0].LastMessageID == nil || *first.Rooms[0].LastMessageID != last.ID {
		t.Fatalf("general's lastMessageId = %v, want %d", first.Rooms[0].LastMessageID, last.ID)
	}
	if first.Rooms[1].LastMessageID != nil {
		t.Fatalf("an empty room's lastMessageId = %v, want null", *first.Rooms[1].LastMessageID)
	}
	if n := len(rooms(t, ann, "?limit=500").Rooms); n != 100 {
		t.Fatalf("limit=500 gave %d rooms, want the cap of 100", n)
	}
	// Following nextAfter lists every room once, in id order.
	seen, after := map[int64]bool{}, int64(0)
	var prev int64
	for pages := 0; ; pages++ {
		p := rooms(t, ann, fmt.Sprintf("?limit=100&after=%d", after))
		for _, r := range p.Rooms {
			if seen[r.ID] || r.ID <= prev {
				t.Fatalf("room %d twice or out of order", r.ID)
			}
			seen[r.ID], prev = true, r.ID
		}
		if p.NextAfter == nil {
			break
		}
		after = *p.NextAfter
		if pages > 3 {
			t.Fatal("paging does not end")
		}
	}
	if len(seen) != 121 {
		t.Fatalf("paging listed %d rooms, want 121", len(seen))
	}
	wantError(t, ann.Do("GET", "/api/v1/rooms?after=x", nil), http.StatusUnprocessableEntity, "VALIDATION_ERROR")
}
