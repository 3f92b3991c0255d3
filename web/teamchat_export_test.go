package web_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/toriihq/torii/testserver"
)

// The audited export (issue 17): direct conversations are visible to
// their members only, administrators included, except through an
// explicit export that requires a reason and is audited.

// exportPath is the export of room id, with a query (after, limit) if any.
func exportPath(id int64, query string) string {
	return fmt.Sprintf("/api/v1/admin/rooms/%d/export%s", id, query)
}

type exportPage struct {
	Room struct {
		ID      int64  `json:"id"`
		Kind    string `json:"kind"`
		Members []struct {
			ID int64 `json:"id"`
		} `json:"members"`
	} `json:"room"`
	Members []struct {
		UserID int64 `json:"userId"`
	} `json:"members"`
	Messages  []teamMessage `json:"messages"`
	NextAfter *int64        `json:"nextAfter"`
}

// dmWithMessages is a direct conversation between ann and bob with n
// messages from ann, and the server's admin (boss).
func dmWithMessages(t *testing.T, n int) (srv *testserver.Server, boss, ann *testserver.Client, dm teamRoom, sent []teamMessage) {
	t.Helper()
	srv = teamServer(t, "")
	boss = adminClient(t, srv)
	ann, _ = teamMember(t, srv, "ann@example.com", "Ann")
	_, bobID := teamMember(t, srv, "bob@example.com", "Bob")
	dm = openDM(t, ann, http.StatusCreated, bobID)
	for i := range n {
		sent = append(sent, postTeam(t, ann, dm.ID, map[string]any{"body": fmt.Sprint("private ", i)}))
	}
	return srv, boss, ann, dm, sent
}

func TestAdminExport_NonAdminIsRefused(t *testing.T) {
	_, _, ann, dm, _ := dmWithMessages(t, 1)
	// Even a member of the conversation: the export is an admin's tool.
	wantError(t, ann.Do("POST", exportPath(dm.ID, ""), map[string]string{"reason": "curious"}), http.StatusForbidden, "FORBIDDEN")
}

func TestAdminExport_ReasonIsRequired(t *testing.T) {
	_, boss, _, dm, _ := dmWithMessages(t, 1)
	for _, body := range []map[string]string{{}, {"reason": "   "}} {
		r := boss.Do("POST", exportPath(dm.ID, ""), body)
		wantError(t, r, http.StatusUnprocessableEntity, "VALIDATION_ERROR")
		if f, _ := r.JSON()["error"].(map[string]any)["fields"].(map[string]any); f["reason"] == nil {
			t.Fatalf("no reason field in %s", r.Body)
		}
	}
	wantError(t, boss.Do("POST", exportPath(dm.ID, ""), map[string]string{"reason": "a\nb"}), http.StatusUnprocessableEntity, "VALIDATION_ERROR")
	wantError(t, boss.Do("POST", exportPath(dm.ID+1000, ""), map[string]string{"reason": "legal hold"}), http.StatusNotFound, "NOT_FOUND")
}

// TestAdminExport_DMIsExportedWithItsMessagesAndAudited: the admin cannot
// read the conversation through the chat API (404, as for anyone not in
// it), but the export gives its messages, a page at a time, and every page
// read writes room.export with the admin, the room and the reason.
func TestAdminExport_DMIsExportedWithItsMessagesAndAudited(t *testing.T) {
	_, boss, ann, dm, sent := dmWithMessages(t, 3)
	wantError(t, boss.Do("GET", fmt.Sprintf("/api/v1/rooms/%d/messages", dm.ID), nil), http.StatusNotFound, "NOT_FOUND")
	mustStatus(t, ann.Do("DELETE", fmt.Sprintf("/api/v1/rooms/%d/messages/%d", dm.ID, sent[1].ID), nil), http.StatusNoContent)

	var first, second exportPage
	mustStatus(t, boss.Do("POST", exportPath(dm.ID, "?limit=2"), map[string]string{"reason": "legal hold #42"}), http.StatusOK).Decode(t, &first)
	if first.Room.ID != dm.ID || first.Room.Kind != "dm" || len(first.Room.Members) != 2 || len(first.Members) != 2 {
		t.Fatalf("room %+v members %+v", first.Room, first.Members)
	}
	if len(first.Messages) != 2 || first.Messages[0].Body != "private 0" || !first.Messages[1].Deleted || first.Messages[1].Body != "" {
		t.Fatalf("first page %+v", first.Messages)
	}
	if first.NextAfter == nil || *first.NextAfter != sent[1].ID {
		t.Fatalf("nextAfter %v, want %d", first.NextAfter, sent[1].ID)
	}
	mustStatus(t, boss.Do("POST", exportPath(dm.ID, fmt.Sprintf("?after=%d", *first.NextAfter)), map[string]string{"reason": "legal hold #42"}), http.StatusOK).Decode(t, &second)
	if len(second.Messages) != 1 || second.Messages[0].ID != sent[2].ID || second.NextAfter != nil {
		t.Fatalf("second page %+v next %v", second.Messages, second.NextAfter)
	}

	var audit struct {
		Events []struct {
			UserID *int64         `json:"userId"`
			Email  string         `json:"email"`
			Detail map[string]any `json:"detail"`
		} `json:"events"`
	}
	mustStatus(t, boss.Do("GET", "/api/v1/admin/audit?event=room.export", nil), http.StatusOK).Decode(t, &audit)
	if len(audit.Events) != 2 {
		t.Fatalf("%d room.export events for two pages read", len(audit.Events))
	}
	bossID := userID(t, boss)
	for _, e := range audit.Events {
		d := e.Detail
		if e.UserID == nil || *e.UserID != bossID || e.Email != "boss@example.com" ||
			d["roomId"] != float64(dm.ID) || d["reason"] != "legal hold #42" || d["dm"] != true {
			t.Fatalf("audit event %+v", e)
		}
	}
}
