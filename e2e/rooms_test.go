package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowser_RoomListStaysLiveWithoutPolling: rooms created and written
// in by someone else reach the page through its one live connection, each
// with its unread count; the page asks the server for nothing meanwhile
// (no room list, no room's messages: no polling).
func TestBrowser_RoomListStaysLiveWithoutPolling(t *testing.T) {
	srv, a := annLiveBobWaiting(t)
	bob := srv.Client(t)
	if r := bob.Do("POST", "/api/v1/auth/login", map[string]string{"email": "bob@example.com", "password": goodPassword}); r.Status != http.StatusOK {
		t.Fatalf("bob's sign-in: %d %s", r.Status, r.Body)
	}
	const perRoom = `route="GET /api/v1/rooms/{id}/messages"`
	const list = `route="GET /api/v1/rooms"`
	before, listsBefore := strings.Count(srv.Logs.String(), perRoom), strings.Count(srv.Logs.String(), list)
	var ids []int64
	for i := range 12 {
		r := bob.Do("POST", "/api/v1/rooms", map[string]any{"name": fmt.Sprintf("room %d", i), "visibility": "public"})
		if r.Status != http.StatusCreated {
			t.Fatalf("create room: %d %s", r.Status, r.Body)
		}
		id := int64(r.JSON()["room"].(map[string]any)["id"].(float64))
		ids = append(ids, id)
		if i%2 == 0 {
			bob.Do("POST", fmt.Sprintf("/api/v1/rooms/%d/messages", id), map[string]string{"body": "hello"})
		}
	}
	for i, id := range ids {
		link := fmt.Sprintf(`#room-list .room-link[data-room-id="%d"]`, id)
		do(t, a, fmt.Sprintf("room %d appears", i), chromedp.WaitVisible(chromedp.CSS(link)))
		if i%2 == 0 {
			do(t, a, fmt.Sprintf("room %d is marked unread", i), chromedp.WaitVisible(chromedp.CSS(link+" .unread")))
		} else if n := count(t, a, link+" .unread"); n != 0 {
			t.Errorf("room %d, with no message, is marked unread", i)
		}
	}
	logs := srv.Logs.String()
	if n := strings.Count(logs, perRoom) - before; n != 0 {
		t.Errorf("the page asked %d rooms for their messages, want none", n)
	}
	if n := strings.Count(logs, list) - listsBefore; n != 0 {
		t.Errorf("the page asked for the room list %d times, want none", n)
	}
}
