package cli_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/toriihq/torii/app"
	"github.com/toriihq/torii/testserver"
)

// TestRoomExport_PrintsTheConversationAndNeedsAReason: `torii room export`
// prints a direct conversation's messages as JSON, every page joined, and
// refuses without a reason; each page read is audited (room.export, by
// "cli").
func TestRoomExport_PrintsTheConversationAndNeedsAReason(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{Env: map[string]string{"TORII_RATE_MESSAGES_USER": "off", "TORII_ADMIN_EMAILS": "boss@example.com"},
		AppOptions: app.Options{Hasher: testserver.FastHasher()}})
	register := func(email string) (*testserver.Client, int64) {
		c := srv.Client(t)
		r := c.Do("POST", "/api/v1/auth/register", map[string]string{"email": email, "password": "correct horse battery", "name": email})
		if r.Status != http.StatusCreated {
			t.Fatalf("register %s: %d %s", email, r.Status, r.Body)
		}
		return c, int64(r.JSON()["user"].(map[string]any)["id"].(float64))
	}
	boss, _ := register("boss@example.com")
	if out, code := srv.CLI(t, "", "user", "verify", "boss@example.com"); code != 0 {
		t.Fatalf("verify: %d %s", code, out)
	}
	ann, _ := register("ann@example.com")
	_, bobID := register("bob@example.com")
	r := ann.Do("POST", "/api/v1/dms", map[string]any{"userIds": []int64{bobID}})
	if r.Status != http.StatusCreated {
		t.Fatalf("dm: %d %s", r.Status, r.Body)
	}
	dm := int64(r.JSON()["room"].(map[string]any)["id"].(float64))
	const n = 130 // more than one page of 100
	for i := range n {
		if r := ann.Do("POST", fmt.Sprintf("/api/v1/rooms/%d/messages", dm), map[string]string{"body": fmt.Sprint("m", i)}); r.Status != http.StatusCreated {
			t.Fatalf("post: %d %s", r.Status, r.Body)
		}
	}

	out, code := srv.CLI(t, "", "room", "export", fmt.Sprint(dm))
	if code != 1 || !strings.Contains(out, "reason is required") {
		t.Fatalf("without a reason: %d %s", code, out)
	}
	out, code = srv.CLI(t, "", "room", "export", fmt.Sprint(dm), "--reason", "legal hold")
	if code != 0 {
		t.Fatalf("export: %d %s", code, out)
	}
	var doc struct {
		Room struct {
			ID   int64  `json:"id"`
			Kind string `json:"kind"`
		} `json:"room"`
		Members  []json.RawMessage `json:"members"`
		Messages []struct {
			Body string `json:"body"`
		} `json:"messages"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if doc.Room.ID != dm || doc.Room.Kind != "dm" || len(doc.Members) != 2 || len(doc.Messages) != n ||
		doc.Messages[0].Body != "m0" || doc.Messages[n-1].Body != fmt.Sprint("m", n-1) {
		t.Fatalf("export: room %+v, %d members, %d messages", doc.Room, len(doc.Members), len(doc.Messages))
	}
	events := boss.Do("GET", "/api/v1/admin/audit?event=room.export", nil).JSON()["events"].([]any)
	if len(events) != 2 {
		t.Fatalf("%d room.export events for two pages", len(events))
	}
	for _, e := range events {
		d := e.(map[string]any)["detail"].(map[string]any)
		if d["reason"] != "legal hold" || d["by"] != "cli" || d["roomId"] != float64(dm) {
			t.Fatalf("audit %v", e)
		}
	}
	if out, code := srv.CLI(t, "", "room", "export", "x", "--reason", "r"); code != 2 || !strings.Contains(out, "usage: torii room export") {
		t.Fatalf("bad id: %d %s", code, out)
	}
}
