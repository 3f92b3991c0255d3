package torii

import (
	"context"
	"time"
)

// Room visibilities (api.md chat endpoints).
const (
	RoomPublic  = "public"  // every active, allowed user
	RoomGroup   = "group"   // members of GroupID
	RoomPrivate = "private" // its members only (direct messages too)
)

// Message authors and statuses (api.md message object).
const (
	AuthorUser      = "user"
	AuthorAssistant = "assistant"

	MessageComplete   = "complete"
	MessageIncomplete = "incomplete" // an assistant reply cut off mid-stream
	MessageError      = "error"      // an assistant reply that failed
)

// Room is a chat room.
type Room struct {
	ID         int64
	Name       string
	Visibility string
	GroupID    *int64 // set exactly when Visibility is RoomGroup
	Assistant  bool   // every user message gets a Gemini reply
	CreatedBy  *int64
	CreatedAt  time.Time
	// OwnerID is the room's owner (its creator; nil once they are gone).
	OwnerID  *int64
	Topic    string
	Archived bool
	// DMKey is set exactly for direct-message rooms (Visibility
	// RoomPrivate): the sorted member ids, joined by commas.
	DMKey     string
	DeletedAt *time.Time
}

// IsDM reports whether r is a direct-message room.
func (r Room) IsDM() bool { return r.DMKey != "" }

// Message is one chat message. IDs only grow within a database, so "every
// message of a room after id N" is a complete replay.
type Message struct {
	ID        int64
	RoomID    int64
	UserID    *int64 // nil for the assistant
	Author    string // AuthorUser or AuthorAssistant
	Body      string
	ClientID  string // "" when the sender gave none
	ReplyTo   *int64 // for assistant replies: the user message answered
	Status    string
	CreatedAt time.Time
	EditedAt  *time.Time
	// DeletedAt marks a tombstone: Body is "" and the text is gone.
	DeletedAt *time.Time
	// Mentions are the users an @name in Body names; CreateMessage stores
	// them.
	Mentions []int64
}

// RoomStore keeps rooms. Access rules (who may see a room) are the
// service's; the store answers the queries those rules need.
type RoomStore interface {
	// CreateRoom inserts r and returns it with its id.
	CreateRoom(ctx context.Context, r Room) (Room, error)
	// RoomByID returns one room.
	RoomByID(ctx context.Context, id int64) (Room, error)
	// RoomsVisibleTo lists, ordered by id, the rooms userID can see: every
	// public room, the group rooms of userID's groups, and the private
	// rooms userID created.
	RoomsVisibleTo(ctx context.Context, userID int64) ([]Room, error)
}

// MessageStore keeps messages.
type MessageStore interface {
	// CreateMessage inserts m. When m.ClientID is set and the room already
	// holds a message from m.UserID with that client id, it returns that
	// message and created=false, changing nothing. Ids only grow, and on
	// every backend a message with a larger id in the same room is never
	// visible before one with a smaller id (so replay after an id has no
	// gap).
	CreateMessage(ctx context.Context, m Message) (msg Message, created bool, err error)
	// MessagesBefore returns up to limit messages of roomID with id <
	// before (before <= 0: the newest), newest first.
	MessagesBefore(ctx context.Context, roomID, before int64, limit int) ([]Message, error)
	// MessagesAfter returns up to limit messages of roomID with id > after,
	// oldest first (the replay of an event stream).
	MessagesAfter(ctx context.Context, roomID, after int64, limit int) ([]Message, error)
}
