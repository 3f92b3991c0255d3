package torii

import "context"

// RoomSummary is a room as the room list shows it: the room and the id of
// its newest message, so that a client can tell which rooms hold unread
// messages from one request.
type RoomSummary struct {
	Room
	// LastMessageID is the id of the room's newest message, 0 if it has
	// none.
	LastMessageID int64
	// Unread and Mentions count, for the user listing, the messages of
	// others and the mentions of them after their read marker.
	Unread   int
	Mentions int
}

// RoomPageStore pages the room list.
type RoomPageStore interface {
	// RoomPage lists, ordered by id, at most limit of the rooms userID
	// can see (as RoomsVisibleTo) whose id is larger than after, each
	// with its newest message's id.
	RoomPage(ctx context.Context, userID, after int64, limit int) ([]RoomSummary, error)
}
