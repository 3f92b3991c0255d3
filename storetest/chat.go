package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/toriihq/torii"
)

var roomTests = []test{
	{"Rooms_DefaultPublicRoomGeneralExists", testRoomsDefaultGeneral},
	{"CreateRoom_RoundTrips", testCreateRoomRoundTrips},
	{"CreateRoom_BadVisibilityOrGroupIsValidationError", testCreateRoomInvalid},
	{"RoomsVisibleTo_PublicAndOwnPrivateOnly", testRoomsVisibleToPrivate},
	{"RoomByID_MissingIsNotFound", testRoomByIDMissing},
	{"RoomsVisibleTo_GroupRoomsOfOwnGroupsOnly", testRoomsVisibleToGroups},
}

var messageTests = []test{
	{"CreateMessage_SameClientIDReturnsFirstMessage", testCreateMessageIdempotent},
	{"CreateMessage_IDsOnlyGrow", testCreateMessageIDsGrow},
	{"CreateMessage_AssistantReplyKeepsAuthorStatusReplyTo", testCreateMessageAssistant},
	{"CreateMessage_MissingRoomIsNotFound", testCreateMessageMissingRoom},
	{"MessagesBefore_NewestFirstPagedByID", testMessagesBeforePaging},
	{"MessagesAfter_OldestFirstPerRoom", testMessagesAfter},
	{"MessagesAfter_ConcurrentInsertersNeverShowALargerIDFirst", testMessagesAfterConcurrent},
}

// general returns the default room of a fresh install.
func general(t *testing.T, s torii.Store, userID int64) torii.Room {
	t.Helper()
	for _, r := range must[[]torii.Room](t)(s.RoomsVisibleTo(t.Context(), userID)) {
		if r.Name == "general" && r.Visibility == torii.RoomPublic {
			return r
		}
	}
	t.Fatal("no public room general")
	return torii.Room{}
}

func roomIDs(rooms []torii.Room) []int64 { return ids(rooms, func(x torii.Room) int64 { return x.ID }) }

func messageIDs(ms []torii.Message) []int64 {
	return ids(ms, func(x torii.Message) int64 { return x.ID })
}

func testRoomsDefaultGeneral(t *testing.T, s torii.Store) {
	u := newUser(t, s, "ann@example.com")
	r := general(t, s, u.ID)
	if r.GroupID != nil || r.Assistant || r.CreatedBy != nil {
		t.Errorf("general = %+v, want a plain public room", r)
	}
}

func testCreateRoomRoundTrips(t *testing.T, s torii.Store) {
	u := newUser(t, s, "ann@example.com")
	want := torii.Room{Name: "Ask Gemini", Visibility: torii.RoomPrivate, Assistant: true, CreatedBy: &u.ID, CreatedAt: t0}
	got, err := s.CreateRoom(t.Context(), want)
	ok(t, err)
	if got.ID == 0 {
		t.Fatal("CreateRoom returned no id")
	}
	want.ID = got.ID
	want.OwnerID = &u.ID // the creator owns the room (issue 17)
	same(t, "created room", got, want)
	same(t, "RoomByID", must[torii.Room](t)(s.RoomByID(t.Context(), got.ID)), want)
}

func testCreateRoomInvalid(t *testing.T, s torii.Store) {
	u := newUser(t, s, "ann@example.com")
	gid := int64(1)
	for _, r := range []torii.Room{
		{Name: "x", Visibility: "secret", CreatedBy: &u.ID},
		{Name: "x", Visibility: torii.RoomGroup, CreatedBy: &u.ID},
		{Name: "x", Visibility: torii.RoomPublic, GroupID: &gid, CreatedBy: &u.ID},
	} {
		_, err := s.CreateRoom(t.Context(), r)
		hasCode(t, err, torii.EValidation)
	}
	if n := len(must[[]torii.Room](t)(s.RoomsVisibleTo(t.Context(), u.ID))); n != 1 {
		t.Errorf("after failed creations %d rooms are visible, want only general", n)
	}
}

func testRoomsVisibleToPrivate(t *testing.T, s torii.Store) {
	ctx := t.Context()
	ann := newUser(t, s, "ann@example.com")
	bob := newUser(t, s, "bob@example.com")
	g := general(t, s, ann.ID)
	annPriv := must[torii.Room](t)(s.CreateRoom(ctx, torii.Room{Name: "mine", Visibility: torii.RoomPrivate, CreatedBy: &ann.ID, CreatedAt: t0}))
	pub := must[torii.Room](t)(s.CreateRoom(ctx, torii.Room{Name: "pub", Visibility: torii.RoomPublic, CreatedBy: &bob.ID, CreatedAt: t0}))
	bobPriv := must[torii.Room](t)(s.CreateRoom(ctx, torii.Room{Name: "bob's", Visibility: torii.RoomPrivate, CreatedBy: &bob.ID, CreatedAt: t0}))
	same(t, "ann's rooms", roomIDs(must[[]torii.Room](t)(s.RoomsVisibleTo(ctx, ann.ID))), []int64{g.ID, annPriv.ID, pub.ID})
	same(t, "bob's rooms", roomIDs(must[[]torii.Room](t)(s.RoomsVisibleTo(ctx, bob.ID))), []int64{g.ID, pub.ID, bobPriv.ID})
}

func testRoomByIDMissing(t *testing.T, s torii.Store) {
	_, err := s.RoomByID(t.Context(), 987654)
	is(t, err, torii.ErrNotFound)
}

func post(t *testing.T, s torii.Store, roomID, userID int64, body, clientID string) (torii.Message, bool) {
	t.Helper()
	m, created, err := s.CreateMessage(t.Context(), torii.Message{RoomID: roomID, UserID: &userID, Body: body, ClientID: clientID, CreatedAt: t0})
	ok(t, err)
	return m, created
}

func testCreateMessageIdempotent(t *testing.T, s torii.Store) {
	ann := newUser(t, s, "ann@example.com")
	bob := newUser(t, s, "bob@example.com")
	g := general(t, s, ann.ID)
	first, created := post(t, s, g.ID, ann.ID, "hello", "c1")
	if !created {
		t.Error("first send: created = false")
	}
	again, created := post(t, s, g.ID, ann.ID, "hello, edited retry", "c1")
	if created {
		t.Error("retry with the same clientId: created = true")
	}
	same(t, "retry answer", again, first)
	// Another sender, or no client id, is another message.
	if _, created := post(t, s, g.ID, bob.ID, "hi", "c1"); !created {
		t.Error("another user's c1 was taken for a retry")
	}
	a, _ := post(t, s, g.ID, ann.ID, "x", "")
	b, _ := post(t, s, g.ID, ann.ID, "x", "")
	if a.ID == b.ID {
		t.Error("two sends without clientId were merged")
	}
	all := must[[]torii.Message](t)(s.MessagesAfter(t.Context(), g.ID, 0, 100))
	if len(all) != 4 {
		t.Errorf("room holds %d messages, want 4", len(all))
	}
}

func testCreateMessageIDsGrow(t *testing.T, s torii.Store) {
	ann := newUser(t, s, "ann@example.com")
	g := general(t, s, ann.ID)
	other := must[torii.Room](t)(s.CreateRoom(t.Context(), torii.Room{Name: "other", Visibility: torii.RoomPublic, CreatedAt: t0}))
	var last int64
	for i := range 20 {
		room := g.ID
		if i%3 == 0 {
			room = other.ID
		}
		m, _ := post(t, s, room, ann.ID, fmt.Sprint(i), "")
		if m.ID <= last {
			t.Fatalf("message %d got id %d after %d", i, m.ID, last)
		}
		last = m.ID
	}
}

func testCreateMessageAssistant(t *testing.T, s torii.Store) {
	ann := newUser(t, s, "ann@example.com")
	g := general(t, s, ann.ID)
	q, _ := post(t, s, g.ID, ann.ID, "@gemini hi", "q")
	want := torii.Message{RoomID: g.ID, Author: torii.AuthorAssistant, Body: "partial", ReplyTo: &q.ID,
		Status: torii.MessageIncomplete, CreatedAt: t0}
	got, created, err := s.CreateMessage(t.Context(), want)
	ok(t, err)
	if !created {
		t.Error("created = false")
	}
	want.ID = got.ID
	same(t, "assistant reply", got, want)
	list := must[[]torii.Message](t)(s.MessagesAfter(t.Context(), g.ID, q.ID, 10))
	same(t, "read back", list, []torii.Message{want})
}

func testCreateMessageMissingRoom(t *testing.T, s torii.Store) {
	ann := newUser(t, s, "ann@example.com")
	_, _, err := s.CreateMessage(t.Context(), torii.Message{RoomID: 987654, UserID: &ann.ID, Body: "x", CreatedAt: t0})
	is(t, err, torii.ErrNotFound)
}

func testMessagesBeforePaging(t *testing.T, s torii.Store) {
	ann := newUser(t, s, "ann@example.com")
	g := general(t, s, ann.ID)
	var ids []int64
	for i := range 7 {
		m, _ := post(t, s, g.ID, ann.ID, fmt.Sprint(i), "")
		ids = append(ids, m.ID)
	}
	slices.Reverse(ids)
	var got []int64
	before := int64(0)
	for {
		page := must[[]torii.Message](t)(s.MessagesBefore(t.Context(), g.ID, before, 3))
		if len(page) == 0 {
			break
		}
		if len(page) > 3 {
			t.Fatalf("page of %d, limit 3", len(page))
		}
		got = append(got, messageIDs(page)...)
		before = page[len(page)-1].ID
	}
	same(t, "pages newest first", got, ids)
}

func testMessagesAfter(t *testing.T, s torii.Store) {
	ann := newUser(t, s, "ann@example.com")
	g := general(t, s, ann.ID)
	other := must[torii.Room](t)(s.CreateRoom(t.Context(), torii.Room{Name: "other", Visibility: torii.RoomPublic, CreatedAt: t0}))
	var ids []int64
	for i := range 6 {
		m, _ := post(t, s, g.ID, ann.ID, fmt.Sprint(i), "")
		post(t, s, other.ID, ann.ID, fmt.Sprint(i), "")
		ids = append(ids, m.ID)
	}
	same(t, "after 0", messageIDs(must[[]torii.Message](t)(s.MessagesAfter(t.Context(), g.ID, 0, 100))), ids)
	same(t, "after the 2nd, limit 2", messageIDs(must[[]torii.Message](t)(s.MessagesAfter(t.Context(), g.ID, ids[1], 2))), ids[2:4])
	if n := len(must[[]torii.Message](t)(s.MessagesAfter(t.Context(), g.ID, ids[5], 100))); n != 0 {
		t.Errorf("after the last: %d messages", n)
	}
}

// testMessagesAfterConcurrent reads "after the last id seen" while several
// writers insert into one room: if a larger id ever became visible before
// a smaller one, the reader would step over the smaller one for good.
func testMessagesAfterConcurrent(t *testing.T, s torii.Store) {
	ctx := t.Context()
	ann := newUser(t, s, "ann@example.com")
	g := general(t, s, ann.ID)
	const writers, each = 4, 40
	var wg sync.WaitGroup
	done := make(chan struct{})
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				uid := ann.ID
				if _, _, err := s.CreateMessage(ctx, torii.Message{RoomID: g.ID, UserID: &uid, Body: fmt.Sprint(w, i), CreatedAt: t0}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	go func() { wg.Wait(); close(done) }()
	var seen []int64
	last := int64(0)
	read := func() {
		page, err := s.MessagesAfter(ctx, g.ID, last, 100)
		ok(t, err)
		for _, m := range page {
			seen = append(seen, m.ID)
			last = m.ID
		}
	}
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		read()
	}
	read()
	all := messageIDs(must[[]torii.Message](t)(s.MessagesAfter(ctx, g.ID, 0, 100)))
	for len(all) < writers*each {
		more := must[[]torii.Message](t)(s.MessagesAfter(ctx, g.ID, all[len(all)-1], 100))
		if len(more) == 0 {
			break
		}
		all = append(all, messageIDs(more)...)
	}
	if len(all) != writers*each {
		t.Fatalf("stored %d messages, want %d", len(all), writers*each)
	}
	same(t, "ids read while writers ran", seen, all)
}

func testRoomsVisibleToGroups(t *testing.T, s torii.Store) {
	ctx := t.Context()
	ann := newUser(t, s, "ann@example.com")
	bob := newUser(t, s, "bob@example.com")
	acme := newGroup(t, s, "Acme", nil)
	beta := newGroup(t, s, "Beta", nil)
	ok(t, s.SetGroupMember(ctx, torii.GroupMember{GroupID: acme.ID, UserID: ann.ID, Role: torii.GroupRoleMember, CreatedAt: t0}))
	ok(t, s.SetGroupMember(ctx, torii.GroupMember{GroupID: beta.ID, UserID: bob.ID, Role: torii.GroupRoleOwner, CreatedAt: t0}))
	g := general(t, s, ann.ID)
	acmeRoom := must[torii.Room](t)(s.CreateRoom(ctx, torii.Room{Name: "acme", Visibility: torii.RoomGroup, GroupID: &acme.ID, CreatedBy: &ann.ID, CreatedAt: t0}))
	betaRoom := must[torii.Room](t)(s.CreateRoom(ctx, torii.Room{Name: "beta", Visibility: torii.RoomGroup, GroupID: &beta.ID, CreatedBy: &bob.ID, CreatedAt: t0}))
	same(t, "ann's rooms", roomIDs(must[[]torii.Room](t)(s.RoomsVisibleTo(ctx, ann.ID))), []int64{g.ID, acmeRoom.ID})
	same(t, "bob's rooms", roomIDs(must[[]torii.Room](t)(s.RoomsVisibleTo(ctx, bob.ID))), []int64{g.ID, betaRoom.ID})
	ok(t, s.RemoveGroupMember(ctx, acme.ID, ann.ID))
	same(t, "ann's rooms after leaving Acme", roomIDs(must[[]torii.Room](t)(s.RoomsVisibleTo(ctx, ann.ID))), []int64{g.ID})
	_, err := s.CreateRoom(ctx, torii.Room{Name: "x", Visibility: torii.RoomGroup, GroupID: ptr(int64(987654)), CreatedAt: t0})
	is(t, err, torii.ErrNotFound)
}
