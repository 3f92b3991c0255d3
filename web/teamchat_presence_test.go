package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/toriihq/torii/testserver"
)

// Presence is for people who share a room or a group (issue 17): a user
// coming online is announced to those, not to every user of the server.

// TestTeamChat_PresenceReachesOnlyPeopleWhoShareARoom: ann and bob share
// a direct conversation, cat and dan another; cat's stream hears dan come
// online and never ann, who came online first.
func TestTeamChat_PresenceReachesOnlyPeopleWhoShareARoom(t *testing.T) {
	srv := teamServer(t, "")
	presenceScoped(t, srv, srv)
}

// TestTeamChat_PresenceReachesOnlyPeopleWhoShareARoomAcrossInstances: the
// same with ann and dan online on one instance and bob's and cat's
// streams on another, on one PostgreSQL database (the scope travels with
// the NOTIFY).
func TestTeamChat_PresenceReachesOnlyPeopleWhoShareARoomAcrossInstances(t *testing.T) {
	db := testserver.PostgresDatabase(t)
	presenceScoped(t, teamServer(t, db), teamServer(t, db))
}

// presenceScoped runs the check with ann and dan connecting to a and the
// listeners (bob, cat) connected to b.
func presenceScoped(t *testing.T, a, b *testserver.Server) {
	t.Helper()
	ann, annID := teamMember(t, a, "ann@example.com", "Ann")
	dan, danID := teamMember(t, a, "dan@example.com", "Dan")
	bob, bobID := teamMember(t, b, "bob@example.com", "Bob")
	cat, _ := teamMember(t, b, "cat@example.com", "Cat")
	openDM(t, ann, http.StatusCreated, bobID)
	openDM(t, cat, http.StatusCreated, danID)
	bobEvents := openEvents(t, b, bob, "")
	catEvents := openEvents(t, b, cat, "")

	openEvents(t, a, ann, "")
	bobEvents.until(t, "presence", isPresence(annID, true))
	// dan comes online after ann: cat hears dan, and nothing of ann first.
	openEvents(t, a, dan, "")
	for _, e := range catEvents.until(t, "presence", isPresence(danID, true)) {
		if e.Event == "presence" && isPresence(annID, true)(e) {
			t.Fatalf("cat, who shares nothing with ann, heard her presence: %s", e.Data)
		}
	}
}

func isPresence(uid int64, online bool) func(sseEvent) bool {
	return func(e sseEvent) bool {
		return strings.Contains(e.Data, fmt.Sprintf(`"userId":%d,"online":%t`, uid, online))
	}
}

// TestTeamChat_MemberListShowsWhoIsOnlineToMembersOnly: a reader of a
// public room they have not joined sees its member list without who is
// online; once they join, they see it.
func TestTeamChat_MemberListShowsWhoIsOnlineToMembersOnly(t *testing.T) {
	srv := teamServer(t, "")
	ann, annID := teamMember(t, srv, "ann@example.com", "Ann")
	cat, catID := teamMember(t, srv, "cat@example.com", "Cat")
	room := createRoom(t, ann, map[string]any{"name": "open", "visibility": "public"})
	openEvents(t, srv, ann, "")
	annOnline := func(c *testserver.Client) bool {
		var out struct {
			Members []struct {
				UserID int64 `json:"userId"`
				Online bool  `json:"online"`
			}
		}
		mustStatus(t, c.Do("GET", fmt.Sprintf("/api/v1/rooms/%d/members", room.ID), nil), http.StatusOK).Decode(t, &out)
		for _, m := range out.Members {
			if m.UserID == annID {
				return m.Online
			}
		}
		t.Fatalf("ann is not in the member list: %+v", out.Members)
		return false
	}
	if !annOnline(ann) {
		t.Fatal("ann, online, is not shown online to herself")
	}
	if annOnline(cat) {
		t.Fatal("cat, who has not joined the room, sees ann online")
	}
	mustStatus(t, cat.Do("POST", fmt.Sprintf("/api/v1/rooms/%d/members", room.ID), map[string]any{"userId": catID}), http.StatusCreated)
	if !annOnline(cat) {
		t.Fatal("cat, now a member, does not see ann online")
	}
}
