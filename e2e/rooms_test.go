package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowser_UnreadCheckIsOneRequestNotOnePerRoom: with many rooms, the
// page's unread check (on focus, and every 20 s) is the room list itself
// (each room carries its newest message's id): it asks no room for its
// messages, and still marks the rooms that hold unread messages.
func TestBrowser_UnreadCheckIsOneRequestNotOnePerRoom(t *testing.T) {
	srv, a := annLiveBobWaiting(t)
	bob := srv.Client(t)
	if r := bob.Do("POST", "/api/v1/auth/login", map[string]string{"email": "bob@example.com", "password": goodPassword}); r.Status != http.StatusOK {
		t.Fatalf("bob's sign-in: %d %s", r.Status, r.Body)
	}
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
	const perRoom = `route="GET /api/v1/rooms/{id}/messages"`
	const list = `route="GET /api/v1/rooms"`
	before, listsBefore := strings.Count(srv.Logs.String(), perRoom), strings.Count(srv.Logs.String(), list)
	do(t, a, "the tab regains focus", chromedp.Evaluate[chromedp.Void]("window.dispatchEvent(new Event('focus'))"))
	for i, id := range ids {
		marker := fmt.Sprintf(`#room-list .room-link[data-room-id="%d"] .unread`, id)
		if i%2 == 0 {
			do(t, a, fmt.Sprintf("room %d is marked unread", i), chromedp.WaitVisible(chromedp.CSS(marker)))
		} else if n := count(t, a, marker); n != 0 {
			t.Errorf("room %d, with no message, is marked unread", i)
		}
	}
	logs := srv.Logs.String()
	if n := strings.Count(logs, perRoom) - before; n != 0 {
		t.Errorf("the unread check asked %d rooms for their messages, want none", n)
	}
	if n := strings.Count(logs, list) - listsBefore; n != 1 {
		t.Errorf("the unread check made %d room-list requests, want 1", n)
	}
}
