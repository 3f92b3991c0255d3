package storetest

import (
	"testing"
	"time"

	"github.com/toriihq/torii"
)

// The team chat's store rules (issue 17): membership, direct messages,
// the event log, edits, tombstones, reactions, read markers, presence.
var teamChatTests = []test{
	{"TeamChat_PrivateRoomsAndDMsAreVisibleToMembersOnly", testTeamPrivateVisibility},
	{"TeamChat_DMIsOnePerSetOfPeople", testTeamDMOnePerSet},
	{"TeamChat_PublicAndGroupNamesAreUniquePerKind", testTeamUniqueNames},
	{"TeamChat_EventLogShowsEachUserWhatTheyMaySee", testTeamEventLog},
	{"TeamChat_DeletedMessageIsATombstoneWithoutText", testTeamTombstone},
	{"TeamChat_ReactionsAreIdempotentAndBounded", testTeamReactions},
	{"TeamChat_ReadMarkerMovesForwardAndCounts", testTeamReadMarker},
	{"TeamChat_PresenceExpiresAndPeopleShareAGroupOrRoom", testTeamPresencePeople},
	{"TeamChat_MemberRoomsAreLiveMembershipsOnly", testTeamMemberRooms},
}

func teamRoom(t *testing.T, s torii.Store, owner int64, name, vis string) torii.Room {
	t.Helper()
	r, err := s.CreateRoom(t.Context(), torii.Room{Name: name, Visibility: vis, CreatedBy: &owner, CreatedAt: t0})
	ok(t, err)
	return r
}

func visibleIDs(t *testing.T, s torii.Store, uid int64) []int64 {
	t.Helper()
	return roomIDs(must[[]torii.Room](t)(s.RoomsVisibleTo(t.Context(), uid)))
}

func contains(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

func testTeamPrivateVisibility(t *testing.T, s torii.Store) {
	ctx := t.Context()
	ann, bob := newUser(t, s, "ann@example.com"), newUser(t, s, "bob@example.com")
	r := teamRoom(t, s, ann.ID, "plans", torii.RoomPrivate)
	if !contains(visibleIDs(t, s, ann.ID), r.ID) || contains(visibleIDs(t, s, bob.ID), r.ID) {
		t.Fatal("a private room is its owner's alone until they invite")
	}
	ok(t, s.AddRoomMember(ctx, r.ID, bob.ID, t0))
	is(t, s.AddRoomMember(ctx, r.ID, bob.ID, t0), torii.ErrConflict)
	if !contains(visibleIDs(t, s, bob.ID), r.ID) {
		t.Fatal("an invited member does not see the room")
	}
	members := must[[]torii.RoomMember](t)(s.RoomMembers(ctx, r.ID))
	same(t, "members", []int64{members[0].UserID, members[1].UserID}, []int64{ann.ID, bob.ID})
	ok(t, s.RemoveRoomMember(ctx, r.ID, bob.ID, t0))
	is(t, s.RemoveRoomMember(ctx, r.ID, bob.ID, t0), torii.ErrNotFound)
	if contains(visibleIDs(t, s, bob.ID), r.ID) {
		t.Fatal("a removed member still sees the room")
	}
	ok(t, s.DeleteRoom(ctx, r.ID, t0))
	is(t, s.DeleteRoom(ctx, r.ID, t0), torii.ErrNotFound)
	_, err := s.RoomByID(ctx, r.ID)
	is(t, err, torii.ErrNotFound)
	is(t, s.AddRoomMember(ctx, r.ID, bob.ID, t0), torii.ErrNotFound)
}

func testTeamDMOnePerSet(t *testing.T, s torii.Store) {
	ctx := t.Context()
	ann, bob, cat := newUser(t, s, "ann@example.com"), newUser(t, s, "bob@example.com"), newUser(t, s, "cat@example.com")
	key := torii.Room{Visibility: torii.RoomPrivate, DMKey: "1,2", CreatedBy: &ann.ID, CreatedAt: t0}
	dm, created, err := s.CreateDM(ctx, key, []int64{ann.ID, bob.ID})
	ok(t, err)
	if !created || !dm.IsDM() || dm.OwnerID != nil {
		t.Fatalf("created DM = %+v, %v", dm, created)
	}
	again, created, err := s.CreateDM(ctx, key, []int64{ann.ID, bob.ID})
	ok(t, err)
	if created || again.ID != dm.ID {
		t.Fatalf("second CreateDM = %d, %v; want %d, false", again.ID, created, dm.ID)
	}
	if !contains(visibleIDs(t, s, bob.ID), dm.ID) || contains(visibleIDs(t, s, cat.ID), dm.ID) {
		t.Fatal("a DM is visible to its members only")
	}
	same(t, "DMByKey", must[torii.Room](t)(s.DMByKey(ctx, "1,2")).ID, dm.ID)
}

func testTeamUniqueNames(t *testing.T, s torii.Store) {
	ctx := t.Context()
	ann := newUser(t, s, "ann@example.com")
	a := teamRoom(t, s, ann.ID, "Town", torii.RoomPublic)
	_, err := s.CreateRoom(ctx, torii.Room{Name: "town", Visibility: torii.RoomPublic, CreatedBy: &ann.ID, CreatedAt: t0})
	is(t, err, torii.ErrConflict)
	if !must[bool](t)(s.RoomNameTaken(ctx, torii.Room{Name: "TOWN", Visibility: torii.RoomPublic}, 0)) {
		t.Error("RoomNameTaken misses a public name in another case")
	}
	if must[bool](t)(s.RoomNameTaken(ctx, torii.Room{Name: "town", Visibility: torii.RoomPublic}, a.ID)) {
		t.Error("a room's own name counts as taken for itself")
	}
	teamRoom(t, s, ann.ID, "town", torii.RoomPrivate) // private names may repeat
	teamRoom(t, s, ann.ID, "town", torii.RoomPrivate)
	g1 := must[torii.Group](t)(s.CreateGroup(ctx, torii.Group{Name: "One", CreatedAt: t0}))
	g2 := must[torii.Group](t)(s.CreateGroup(ctx, torii.Group{Name: "Two", CreatedAt: t0}))
	_, err = s.CreateRoom(ctx, torii.Room{Name: "ops", Visibility: torii.RoomGroup, GroupID: &g1.ID, CreatedBy: &ann.ID, CreatedAt: t0})
	ok(t, err)
	_, err = s.CreateRoom(ctx, torii.Room{Name: "OPS", Visibility: torii.RoomGroup, GroupID: &g1.ID, CreatedBy: &ann.ID, CreatedAt: t0})
	is(t, err, torii.ErrConflict)
	_, err = s.CreateRoom(ctx, torii.Room{Name: "ops", Visibility: torii.RoomGroup, GroupID: &g2.ID, CreatedBy: &ann.ID, CreatedAt: t0})
	ok(t, err)
	// Renaming into a taken name is a conflict; a deleted room frees it.
	b := teamRoom(t, s, ann.ID, "Square", torii.RoomPublic)
	_, err = s.UpdateRoom(ctx, b.ID, t0, func(r *torii.Room) error { r.Name = "town"; return nil })
	is(t, err, torii.ErrConflict)
	ok(t, s.DeleteRoom(ctx, a.ID, t0))
	got := must[torii.Room](t)(s.UpdateRoom(ctx, b.ID, t0, func(r *torii.Room) error { r.Name, r.Topic, r.Archived = "town", "t", true; return nil }))
	if got.Name != "town" || got.Topic != "t" || !got.Archived {
		t.Fatalf("updated room = %+v", got)
	}
	same(t, "reread", must[torii.Room](t)(s.RoomByID(ctx, b.ID)), got)
}

func kinds(evs []torii.ChatEvent) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Kind
	}
	return out
}

func testTeamEventLog(t *testing.T, s torii.Store) {
	ctx := t.Context()
	ann, bob, cat := newUser(t, s, "ann@example.com"), newUser(t, s, "bob@example.com"), newUser(t, s, "cat@example.com")
	start := must[int64](t)(s.LastChatEventID(ctx))
	r := teamRoom(t, s, ann.ID, "plans", torii.RoomPrivate) // room.add, for members
	ok(t, s.AddRoomMember(ctx, r.ID, bob.ID, t0))           // room.add for bob
	m1, _ := post(t, s, r.ID, ann.ID, "one", "")            // message
	ok(t, s.RemoveRoomMember(ctx, r.ID, bob.ID, t0))        // room.remove for bob
	post(t, s, r.ID, ann.ID, "two", "")                     // message bob must not see
	_, err := s.EditMessage(ctx, r.ID, m1.ID, "uno", nil, t0)
	ok(t, err)
	ok(t, s.DeleteRoom(ctx, r.ID, t0)) // room.remove for everyone who could see it

	annSees := must[[]torii.ChatEvent](t)(s.ChatEventsFor(ctx, ann.ID, start, 100))
	same(t, "ann's events", kinds(annSees), []string{"room.add", "message", "message", "message.edit", "room.remove"})
	bobSees := must[[]torii.ChatEvent](t)(s.ChatEventsFor(ctx, bob.ID, start, 100))
	same(t, "bob's events", kinds(bobSees), []string{"room.add", "room.remove"})
	if bobSees[0].UserID != bob.ID || bobSees[1].UserID != bob.ID {
		t.Errorf("bob's events are not addressed to him: %+v", bobSees)
	}
	same(t, "cat's events", kinds(must[[]torii.ChatEvent](t)(s.ChatEventsFor(ctx, cat.ID, start, 100))), []string{})
	for i := 1; i < len(annSees); i++ {
		if annSees[i].ID <= annSees[i-1].ID {
			t.Fatalf("ids do not grow: %+v", annSees)
		}
	}
	// Paging: after an id, a limit.
	page := must[[]torii.ChatEvent](t)(s.ChatEventsFor(ctx, ann.ID, annSees[1].ID, 2))
	same(t, "page", []int64{page[0].ID, page[1].ID}, []int64{annSees[2].ID, annSees[3].ID})
	same(t, "last id", must[int64](t)(s.LastChatEventID(ctx)), annSees[len(annSees)-1].ID)
	// Unfiltered: every row, whoever it is for.
	all := must[[]torii.ChatEvent](t)(s.ChatEventsAfter(ctx, start, 100))
	same(t, "every event", kinds(all), []string{"room.add", "room.add", "message", "room.remove", "message", "message.edit", "room.remove"})
	same(t, "every event, paged", len(must[[]torii.ChatEvent](t)(s.ChatEventsAfter(ctx, all[0].ID, 2))), 2)
	// A public room's events are everyone's.
	p := teamRoom(t, s, ann.ID, "lobby", torii.RoomPublic)
	post(t, s, p.ID, ann.ID, "hi all", "")
	same(t, "cat's public events", kinds(must[[]torii.ChatEvent](t)(s.ChatEventsFor(ctx, cat.ID, annSees[len(annSees)-1].ID, 100))),
		[]string{"room.add", "message"})
}

func testTeamTombstone(t *testing.T, s torii.Store) {
	ctx := t.Context()
	ann, bob := newUser(t, s, "ann@example.com"), newUser(t, s, "bob@example.com")
	r := teamRoom(t, s, ann.ID, "plans", torii.RoomPrivate)
	ok(t, s.AddRoomMember(ctx, r.ID, bob.ID, t0))
	m, _, err := s.CreateMessage(ctx, torii.Message{RoomID: r.ID, UserID: &ann.ID, Body: "hi @bob", Mentions: []int64{bob.ID}, CreatedAt: t0})
	ok(t, err)
	same(t, "mentions", must[map[int64][]int64](t)(s.Mentions(ctx, []int64{m.ID}))[m.ID], []int64{bob.ID})
	edited := must[torii.Message](t)(s.EditMessage(ctx, r.ID, m.ID, "hi all", nil, at(1*time.Second)))
	if edited.Body != "hi all" || edited.EditedAt == nil || !edited.EditedAt.Equal(at(1*time.Second)) {
		t.Fatalf("edited = %+v", edited)
	}
	if len(must[map[int64][]int64](t)(s.Mentions(ctx, []int64{m.ID}))[m.ID]) != 0 {
		t.Error("an edit keeps the old mentions")
	}
	_, err = s.SetReaction(ctx, r.ID, m.ID, bob.ID, "👍", true, 20, t0)
	ok(t, err)
	del := must[torii.Message](t)(s.DeleteMessage(ctx, r.ID, m.ID, at(2*time.Second)))
	if del.Body != "" || del.DeletedAt == nil {
		t.Fatalf("deleted = %+v", del)
	}
	same(t, "reread", must[torii.Message](t)(s.MessageByID(ctx, r.ID, m.ID)).Body, "")
	if len(must[map[int64][]torii.Reaction](t)(s.Reactions(ctx, []int64{m.ID}))) != 0 {
		t.Error("a tombstone keeps its reactions")
	}
	_, err = s.EditMessage(ctx, r.ID, m.ID, "again", nil, t0)
	is(t, err, torii.ErrNotFound)
	_, err = s.DeleteMessage(ctx, r.ID, m.ID, t0)
	is(t, err, torii.ErrNotFound)
	_, err = s.MessageByID(ctx, r.ID+1000, m.ID)
	is(t, err, torii.ErrNotFound)
	// Deleting the room deletes its messages.
	ok(t, s.DeleteRoom(ctx, r.ID, t0))
	if got := must[[]torii.Message](t)(s.MessagesByID(ctx, []int64{m.ID})); len(got) != 0 {
		t.Fatalf("a deleted room's messages remain: %+v", got)
	}
}

func testTeamReactions(t *testing.T, s torii.Store) {
	ctx := t.Context()
	ann, bob := newUser(t, s, "ann@example.com"), newUser(t, s, "bob@example.com")
	r := teamRoom(t, s, ann.ID, "lobby", torii.RoomPublic)
	m, _ := post(t, s, r.ID, ann.ID, "vote", "")
	n := 0
	set := func(uid int64, e string, on bool) (bool, error) {
		n++ // each reaction a second later: "oldest first" is tested
		return s.SetReaction(ctx, r.ID, m.ID, uid, e, on, 2, at(time.Duration(n)*time.Second))
	}
	same(t, "first", must[bool](t)(set(bob.ID, "👍", true)), true)
	same(t, "again", must[bool](t)(set(bob.ID, "👍", true)), false)
	same(t, "ann", must[bool](t)(set(ann.ID, "👍", true)), true)
	same(t, "second emoji", must[bool](t)(set(ann.ID, "🎉", true)), true)
	_, err := set(bob.ID, "🚀", true)
	is(t, err, torii.ErrConflict)
	same(t, "reactions", must[map[int64][]torii.Reaction](t)(s.Reactions(ctx, []int64{m.ID}))[m.ID],
		[]torii.Reaction{{Emoji: "👍", UserIDs: []int64{bob.ID, ann.ID}}, {Emoji: "🎉", UserIDs: []int64{ann.ID}}})
	same(t, "off", must[bool](t)(set(bob.ID, "👍", false)), true)
	same(t, "off again", must[bool](t)(set(bob.ID, "👍", false)), false)
}

func testTeamReadMarker(t *testing.T, s torii.Store) {
	ctx := t.Context()
	ann, bob := newUser(t, s, "ann@example.com"), newUser(t, s, "bob@example.com")
	r := teamRoom(t, s, ann.ID, "plans", torii.RoomPrivate)
	old, _ := post(t, s, r.ID, ann.ID, "before bob", "")
	ok(t, s.AddRoomMember(ctx, r.ID, bob.ID, t0)) // starts with everything read
	m1, _ := post(t, s, r.ID, ann.ID, "one", "")
	m2, _, err := s.CreateMessage(ctx, torii.Message{RoomID: r.ID, UserID: &ann.ID, Body: "@bob", Mentions: []int64{bob.ID}, CreatedAt: t0})
	ok(t, err)
	post(t, s, r.ID, bob.ID, "mine", "")
	same(t, "counts", must[torii.RoomCounts](t)(s.RoomCounts(ctx, r.ID, bob.ID)), torii.RoomCounts{LastRead: old.ID, Unread: 2, Mentions: 1})
	page := must[[]torii.RoomSummary](t)(s.RoomPage(ctx, bob.ID, 0, 100))
	for _, x := range page {
		if x.ID == r.ID && (x.Unread != 2 || x.Mentions != 1) {
			t.Errorf("room page counts = %d, %d", x.Unread, x.Mentions)
		}
	}
	same(t, "mark", must[int64](t)(s.MarkRead(ctx, r.ID, bob.ID, m1.ID, t0)), m1.ID)
	same(t, "not back", must[int64](t)(s.MarkRead(ctx, r.ID, bob.ID, old.ID, t0)), m1.ID)
	same(t, "after", must[torii.RoomCounts](t)(s.RoomCounts(ctx, r.ID, bob.ID)), torii.RoomCounts{LastRead: m1.ID, Unread: 1, Mentions: 1})
	same(t, "all read", must[int64](t)(s.MarkRead(ctx, r.ID, bob.ID, m2.ID, t0)), m2.ID)
	same(t, "zero", must[torii.RoomCounts](t)(s.RoomCounts(ctx, r.ID, bob.ID)), torii.RoomCounts{LastRead: m2.ID})
}

func testTeamPresencePeople(t *testing.T, s torii.Store) {
	ctx := t.Context()
	ann, bob, cat := newUser(t, s, "ann@example.com"), newUser(t, s, "bob@example.com"), newUser(t, s, "cat@example.com")
	ok(t, s.SetPresence(ctx, ann.ID, "i1", true, at(0*time.Second)))
	ok(t, s.SetPresence(ctx, bob.ID, "i2", true, at(0*time.Second)))
	same(t, "online", must[[]int64](t)(s.OnlineUsers(ctx, []int64{ann.ID, bob.ID, cat.ID}, at(-1*time.Second))), []int64{ann.ID, bob.ID})
	ok(t, s.TouchPresence(ctx, "i1", at(10*time.Second)))
	same(t, "stale i2", must[[]int64](t)(s.OnlineUsers(ctx, []int64{ann.ID, bob.ID}, at(5*time.Second))), []int64{ann.ID})
	ok(t, s.SetPresence(ctx, ann.ID, "i1", false, at(11*time.Second)))
	same(t, "offline", must[[]int64](t)(s.OnlineUsers(ctx, []int64{ann.ID}, at(-1*time.Second))), []int64{})

	g := must[torii.Group](t)(s.CreateGroup(ctx, torii.Group{Name: "Team", CreatedAt: t0}))
	for _, u := range []int64{ann.ID, bob.ID} {
		ok(t, s.SetGroupMember(ctx, torii.GroupMember{GroupID: g.ID, UserID: u, Role: torii.GroupRoleMember, CreatedAt: t0}))
	}
	people := must[[]torii.User](t)(s.PeopleVisibleTo(ctx, ann.ID, "", 10))
	if len(people) != 1 || people[0].ID != bob.ID {
		t.Fatalf("ann's people = %+v", people)
	}
	if must[bool](t)(s.CanSeePerson(ctx, ann.ID, cat.ID)) {
		t.Fatal("ann sees cat, with whom she shares nothing")
	}
	r := teamRoom(t, s, cat.ID, "cats", torii.RoomPrivate)
	ok(t, s.AddRoomMember(ctx, r.ID, ann.ID, t0))
	if !must[bool](t)(s.CanSeePerson(ctx, ann.ID, cat.ID)) {
		t.Fatal("a shared room does not make people visible")
	}
	same(t, "search", len(must[[]torii.User](t)(s.PeopleVisibleTo(ctx, ann.ID, "CAT@", 10))), 1)
	same(t, "like escape", len(must[[]torii.User](t)(s.PeopleVisibleTo(ctx, ann.ID, "%", 10))), 0)
}

func testTeamMemberRooms(t *testing.T, s torii.Store) {
	ctx := t.Context()
	ann, bob := newUser(t, s, "ann@example.com"), newUser(t, s, "bob@example.com")
	pub := teamRoom(t, s, ann.ID, "open", torii.RoomPublic)
	priv := teamRoom(t, s, ann.ID, "closed", torii.RoomPrivate)
	gone := teamRoom(t, s, ann.ID, "gone", torii.RoomPrivate)
	ok(t, s.AddRoomMember(ctx, gone.ID, bob.ID, t0))
	ok(t, s.DeleteRoom(ctx, gone.ID, t0))
	same(t, "ann (creator of all three, one deleted)", must[[]int64](t)(s.MemberRoomIDs(ctx, ann.ID)), []int64{pub.ID, priv.ID})
	// A public room bob can see but has not joined is not his.
	same(t, "bob before joining", must[[]int64](t)(s.MemberRoomIDs(ctx, bob.ID)), []int64{})
	ok(t, s.AddRoomMember(ctx, pub.ID, bob.ID, t0))
	same(t, "bob after joining", must[[]int64](t)(s.MemberRoomIDs(ctx, bob.ID)), []int64{pub.ID})
	// A group room is its group members'.
	g := must[torii.Group](t)(s.CreateGroup(ctx, torii.Group{Name: "Team", CreatedAt: t0}))
	gr := must[torii.Room](t)(s.CreateRoom(ctx, torii.Room{Name: "team", Visibility: torii.RoomGroup, GroupID: &g.ID, CreatedBy: &ann.ID, CreatedAt: t0}))
	ok(t, s.SetGroupMember(ctx, torii.GroupMember{GroupID: g.ID, UserID: bob.ID, Role: torii.GroupRoleMember, CreatedAt: t0}))
	same(t, "bob in the group", must[[]int64](t)(s.MemberRoomIDs(ctx, bob.ID)), []int64{pub.ID, gr.ID})
}
