package torii

import (
	"context"
	"time"
)

// Chat event kinds of the per-user event log (GET /api/v1/events).
const (
	ChatMessage       = "message"
	ChatMessageEdit   = "message.edit"
	ChatMessageDelete = "message.delete"
	ChatReaction      = "reaction"
	ChatRoomAdd       = "room.add"
	ChatRoomUpdate    = "room.update"
	ChatRoomRemove    = "room.remove"
	ChatRead          = "read"
)

// Error codes of the team chat (web/errors.go maps both to 409).
const (
	// ERoomNameTaken: a live room of the same kind (public; group rooms
	// of one group) already has that name, whatever its case.
	ERoomNameTaken = "ROOM_NAME_TAKEN"
	// ERoomArchived: an archived room is read-only until unarchived.
	ERoomArchived = "ROOM_ARCHIVED"
)

// Audit events of the team chat: who changed a room's members or
// settings, and who edited or deleted which message (never the text).
const (
	AuditRoomMemberAdd    = "room.member.add"
	AuditRoomMemberRemove = "room.member.remove"
	AuditRoomUpdate       = "room.update"
	AuditRoomDelete       = "room.delete"
	AuditMessageEdit      = "message.edit"
	AuditMessageDelete    = "message.delete"
	// AuditRoomExport: an administrator read a room's messages (direct
	// conversations included) through the export, with their reason.
	AuditRoomExport = "room.export"
)

// ChatEvent is one row of the chat event log. It names what changed, never
// the text: a stream reads the current state when it sends the event, so a
// replay after an edit shows the edited text, and after a deletion none.
type ChatEvent struct {
	ID        int64
	RoomID    int64
	Kind      string
	MessageID int64 // the message (message.*, reaction), or the read marker (read)
	// UserID is 0 for an event for everyone who can see the room, else
	// the one user it is for (room.add of an invitation, room.remove of a
	// removal, read).
	UserID    int64
	CreatedAt time.Time
}

// RoomMember is a member of a room.
type RoomMember struct {
	UserID    int64
	Name      string
	AvatarURL string
	Email     string
	JoinedAt  time.Time
}

// Reaction is one emoji on a message, with who put it there (oldest
// first).
type Reaction struct {
	Emoji   string
	UserIDs []int64
}

// RoomCounts are a user's unread messages and mentions in a room, after
// their read marker.
type RoomCounts struct {
	LastRead int64
	Unread   int
	Mentions int
}

// MaxCountedUnread caps the unread count of a room (a client shows "999+").
const MaxCountedUnread = 1000

// Store rules of the team chat (issue 17). Every change that a stream must
// hear appends its chat event in the same transaction; on PostgreSQL the
// appends take turns under an advisory lock held to commit, so a larger
// event id is never visible before a smaller one and "every event after id
// N" is a complete replay, as for messages.
type ChatStore interface {
	// RoomMembers lists the members of a room by join time.
	RoomMembers(ctx context.Context, roomID int64) ([]RoomMember, error)
	// IsRoomMember reports whether userID is a member of roomID.
	IsRoomMember(ctx context.Context, roomID, userID int64) (bool, error)
	// AddRoomMember makes userID a member (room.add for them), their read
	// marker at the room's newest message. ErrConflict if already one.
	AddRoomMember(ctx context.Context, roomID, userID int64, at time.Time) error
	// RemoveRoomMember ends userID's membership (room.remove for them).
	// ErrNotFound if they are not a member.
	RemoveRoomMember(ctx context.Context, roomID, userID int64, at time.Time) error
	// UpdateRoom calls update on a copy of the live room in a transaction
	// and writes name, topic and archived back (room.update).
	// ErrConflict if the name is taken.
	UpdateRoom(ctx context.Context, id int64, at time.Time, update func(*Room) error) (Room, error)
	// DeleteRoom marks the room deleted and deletes its messages (their
	// text is gone); room.remove for everyone who could see it.
	DeleteRoom(ctx context.Context, id int64, at time.Time) error
	// DMByKey returns the live direct-message room with that key.
	DMByKey(ctx context.Context, key string) (Room, error)
	// CreateDM creates a direct-message room whose members are userIDs
	// (r.DMKey set), or returns the live one with the same key and
	// created=false.
	CreateDM(ctx context.Context, r Room, userIDs []int64) (room Room, created bool, err error)
	// RoomNameTaken reports whether a live room of the same kind (public;
	// group rooms of the same group) has that name, whatever its case,
	// other than except.
	RoomNameTaken(ctx context.Context, r Room, except int64) (bool, error)

	// MessageByID returns one message of roomID (tombstones included).
	MessageByID(ctx context.Context, roomID, id int64) (Message, error)
	// MessagesByID returns the messages with those ids, in any order.
	MessagesByID(ctx context.Context, ids []int64) ([]Message, error)
	// EditMessage replaces the body and mentions of a live message and
	// sets EditedAt (message.edit). ErrNotFound for a tombstone.
	EditMessage(ctx context.Context, roomID, id int64, body string, mentions []int64, at time.Time) (Message, error)
	// DeleteMessage makes a message a tombstone: body emptied, reactions
	// and mentions gone (message.delete). ErrNotFound if already one.
	DeleteMessage(ctx context.Context, roomID, id int64, at time.Time) (Message, error)
	// SetReaction adds (on) or removes userID's emoji on a live message
	// (reaction) and reports whether anything changed. Adding a new
	// emoji to a message that has maxEmoji distinct ones is ErrConflict.
	SetReaction(ctx context.Context, roomID, id, userID int64, emoji string, on bool, maxEmoji int, at time.Time) (bool, error)
	// Reactions returns the reactions of the messages, by message id,
	// each list ordered by first use.
	Reactions(ctx context.Context, ids []int64) (map[int64][]Reaction, error)
	// Mentions returns who the messages mention, by message id.
	Mentions(ctx context.Context, ids []int64) (map[int64][]int64, error)

	// MarkRead moves userID's read marker in roomID forward to messageID
	// (never back) and appends read; it returns the marker.
	MarkRead(ctx context.Context, roomID, userID, messageID int64, at time.Time) (int64, error)
	// RoomCounts returns userID's read marker, unread count (messages of
	// others after it, at most MaxCountedUnread) and mentions after it.
	RoomCounts(ctx context.Context, roomID, userID int64) (RoomCounts, error)

	// ChatEventsFor returns, oldest first, up to limit events after id
	// after that userID may see now: those for them, and those for
	// everyone of rooms they can see (a deleted room's room.remove
	// included, for those who could see it).
	ChatEventsFor(ctx context.Context, userID, after int64, limit int) ([]ChatEvent, error)
	// ChatEventsAfter returns, oldest first, up to limit events after id
	// after, whoever they are for: the one read a server's user streams
	// share (each keeps what it may see).
	ChatEventsAfter(ctx context.Context, after int64, limit int) ([]ChatEvent, error)
	// LastChatEventID returns the largest event id (0 if none).
	LastChatEventID(ctx context.Context) (int64, error)

	// PeopleVisibleTo lists, by name, up to limit of the people userID
	// may see: other active users who share a group or a room
	// membership with them, whose name or e-mail contains q
	// (case-insensitive; "" matches everyone).
	PeopleVisibleTo(ctx context.Context, userID int64, q string, limit int) ([]User, error)
	// CanSeePerson reports whether other is one of the people userID may
	// see (as PeopleVisibleTo).
	CanSeePerson(ctx context.Context, userID, other int64) (bool, error)

	// SetPresence records (online) or forgets that userID has an open
	// stream on instance; OnlineUsers filters ids to those with a record
	// seen after since.
	SetPresence(ctx context.Context, userID int64, instance string, online bool, at time.Time) error
	// TouchPresence refreshes every record of instance.
	TouchPresence(ctx context.Context, instance string, at time.Time) error
	OnlineUsers(ctx context.Context, ids []int64, since time.Time) ([]int64, error)
	// MemberRoomIDs lists the live rooms userID is a member of, by id:
	// those they joined or were invited to (direct conversations
	// included) and the group rooms of their groups, not public rooms
	// they only see. Who shares one of them sees their presence.
	MemberRoomIDs(ctx context.Context, userID int64) ([]int64, error)
}
