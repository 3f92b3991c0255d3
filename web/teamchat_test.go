package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/app"
	"github.com/toriihq/torii/testserver"
)

// Issue 17: the team chat's access rules, live connection, edits,
// reactions and unread counts.

func TestTeamChat_DMIsReusedAndVisibleToItsMembersOnly(t *testing.T) {
	srv := teamServer(t, "")
	ann, _ := teamMember(t, srv, "ann@example.com", "Ann")
	bob, bobID := teamMember(t, srv, "bob@example.com", "Bob")
	cat, _ := teamMember(t, srv, "cat@example.com", "Cat")
	boss := adminClient(t, srv)
	catEvents := openEvents(t, srv, cat, "")
	bobEvents := openEvents(t, srv, bob, "")

	dm := openDM(t, ann, http.StatusCreated, bobID)
	if dm.Kind != "dm" || len(dm.Members) != 2 {
		t.Fatalf("DM = %+v", dm)
	}
	if again := openDM(t, bob, http.StatusOK, userID(t, ann)); again.ID != dm.ID {
		t.Fatalf("reopened DM %d, want %d", again.ID, dm.ID)
	}
	postTeam(t, ann, dm.ID, map[string]any{"body": "just for bob"})
	if e := bobEvents.next(t, "message"); e.message(t).Body != "just for bob" {
		t.Fatalf("bob got %s", e.Data)
	}
	// Cat, and the admin, cannot see it anywhere.
	for _, c := range []*testserver.Client{cat, boss} {
		for _, path := range []string{"/messages", "/events", "/members"} {
			wantError(t, c.Do("GET", fmt.Sprintf("/api/v1/rooms/%d%s", dm.ID, path), nil), http.StatusNotFound, "NOT_FOUND")
		}
		wantError(t, c.Do("POST", fmt.Sprintf("/api/v1/rooms/%d/messages", dm.ID), map[string]string{"body": "x"}), http.StatusNotFound, "NOT_FOUND")
		wantError(t, c.Do("DELETE", fmt.Sprintf("/api/v1/rooms/%d", dm.ID), nil), http.StatusNotFound, "NOT_FOUND")
		if _, ok := teamRooms(t, c)[dm.ID]; ok {
			t.Fatal("a non-member's room list shows the DM")
		}
	}
	// Cat's stream: the next message event is the public one sent after
	// the DM, not the DM.
	pub := createRoom(t, ann, map[string]any{"name": "lobby", "visibility": "public"})
	postTeam(t, ann, pub.ID, map[string]any{"body": "for everyone"})
	seen := catEvents.until(t, "message", func(e sseEvent) bool { return true })
	for _, e := range seen {
		if strings.Contains(e.Data, "just for bob") {
			t.Fatalf("cat's stream carried the DM: %s", e.Data)
		}
	}
	if m := seen[len(seen)-1].message(t); m.Body != "for everyone" {
		t.Fatalf("cat's first message event: %s", seen[len(seen)-1].Data)
	}
	// Members are fixed; at most 8 people; only people one may see.
	wantError(t, ann.Do("POST", fmt.Sprintf("/api/v1/rooms/%d/members", dm.ID), map[string]any{"userId": userID(t, cat)}), http.StatusForbidden, "FORBIDDEN")
	wantError(t, ann.Do("POST", "/api/v1/dms", map[string]any{"userIds": []int64{999999}}), http.StatusNotFound, "NOT_FOUND")
	wantError(t, ann.Do("POST", "/api/v1/dms", map[string]any{"userIds": []int64{}}), http.StatusUnprocessableEntity, "VALIDATION_ERROR")
	wantError(t, ann.Do("POST", "/api/v1/dms", map[string]any{"userIds": []int64{1, 2, 3, 4, 5, 6, 7, 8, 9}}), http.StatusUnprocessableEntity, "VALIDATION_ERROR")
}

func TestTeamChat_PeopleSearchShowsOnlyPeopleOneMaySee(t *testing.T) {
	srv := teamServer(t, "")
	ann, _ := teamMember(t, srv, "ann@example.com", "Ann Lee")
	teamMember(t, srv, "bob@example.com", "Bob Marley")
	// A company's founder is in their own group only: nobody else's.
	solo := srv.Client(t)
	mustStatus(t, solo.Do("POST", "/api/v1/auth/register", map[string]string{"email": "solo@corp.example", "password": goodPassword,
		"name": "Solo Owner", "companyName": "Corp"}), http.StatusCreated)
	var out struct {
		People []struct {
			ID   int64  `json:"id"`
			Name string `json:"name"`
		}
	}
	mustStatus(t, ann.Do("GET", "/api/v1/people?q=bob", nil), http.StatusOK).Decode(t, &out)
	if len(out.People) != 1 || out.People[0].Name != "Bob Marley" {
		t.Fatalf("people?q=bob = %+v", out.People)
	}
	mustStatus(t, ann.Do("GET", "/api/v1/people?q=solo", nil), http.StatusOK).Decode(t, &out)
	if len(out.People) != 0 {
		t.Fatalf("ann sees the other company's founder: %+v", out.People)
	}
	wantError(t, ann.Do("POST", "/api/v1/dms", map[string]any{"userIds": []int64{userID(t, solo)}}), http.StatusNotFound, "NOT_FOUND")
}

func TestTeamChat_OwnersManageRoomsAndMembersOthersAreRefused(t *testing.T) {
	srv := teamServer(t, "")
	ann, _ := teamMember(t, srv, "ann@example.com", "Ann")
	bob, bobID := teamMember(t, srv, "bob@example.com", "Bob")
	cat, catID := teamMember(t, srv, "cat@example.com", "Cat")
	boss := adminClient(t, srv)

	priv := createRoom(t, ann, map[string]any{"name": "plans", "visibility": "private"})
	// Private: invitation only.
	wantError(t, bob.Do("POST", fmt.Sprintf("/api/v1/rooms/%d/members", priv.ID), map[string]any{"userId": bobID}), http.StatusNotFound, "NOT_FOUND")
	mustStatus(t, ann.Do("POST", fmt.Sprintf("/api/v1/rooms/%d/members", priv.ID), map[string]any{"userId": bobID}), http.StatusCreated)
	wantError(t, ann.Do("POST", fmt.Sprintf("/api/v1/rooms/%d/members", priv.ID), map[string]any{"userId": bobID}), http.StatusConflict, "CONFLICT")
	// A member who is not the owner invites nobody, renames nothing.
	wantError(t, bob.Do("POST", fmt.Sprintf("/api/v1/rooms/%d/members", priv.ID), map[string]any{"userId": catID}), http.StatusForbidden, "FORBIDDEN")
	wantError(t, bob.Do("PATCH", fmt.Sprintf("/api/v1/rooms/%d", priv.ID), map[string]any{"name": "mine"}), http.StatusForbidden, "FORBIDDEN")
	wantError(t, bob.Do("DELETE", fmt.Sprintf("/api/v1/rooms/%d", priv.ID), nil), http.StatusForbidden, "FORBIDDEN")
	var members struct {
		Members []struct {
			UserID int64 `json:"userId"`
			Owner  bool  `json:"owner"`
		}
	}
	mustStatus(t, bob.Do("GET", fmt.Sprintf("/api/v1/rooms/%d/members", priv.ID), nil), http.StatusOK).Decode(t, &members)
	if len(members.Members) != 2 || !members.Members[0].Owner {
		t.Fatalf("members = %+v", members.Members)
	}
	// The owner renames, sets a topic, archives (read-only).
	r := mustStatus(t, ann.Do("PATCH", fmt.Sprintf("/api/v1/rooms/%d", priv.ID), map[string]any{"name": "roadmap", "topic": "Q3", "archived": true}), http.StatusOK)
	if !strings.Contains(string(r.Body), `"archived":true`) || !strings.Contains(string(r.Body), `"topic":"Q3"`) {
		t.Fatalf("patched room: %s", r.Body)
	}
	wantError(t, bob.Do("POST", fmt.Sprintf("/api/v1/rooms/%d/messages", priv.ID), map[string]string{"body": "hi"}), http.StatusConflict, "ROOM_ARCHIVED")
	// Leaving is removing yourself.
	mustStatus(t, bob.Do("DELETE", fmt.Sprintf("/api/v1/rooms/%d/members/%d", priv.ID, bobID), nil), http.StatusNoContent)
	wantError(t, bob.Do("GET", fmt.Sprintf("/api/v1/rooms/%d/messages", priv.ID), nil), http.StatusNotFound, "NOT_FOUND")

	// Public: anyone joins themselves; names unique per kind.
	pub := createRoom(t, ann, map[string]any{"name": "Town Square", "visibility": "public"})
	mustStatus(t, cat.Do("POST", fmt.Sprintf("/api/v1/rooms/%d/members", pub.ID), map[string]any{"userId": catID}), http.StatusCreated)
	wantError(t, cat.Do("POST", fmt.Sprintf("/api/v1/rooms/%d/members", pub.ID), map[string]any{"userId": bobID}), http.StatusForbidden, "FORBIDDEN")
	wantError(t, bob.Do("POST", "/api/v1/rooms", map[string]any{"name": "town square", "visibility": "public"}), http.StatusConflict, "ROOM_NAME_TAKEN")
	wantError(t, bob.Do("POST", "/api/v1/rooms", map[string]any{"name": "General", "visibility": "public"}), http.StatusConflict, "ROOM_NAME_TAKEN")
	createRoom(t, bob, map[string]any{"name": "town square", "visibility": "private"}) // private names may repeat
	// An admin manages any room they can see.
	mustStatus(t, boss.Do("PATCH", fmt.Sprintf("/api/v1/rooms/%d", pub.ID), map[string]any{"topic": "by the admin"}), http.StatusOK)
	mustStatus(t, boss.Do("DELETE", fmt.Sprintf("/api/v1/rooms/%d", pub.ID), nil), http.StatusNoContent)
	wantError(t, ann.Do("GET", fmt.Sprintf("/api/v1/rooms/%d/messages", pub.ID), nil), http.StatusNotFound, "NOT_FOUND")
	createRoom(t, bob, map[string]any{"name": "Town Square", "visibility": "public"}) // the name is free again
}

func TestTeamChat_InvitedMemberSeesRoomLiveAndRemovedMemberStopsAtOnce(t *testing.T) {
	srv := teamServer(t, "")
	ann, _ := teamMember(t, srv, "ann@example.com", "Ann")
	cat, catID := teamMember(t, srv, "cat@example.com", "Cat")
	removedStopsReceiving(t, srv, ann, cat, catID, srv)
}

// removedStopsReceiving: ann (on annSrv) invites cat, whose user stream
// (on catSrv) shows the room and its messages live; ann removes cat, whose
// streams stop receiving the room at once: the room stream ends, and the
// next message event on the user stream is one of a room cat still sees.
func removedStopsReceiving(t *testing.T, annSrv *testserver.Server, ann, cat *testserver.Client, catID int64, catSrv *testserver.Server) {
	t.Helper()
	events := openEvents(t, catSrv, cat, "")
	priv := createRoom(t, ann, map[string]any{"name": "secret plans", "visibility": "private"})
	mustStatus(t, ann.Do("POST", fmt.Sprintf("/api/v1/rooms/%d/members", priv.ID), map[string]any{"userId": catID}), http.StatusCreated)
	if e := events.next(t, "room.add"); e.roomIDOf(t) != priv.ID || !strings.Contains(e.Data, "secret plans") {
		t.Fatalf("room.add = %s", e.Data)
	}
	roomStream := openStream(t, catSrv, cat, priv.ID, "")
	postTeam(t, ann, priv.ID, map[string]any{"body": "welcome cat"})
	if m := events.next(t, "message").message(t); m.Body != "welcome cat" {
		t.Fatalf("message = %+v", m)
	}
	if m := roomStream.nextMessage(t); m.Body != "welcome cat" {
		t.Fatalf("room stream message = %+v", m)
	}

	mustStatus(t, ann.Do("DELETE", fmt.Sprintf("/api/v1/rooms/%d/members/%d", priv.ID, catID), nil), http.StatusNoContent)
	if e := events.next(t, "room.remove"); e.roomIDOf(t) != priv.ID {
		t.Fatalf("room.remove = %s", e.Data)
	}
	roomStream.wantEnded(t, "cat was removed")
	postTeam(t, ann, priv.ID, map[string]any{"body": "cat is gone"})
	mustStatus(t, ann.Do("POST", fmt.Sprintf("/api/v1/rooms/%d/typing", priv.ID), nil), http.StatusNoContent)
	lobby := createRoom(t, ann, map[string]any{"name": "lobby " + catSrv.URL, "visibility": "public"})
	postTeam(t, ann, lobby.ID, map[string]any{"body": "marker"})
	for _, e := range events.until(t, "message", func(e sseEvent) bool { return e.roomIDOf(t) == lobby.ID }) {
		// The removal itself may be told twice (the log's, and the
		// access re-check's without id); nothing else of the room.
		if e.Event != "presence" && e.Event != "room.add" && e.Event != "room.remove" && e.roomIDOf(t) == priv.ID {
			t.Fatalf("removed member received %s %s", e.Event, e.Data)
		}
	}
	wantError(t, cat.Do("GET", fmt.Sprintf("/api/v1/rooms/%d/messages", priv.ID), nil), http.StatusNotFound, "NOT_FOUND")
}

func TestTeamChat_EditsDeletionsAndReactionsReplayAfterReconnect(t *testing.T) {
	srv := teamServer(t, "")
	ann, annID := teamMember(t, srv, "ann@example.com", "Ann")
	bob, bobID := teamMember(t, srv, "bob@example.com", "Bob")
	dm := openDM(t, ann, http.StatusCreated, bobID)
	live := openEvents(t, srv, bob, "")
	first := postTeam(t, ann, dm.ID, map[string]any{"body": "frist"})
	e := live.next(t, "message")
	lastID := e.ID
	live.Close() // bob goes offline

	// While bob is away: an edit, a reply, a reaction, a deletion.
	r := mustStatus(t, ann.Do("PATCH", fmt.Sprintf("/api/v1/rooms/%d/messages/%d", dm.ID, first.ID), map[string]string{"body": "first"}), http.StatusOK)
	var edited struct{ Message teamMessage }
	r.Decode(t, &edited)
	if edited.Message.EditedAt == nil || edited.Message.Body != "first" {
		t.Fatalf("edit answered %s", r.Body)
	}
	wantError(t, bob.Do("PATCH", fmt.Sprintf("/api/v1/rooms/%d/messages/%d", dm.ID, first.ID), map[string]string{"body": "x"}), http.StatusForbidden, "FORBIDDEN")
	reply := postTeam(t, ann, dm.ID, map[string]any{"body": "oops, secret", "replyTo": first.ID})
	if reply.ReplyPreview == nil || reply.ReplyPreview.Body != "first" {
		t.Fatalf("reply = %+v", reply)
	}
	mustStatus(t, bob.Do("PUT", fmt.Sprintf("/api/v1/rooms/%d/messages/%d/reactions/%s", dm.ID, first.ID, "%F0%9F%91%8D"), nil), http.StatusOK)
	mustStatus(t, ann.Do("PUT", fmt.Sprintf("/api/v1/rooms/%d/messages/%d/reactions/%s", dm.ID, first.ID, "%F0%9F%91%8D"), nil), http.StatusOK)
	wantError(t, ann.Do("PUT", fmt.Sprintf("/api/v1/rooms/%d/messages/%d/reactions/%s", dm.ID, first.ID, "not%20emoji"), nil), http.StatusUnprocessableEntity, "VALIDATION_ERROR")
	wantError(t, bob.Do("DELETE", fmt.Sprintf("/api/v1/rooms/%d/messages/%d", dm.ID, reply.ID), nil), http.StatusForbidden, "FORBIDDEN")
	mustStatus(t, ann.Do("DELETE", fmt.Sprintf("/api/v1/rooms/%d/messages/%d", dm.ID, reply.ID), nil), http.StatusNoContent)

	// The text is gone from the database.
	st := openStore(t, srv)
	if m, err := st.MessageByID(t.Context(), dm.ID, reply.ID); err != nil || m.Body != "" || m.DeletedAt == nil {
		t.Fatalf("stored tombstone = %+v, %v", m, err)
	}

	back := openEvents(t, srv, bob, lastID)
	if m := back.next(t, "message.edit").message(t); m.ID != first.ID || m.Body != "first" || m.EditedAt == nil {
		t.Fatalf("replayed edit = %+v", m)
	}
	// The reply replays as it is now: a tombstone.
	if m := back.next(t, "message").message(t); m.ID != reply.ID || !m.Deleted || m.Body != "" {
		t.Fatalf("replayed reply = %+v", m)
	}
	rx := back.next(t, "reaction").message(t)
	if len(rx.Reactions) != 1 || rx.Reactions[0].Count != 2 || rx.Reactions[0].UserIDs[0] != bobID || rx.Reactions[0].UserIDs[1] != annID {
		t.Fatalf("replayed reaction = %+v", rx.Reactions)
	}
	back.next(t, "reaction")
	if m := back.next(t, "message.delete").message(t); m.ID != reply.ID || !m.Deleted {
		t.Fatalf("replayed delete = %+v", m)
	}
	// And live: an edit reaches the open stream at once, with its id.
	mustStatus(t, ann.Do("PATCH", fmt.Sprintf("/api/v1/rooms/%d/messages/%d", dm.ID, first.ID), map[string]string{"body": "first!"}), http.StatusOK)
	if e := back.next(t, "message.edit"); e.ID == "" || e.message(t).Body != "first!" {
		t.Fatalf("live edit = %+v", e)
	}
}

func TestTeamChat_UnreadAndMentionsAreSharedByTwoDevices(t *testing.T) {
	srv := teamServer(t, "")
	ann, _ := teamMember(t, srv, "ann@example.com", "Ann")
	phone, bobID := teamMember(t, srv, "bob@example.com", "Bob Stone")
	laptop := srv.Client(t)
	mustStatus(t, laptop.Do("POST", "/api/v1/auth/login", map[string]string{"email": "bob@example.com", "password": goodPassword}), http.StatusOK)

	room := createRoom(t, ann, map[string]any{"name": "ops", "visibility": "private"})
	mustStatus(t, ann.Do("POST", fmt.Sprintf("/api/v1/rooms/%d/members", room.ID), map[string]any{"userId": bobID}), http.StatusCreated)
	laptopEvents := openEvents(t, srv, laptop, "")
	postTeam(t, ann, room.ID, map[string]any{"body": "hello"})
	m := postTeam(t, ann, room.ID, map[string]any{"body": "@bob can you look?"})
	if len(m.Mentions) != 1 || m.Mentions[0] != bobID {
		t.Fatalf("mentions = %v", m.Mentions)
	}
	last := postTeam(t, ann, room.ID, map[string]any{"body": "thanks @BobStone, and @nobody"})
	if got := teamRooms(t, phone)[room.ID]; got.Unread != 3 || got.Mentions != 2 {
		t.Fatalf("phone sees unread %d mentions %d, want 3 and 2", got.Unread, got.Mentions)
	}
	// Reading on the phone clears the laptop's counts, live.
	r := mustStatus(t, phone.Do("POST", fmt.Sprintf("/api/v1/rooms/%d/read", room.ID), map[string]any{"messageId": m.ID}), http.StatusOK)
	if !strings.Contains(string(r.Body), `"unread":1`) || !strings.Contains(string(r.Body), `"mentions":1`) {
		t.Fatalf("read answered %s", r.Body)
	}
	if e := laptopEvents.next(t, "read"); !strings.Contains(e.Data, `"unread":1`) {
		t.Fatalf("read event = %s", e.Data)
	}
	mustStatus(t, phone.Do("POST", fmt.Sprintf("/api/v1/rooms/%d/read", room.ID), map[string]any{"messageId": last.ID}), http.StatusOK)
	// A marker never moves back.
	mustStatus(t, laptop.Do("POST", fmt.Sprintf("/api/v1/rooms/%d/read", room.ID), map[string]any{"messageId": m.ID}), http.StatusOK)
	if got := teamRooms(t, laptop)[room.ID]; got.Unread != 0 || got.Mentions != 0 {
		t.Fatalf("laptop sees unread %d mentions %d after reading on the phone", got.Unread, got.Mentions)
	}
	wantError(t, phone.Do("POST", fmt.Sprintf("/api/v1/rooms/%d/read", room.ID), map[string]any{"messageId": 999999}), http.StatusUnprocessableEntity, "VALIDATION_ERROR")
	// Own messages are never unread.
	postTeam(t, phone, room.ID, map[string]any{"body": "done"})
	if got := teamRooms(t, laptop)[room.ID]; got.Unread != 0 {
		t.Fatalf("own message counted unread: %d", got.Unread)
	}
}

func TestTeamChat_TypingAndPresenceReachOthersLive(t *testing.T) {
	srv := teamServer(t, "")
	ann, annID := teamMember(t, srv, "ann@example.com", "Ann")
	bob, bobID := teamMember(t, srv, "bob@example.com", "Bob")
	dm := openDM(t, ann, http.StatusCreated, bobID)
	bobEvents := openEvents(t, srv, bob, "")
	annEvents := openEvents(t, srv, ann, "")
	if e := bobEvents.until(t, "presence", func(e sseEvent) bool {
		return strings.Contains(e.Data, fmt.Sprintf(`"userId":%d`, annID))
	}); !strings.Contains(e[len(e)-1].Data, `"online":true`) {
		t.Fatalf("presence = %s", e[len(e)-1].Data)
	}
	var members struct {
		Members []struct {
			UserID int64 `json:"userId"`
			Online bool  `json:"online"`
		}
	}
	mustStatus(t, bob.Do("GET", fmt.Sprintf("/api/v1/rooms/%d/members", dm.ID), nil), http.StatusOK).Decode(t, &members)
	for _, m := range members.Members {
		if !m.Online {
			t.Fatalf("members = %+v", members.Members)
		}
	}
	// Typing is passed on at most once per 3 s per user and room.
	mustStatus(t, ann.Do("POST", fmt.Sprintf("/api/v1/rooms/%d/typing", dm.ID), nil), http.StatusNoContent)
	mustStatus(t, ann.Do("POST", fmt.Sprintf("/api/v1/rooms/%d/typing", dm.ID), nil), http.StatusNoContent)
	postTeam(t, ann, dm.ID, map[string]any{"body": "marker"})
	typing := 0
	for _, e := range bobEvents.until(t, "message", func(sseEvent) bool { return true }) {
		if e.Event == "typing" {
			typing++
			if !strings.Contains(e.Data, `"name":"Ann"`) || e.roomIDOf(t) != dm.ID {
				t.Fatalf("typing = %s", e.Data)
			}
		}
	}
	if typing != 1 {
		t.Fatalf("%d typing events for two calls within 3 s, want 1", typing)
	}
	wantError(t, srv.Client(t).Do("POST", fmt.Sprintf("/api/v1/rooms/%d/typing", dm.ID), nil), http.StatusUnauthorized, "UNAUTHORIZED")
	annEvents.Close()
	if e := bobEvents.until(t, "presence", func(e sseEvent) bool {
		return strings.Contains(e.Data, fmt.Sprintf(`"userId":%d`, annID)) && strings.Contains(e.Data, `"online":false`)
	}); len(e) == 0 {
		t.Fatal("no offline presence")
	}
}

// TestTeamChat_RemovedMemberStopsAtOnceOnAnotherInstance: two instances
// on one PostgreSQL database; the owner removes cat on one, and cat's
// streams on the other stop receiving the room at once (the LISTEN/NOTIFY
// broker carries the wake-up; the other instance's next read no longer
// holds the room).
func TestTeamChat_RemovedMemberStopsAtOnceOnAnotherInstance(t *testing.T) {
	db := testserver.PostgresDatabase(t)
	a, b := teamServer(t, db), teamServer(t, db)
	ann, _ := teamMember(t, a, "ann@example.com", "Ann")
	cat, catID := teamMember(t, b, "cat@example.com", "Cat")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("B's log:\n%s", b.Logs.String())
		}
	})
	removedStopsReceiving(t, a, ann, cat, catID, b)
}

// TestTeamChat_UserStreamReplaysAcrossInstancesOnPostgres: the log's ids
// are the database's, so a stream resumes on another instance without gap
// or duplicate, and presence is shared.
func TestTeamChat_UserStreamReplaysAcrossInstancesOnPostgres(t *testing.T) {
	db := testserver.PostgresDatabase(t)
	a, b := teamServer(t, db), teamServer(t, db)
	ann, annID := teamMember(t, a, "ann@example.com", "Ann")
	bob, bobID := teamMember(t, b, "bob@example.com", "Bob")
	dm := openDM(t, ann, http.StatusCreated, bobID)
	onB := openEvents(t, b, bob, "")
	onA := openEvents(t, a, ann, "")
	// Ann's stream on A makes her online for bob on B.
	onB.until(t, "presence", func(e sseEvent) bool {
		return strings.Contains(e.Data, fmt.Sprintf(`"userId":%d,"online":true`, annID))
	})
	var sent []int64
	for i := range 5 {
		sent = append(sent, postTeam(t, ann, dm.ID, map[string]any{"body": fmt.Sprint("m", i)}).ID)
	}
	first := onB.next(t, "message")
	if first.message(t).ID != sent[0] {
		t.Fatalf("first live message %s", first.Data)
	}
	onB.Close()
	// Resume on A from the first one: the other four, in order, once.
	again := openEvents(t, a, bob, first.ID)
	for _, want := range sent[1:] {
		if m := again.next(t, "message").message(t); m.ID != want {
			t.Fatalf("replayed message %d, want %d", m.ID, want)
		}
	}
	mustStatus(t, ann.Do("PATCH", fmt.Sprintf("/api/v1/rooms/%d/messages/%d", dm.ID, sent[4]), map[string]string{"body": "edited on A"}), http.StatusOK)
	if m := again.next(t, "message", "message.edit").message(t); m.Body != "edited on A" {
		t.Fatalf("after the replay: %+v", m)
	}
	_ = onA
}

func TestTeamChat_UserStreamEndsWithReconnectHintAtShutdown(t *testing.T) {
	srv := teamServer(t, "")
	ann, _ := teamMember(t, srv, "ann@example.com", "Ann")
	s := openEvents(t, srv, ann, "")
	stopped := make(chan struct{})
	go func() { srv.Stop(); close(stopped) }()
	for e := range s.Events {
		if e.Retry != "" {
			break
		}
	}
	s.wantEnded(t, "shutdown")
	<-stopped
}

func TestTeamChat_UserStreamTakesOneOfTheUsersStreamSlots(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{Env: map[string]string{"TORII_MAX_STREAMS_PER_USER": "1"},
		AppOptions: app.Options{Hasher: testserver.FastHasher()}})
	ann, _ := teamMember(t, srv, "ann@example.com", "Ann")
	first := openEvents(t, srv, ann, "")
	wantError(t, ann.Do("GET", "/api/v1/events", nil), http.StatusTooManyRequests, "RATE_LIMITED")
	wantError(t, ann.Do("GET", fmt.Sprintf("/api/v1/rooms/%d/events", general(t, ann)), nil), http.StatusTooManyRequests, "RATE_LIMITED")
	first.Close()
	// The slot is freed once the server sees the connection close.
	deadline := time.Now().Add(streamWait)
	for {
		s := openStreamPath(t, srv, ann, "/api/v1/events")
		if s.Resp.StatusCode == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the slot was not freed: %d", s.Resp.StatusCode)
		}
		time.Sleep(10 * time.Millisecond) // polling the server's own clean-up
	}
}

func TestTeamChat_UserStreamEndsWhenSessionRevoked(t *testing.T) {
	srv := teamServer(t, "")
	ann, _ := teamMember(t, srv, "ann@example.com", "Ann")
	s := openEvents(t, srv, ann, "")
	mustStatus(t, ann.Do("POST", "/api/v1/auth/logout", nil), http.StatusNoContent)
	s.wantEnded(t, "logout")
	wantError(t, ann.Do("GET", "/api/v1/events", nil), http.StatusUnauthorized, "UNAUTHORIZED")
	wantError(t, srv.Client(t).Do("GET", "/api/v1/events?after=x", nil), http.StatusUnauthorized, "UNAUTHORIZED")
}

// TestTeamChat_RoomStreamGetsEditsAndDeletionsLiveWithoutID: the per-room
// stream (kept for API clients) hears edits and deletions of messages it
// sent, without an id (its ids are message ids: Last-Event-ID must not
// move back).
func TestTeamChat_RoomStreamGetsEditsAndDeletionsLiveWithoutID(t *testing.T) {
	srv := teamServer(t, "")
	ann, _ := teamMember(t, srv, "ann@example.com", "Ann")
	room := general(t, ann)
	rs := openStream(t, srv, ann, room, "")
	m := postTeam(t, ann, room, map[string]any{"body": "draft"})
	rs.nextMessage(t)
	mustStatus(t, ann.Do("PATCH", fmt.Sprintf("/api/v1/rooms/%d/messages/%d", room, m.ID), map[string]string{"body": "final"}), http.StatusOK)
	edit := rs.next(t, "message.edit")
	if edit.ID != "" || edit.message(t).Body != "final" {
		t.Fatalf("edit: id %q, %s", edit.ID, edit.Data)
	}
	mustStatus(t, ann.Do("DELETE", fmt.Sprintf("/api/v1/rooms/%d/messages/%d", room, m.ID), nil), http.StatusNoContent)
	del := rs.next(t, "message.delete")
	if del.ID != "" || !del.message(t).Deleted {
		t.Fatalf("delete: id %q, %s", del.ID, del.Data)
	}
}

// TestTeamChat_GroupRoomsFollowTheGroupOnTheUserStream: joining a group
// shows its rooms on the user stream (room.add, no log id: no log row
// names a group change), leaving it removes them and stops their events.
func TestTeamChat_GroupRoomsFollowTheGroupOnTheUserStream(t *testing.T) {
	srv := teamServer(t, "")
	ann, annID := teamMember(t, srv, "ann@example.com", "Ann")
	bob, bobID := teamMember(t, srv, "bob@example.com", "Bob")
	st := openStore(t, srv)
	ctx := t.Context()
	acme, err := st.CreateGroup(ctx, torii.Group{Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetGroupMember(ctx, torii.GroupMember{GroupID: acme.ID, UserID: annID, Role: torii.GroupRoleMember}); err != nil {
		t.Fatal(err)
	}
	room := createRoom(t, ann, map[string]any{"name": "acme", "visibility": "group", "groupId": acme.ID})
	events := openEvents(t, srv, bob, "")
	if err := st.SetGroupMember(ctx, torii.GroupMember{GroupID: acme.ID, UserID: bobID, Role: torii.GroupRoleMember}); err != nil {
		t.Fatal(err)
	}
	if e := events.next(t, "room.add"); e.roomIDOf(t) != room.ID {
		t.Fatalf("room.add = %s", e.Data)
	}
	postTeam(t, ann, room.ID, map[string]any{"body": "hi bob"})
	if m := events.next(t, "message").message(t); m.Body != "hi bob" {
		t.Fatalf("message = %+v", m)
	}
	if err := st.RemoveGroupMember(ctx, acme.ID, bobID); err != nil {
		t.Fatal(err)
	}
	if e := events.next(t, "room.remove"); e.roomIDOf(t) != room.ID {
		t.Fatalf("room.remove = %s", e.Data)
	}
	wantError(t, bob.Do("GET", fmt.Sprintf("/api/v1/rooms/%d/messages", room.ID), nil), http.StatusNotFound, "NOT_FOUND")
}

// TestTeamChat_EditsAndDeletionsAreAuditedWithoutText: the audit log
// names who changed which message, never its text.
func TestTeamChat_EditsAndDeletionsAreAuditedWithoutText(t *testing.T) {
	srv := teamServer(t, "")
	ann, annID := teamMember(t, srv, "ann@example.com", "Ann")
	boss := adminClient(t, srv)
	room := general(t, ann)
	m := postTeam(t, ann, room, map[string]any{"body": "private words"})
	mustStatus(t, ann.Do("PATCH", fmt.Sprintf("/api/v1/rooms/%d/messages/%d", room, m.ID), map[string]string{"body": "other words"}), http.StatusOK)
	// An admin deletes another's message in a public room.
	mustStatus(t, boss.Do("DELETE", fmt.Sprintf("/api/v1/rooms/%d/messages/%d", room, m.ID), nil), http.StatusNoContent)
	for _, ev := range []string{"message.edit", "message.delete"} {
		r := mustStatus(t, boss.Do("GET", "/api/v1/admin/audit?event="+ev, nil), http.StatusOK)
		body := string(r.Body)
		if !strings.Contains(body, fmt.Sprintf(`"messageId":%d`, m.ID)) || strings.Contains(body, "words") {
			t.Fatalf("%s audit: %s", ev, body)
		}
	}
	r := mustStatus(t, boss.Do("GET", "/api/v1/admin/audit?event=message.delete", nil), http.StatusOK)
	if !strings.Contains(string(r.Body), fmt.Sprintf(`"authorId":%d`, annID)) {
		t.Fatalf("delete audit lacks the author: %s", r.Body)
	}
}
