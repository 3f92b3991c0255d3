// Package chat carries chat events between the instances of torii and the
// event streams they serve. It knows nothing of HTTP or of the database:
// the service publishes, each event stream subscribes.
package chat

import (
	"context"
	"errors"
	"math"
)

// Event kinds.
const (
	// KindMessage is a wake-up, not a message: "room RoomID holds messages
	// up to id MessageID". A stream that receives it reads the messages
	// after the last id it sent from the store, so replay and live delivery
	// are one code path, nothing is lost or sent twice, and the event fits
	// in any transport (a PostgreSQL NOTIFY payload is limited to ~8000
	// bytes; a message body alone may be 8 KiB).
	KindMessage = "message"
	// KindAssistantDelta, KindAssistantDone and KindAssistantError are
	// ephemeral: their Data (a JSON object, api.md) is sent as is, without
	// an SSE id, and never replayed.
	KindAssistantDelta = "assistant.delta"
	KindAssistantDone  = "assistant.done"
	KindAssistantError = "assistant.error"
	// KindAccess says that UserID's access may have shrunk (deactivation,
	// a session revoked, a group or allowlist removal, a role change):
	// every stream of that user re-checks its credential and its room
	// before it sends anything else. It is delivered whatever the room.
	KindAccess = "access"
	// KindLog is a wake-up of the chat event log (issue 17): "a row for
	// room RoomID (and for user UserID only, if not 0) of kind Log was
	// appended". Like KindMessage it carries no content: user streams
	// read the log after the last id they sent. A KindMessage wake-up is
	// a log wake-up too (every message appends its row).
	KindLog = "log"
	// KindTyping and KindPresence are ephemeral user-stream events (Data
	// is their JSON payload): typing is for the streams of users who can
	// see RoomID, presence for those who share a room with UserID
	// (Rooms; Wide when there were too many to carry).
	KindTyping   = "typing"
	KindPresence = "presence"
)

// LogResync is the Log of the wake-up a resync sends to user streams:
// "read the log".
const LogResync = "resync"

// Event is what travels through a Broker. Only the fields of its Kind are
// set.
type Event struct {
	Kind      string
	RoomID    int64  // message and assistant events
	MessageID int64  // message: the largest id stored in the room
	UserID    int64  // access
	SessionID string // access: the session revoked, if that is the cause ("" otherwise)
	Data      []byte // assistant, typing and presence events: the JSON payload, at most MaxDataSize bytes
	// Log is the kind of the log row a KindLog wake-up announces
	// (torii.ChatRoomRemove, …); its UserID is the one user the row is
	// for, 0 for everyone who can see the room.
	Log string
	// Rooms is a presence event's scope: the live rooms UserID is a
	// member of (store.MemberRoomIDs). Only the streams of users who are
	// members of one of them hear it. Wide replaces it when there are
	// more than MaxScopes: each stream then asks the store.
	Rooms []int64
	Wide  bool
}

// MaxScopes bounds the Rooms of a presence event, so that it fits any
// Broker's transport like an ephemeral event's Data: at most 20 bytes an
// id with its separator, 300 × 20 = MaxDataSize, and a presence payload
// is under 100 bytes.
const MaxScopes = 300

// ResyncMessageID is the MessageID of the message event a resync sends
// (Hub.Resync): "everything may have changed, read the store". A stream
// receiving it replays from its last id instead of reading up to an id.
const ResyncMessageID = math.MaxInt64

// MaxDataSize bounds an ephemeral event's payload, so that every Broker
// (PostgreSQL's NOTIFY included) can carry it whole.
const MaxDataSize = 6000

// Broker delivers events to the subscribers of every instance sharing a
// database. The in-process Local serves one instance; a PostgreSQL
// LISTEN/NOTIFY broker serves several, behind the same interface, so
// handlers never change.
//
// The contract every implementation keeps:
//
//   - Publish never blocks on subscribers: fan-out goes through a Hub,
//     whose subscriptions have bounded buffers. It may block briefly on
//     its transport (a NOTIFY) and fails only if the transport does.
//   - A message event is published after the message is committed, so a
//     subscriber that reads the store on the wake-up finds it.
//   - Delivery may be lost (a listener that reconnects) but never
//     invented. An implementation that may have lost events MUST call
//     Hub.Resync once it is connected again: every subscriber then reads
//     the store and re-checks access as if woken for everything, so a
//     lost wake-up or access event costs a re-read, never a gap or a
//     stream that outlives its access.
//   - Ordering: events published by one goroutine reach each subscriber
//     in that order (KindMessage wake-ups may be merged into a later one).
//   - Subscribe registers before it returns: an event published after
//     Subscribe returns reaches the subscription. Streams therefore
//     subscribe first and replay from the store second.
//   - Close ends every subscription with ErrClosed (the streams then close
//     with a reconnect hint) and makes Publish fail.
type Broker interface {
	// Publish delivers e to the subscribers of e.RoomID (for KindAccess,
	// to every subscription of e.UserID) on every instance.
	Publish(ctx context.Context, e Event) error
	// Subscribe returns a subscription to roomID's events and userID's
	// access events. Its owner must Close it.
	Subscribe(roomID, userID int64) *Subscription
	// SubscribeUser returns a user stream's subscription: every log
	// wake-up, typing and presence event that filter accepts (filter is
	// called without blocking, from the publisher's goroutine), and
	// userID's access events. Its owner must Close it.
	SubscribeUser(userID int64, filter func(Event) bool) *Subscription
	// Close ends every subscription.
	Close() error
}

var (
	// ErrSlow ends a subscription whose buffer of ephemeral events filled
	// up: its stream is closed and the client replays on reconnect.
	ErrSlow = errors.New("chat: subscriber too slow")
	// ErrClosed ends the subscriptions of a closed broker.
	ErrClosed = errors.New("chat: broker closed")
)

// Local is the in-process Broker: one instance, no transport.
type Local struct{ Hub }

// NewLocal returns an in-process broker.
func NewLocal() *Local { return &Local{} }

// Publish implements Broker.
func (l *Local) Publish(_ context.Context, e Event) error {
	if l.Closed() {
		return ErrClosed
	}
	l.Deliver(e)
	return nil
}

// Close implements Broker.
func (l *Local) Close() error {
	l.Hub.Close()
	return nil
}
