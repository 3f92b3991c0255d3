package storetest

import (
	"testing"

	"github.com/toriihq/torii"
)

var roomPageTests = []test{
	{"RoomPage_PagesVisibleRoomsByIDWithNewestMessage", testRoomPage},
}

func testRoomPage(t *testing.T, s torii.Store) {
	ctx := t.Context()
	ann := newUser(t, s, "ann@example.com")
	bob := newUser(t, s, "bob@example.com")
	g := general(t, s, ann.ID)
	var mine []int64
	for range 4 {
		r := must[torii.Room](t)(s.CreateRoom(ctx, torii.Room{Name: "r", Visibility: torii.RoomPrivate, CreatedBy: &ann.ID, CreatedAt: t0}))
		mine = append(mine, r.ID)
	}
	must[torii.Room](t)(s.CreateRoom(ctx, torii.Room{Name: "bob's", Visibility: torii.RoomPrivate, CreatedBy: &bob.ID, CreatedAt: t0}))
	post(t, s, g.ID, bob.ID, "one", "")
	last, _ := post(t, s, g.ID, ann.ID, "two", "")
	inMine, _ := post(t, s, mine[1], ann.ID, "three", "")

	summaries := func(after int64, limit int) (ids, lasts []int64) {
		for _, r := range must[[]torii.RoomSummary](t)(s.RoomPage(ctx, ann.ID, after, limit)) {
			ids, lasts = append(ids, r.ID), append(lasts, r.LastMessageID)
		}
		return
	}
	ids, lasts := summaries(0, 3)
	same(t, "first page", ids, []int64{g.ID, mine[0], mine[1]})
	same(t, "newest messages", lasts, []int64{last.ID, 0, inMine.ID})
	ids, _ = summaries(mine[1], 3)
	same(t, "second page (bob's private room is not ann's)", ids, []int64{mine[2], mine[3]})
	if ids, _ := summaries(mine[3], 3); len(ids) != 0 {
		t.Errorf("past the end: %v", ids)
	}
}
