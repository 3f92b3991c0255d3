package service

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/chat"
)

// streamPage is how many messages a stream reads, and sends, at a time.
const streamPage = 100

// Stream errors: the stream ends, and the client's reconnect (which the
// browser's EventSource does by itself) replays what it missed.
var (
	// ErrStreamSlow: the client fell too far behind (chat.ErrSlow).
	ErrStreamSlow = chat.ErrSlow
	// ErrStreamClosed: the server is shutting down (chat.ErrClosed).
	ErrStreamClosed = chat.ErrClosed
)

// StreamEvent is one event to send: a stored message (Message set, its id
// is the SSE id) or an ephemeral assistant event (Data set).
type StreamEvent struct {
	Kind string
	// ID is the SSE id (0: none): a message id on a room stream, a log
	// id on a user stream.
	ID      int64
	Message *ChatMessage
	Room    *RoomView // room.add and room.update of a user stream
	Data    []byte
}

// Stream is the server side of one room's event stream. It subscribes
// before it replays, and sends messages only by reading the store after
// the last id it sent, so the hand-over from replay to live has no gap and
// no duplicate by construction. It re-checks the caller's access before
// everything it sends, from the database after every access event. Not
// safe for concurrent use: one goroutine drives it.
type Stream struct {
	s    *Service
	sub  *chat.Subscription
	room torii.Room
	uid  int64
	// auth re-authenticates the stream's credential (the session cookie
	// or Bearer token it was opened with).
	auth func(context.Context) (Principal, error)

	last      int64 // the largest message id sent
	replaying bool  // reading the store until caught up
	pending   []chat.Event
	// authAt and authExpires: the last check of the caller, reused by
	// the sends within userStreamAuthReuse.
	authAt      time.Time
	authExpires time.Time
}

// OpenStream subscribes p to room roomID's events. With after >= 0 it
// first replays every message after that id; with after < 0 it sends only
// what comes next. auth is called to re-check the caller at every send.
func (s *Service) OpenStream(ctx context.Context, p Principal, roomID, after int64, auth func(context.Context) (Principal, error)) (*Stream, error) {
	// An account waiting for its address to be confirmed opens no stream.
	if err := p.WaitingErr(); err != nil {
		return nil, err
	}
	r, err := s.Room(ctx, p, roomID)
	if err != nil {
		return nil, err
	}
	st := &Stream{s: s, room: r, uid: p.User.ID, auth: auth, last: after, replaying: true}
	st.sub = s.broker.Subscribe(r.ID, p.User.ID)
	if after < 0 {
		// Subscribed first: a message committed from here on wakes us.
		latest, err := s.store.MessagesBefore(ctx, r.ID, 0, 1)
		if err != nil {
			st.Close()
			return nil, err
		}
		st.last = 0
		if len(latest) > 0 {
			st.last = latest[0].ID
		}
		// Nothing to replay: every later message comes with a wake-up, in
		// order with the assistant events between them. (Reading the store
		// here too could send a reply before the deltas queued ahead of it.)
		st.replaying = false
	}
	// A reply in flight: its text so far comes first after the replay,
	// then its live deltas (subscribed above, so none is missed).
	ev, err := s.replayRun(ctx, r.ID)
	if err != nil {
		st.Close()
		return nil, err
	}
	if ev != nil {
		st.pending = append(st.pending, *ev)
	}
	return st, nil
}

// Room is the stream's room.
func (st *Stream) Room() torii.Room { return st.room }

// UserID is the id of the user the stream was opened for.
func (st *Stream) UserID() int64 { return st.uid }

// Ready is signalled when Next may have something to send.
func (st *Stream) Ready() <-chan struct{} { return st.sub.Ready() }

// Close unsubscribes; it may be called more than once.
func (st *Stream) Close() { st.sub.Close() }

// Next returns what there is to send now (possibly nothing) and whether
// more is waiting (call Next again without waiting for Ready). An error
// ends the stream: access lost (the caller's error: UNAUTHORIZED,
// USER_INACTIVE, NOT_ALLOWED, NOT_FOUND for a room no longer visible),
// ErrStreamSlow or ErrStreamClosed.
func (st *Stream) Next(ctx context.Context) (evs []StreamEvent, more bool, err error) {
	taken, subErr := st.sub.Take()
	for _, e := range taken {
		// Message wake-ups merge here too, as in the subscription's queue:
		// a stream that lags behind a busy room keeps one, not one per
		// Take, and is not ended as slow for it.
		if n := len(st.pending); e.Kind == chat.KindMessage && n > 0 && st.pending[n-1].Kind == chat.KindMessage {
			st.pending[n-1].MessageID = max(st.pending[n-1].MessageID, e.MessageID)
			continue
		}
		st.pending = append(st.pending, e)
	}
	if len(st.pending) > chat.QueueLimit {
		return nil, false, ErrStreamSlow
	}
	if subErr != nil && (errors.Is(subErr, ErrStreamSlow) || len(st.pending) == 0) {
		return nil, false, subErr
	}
	if st.replaying {
		page, err := st.read(ctx, 0, false)
		if err != nil {
			return nil, false, err
		}
		st.replaying = len(page) == streamPage
		evs = appendMessages(evs, page)
	}
	for len(st.pending) > 0 && len(evs) < streamPage && !st.replaying {
		e := st.pending[0]
		switch e.Kind {
		case chat.KindAccess:
			if err := st.Recheck(ctx); err != nil {
				return nil, false, err
			}
		case chat.KindMessage:
			if e.MessageID == chat.ResyncMessageID {
				st.replaying = true // a broker's resync: read the store
				break
			}
			if e.MessageID > st.last {
				page, err := st.read(ctx, e.MessageID, true)
				if err != nil {
					return nil, false, err
				}
				evs = appendMessages(evs, page)
				if len(page) > 0 && st.last < e.MessageID {
					continue // the rest of this wake-up next time round
				}
			}
		case chat.KindLog:
			// Issue 17: room changes end the stream of a removed member
			// or of a deleted room; edits, deletions and reactions are
			// sent live (without id: this stream's ids are message ids;
			// GET /api/v1/events replays them).
			ev, err := st.logEvent(ctx, e)
			if err != nil {
				return nil, false, err
			}
			if ev != nil {
				evs = append(evs, *ev)
			}
		default:
			evs = append(evs, StreamEvent{Kind: e.Kind, Data: e.Data})
		}
		st.pending = st.pending[1:]
	}
	if len(evs) > 0 {
		// Every send is checked (the principal cache keeps this cheap;
		// access events made it re-read the database).
		if err := st.check(ctx, false); err != nil {
			return nil, false, err
		}
	}
	return evs, len(st.pending) > 0 || st.replaying || subErr != nil, nil
}

func appendMessages(evs []StreamEvent, page []ChatMessage) []StreamEvent {
	for i := range page {
		evs = append(evs, StreamEvent{Kind: chat.KindMessage, ID: page[i].ID, Message: &page[i]})
	}
	return evs
}

// read returns the next page after st.last, up to id upTo (0: no bound),
// and advances st.last. Live reads (shared) are coalesced: every stream of
// the room woken for the same id at the same position shares one query,
// in flight (singleflight) or just done (lastReads, the room's latest
// shared read: a thousand streams woken for one message are not all
// served within one query's time). The key holds upTo, so the shared
// query started after the wake-up for upTo was received, hence after that
// message committed: its page holds every message up to upTo, whoever
// reuses it.
func (st *Stream) read(ctx context.Context, upTo int64, shared bool) ([]ChatMessage, error) {
	var page []ChatMessage
	if shared {
		key := strconv.FormatInt(st.room.ID, 10) + ":" + strconv.FormatInt(st.last, 10) + ":" + strconv.FormatInt(upTo, 10)
		if p, ok := st.s.lastReads.get(st.room.ID, key); ok {
			page = p
		} else {
			// Detached: one stream going away must not fail the others.
			v, err, _ := st.s.reads.Do(key, func() (any, error) {
				p, err := st.s.messagesAfter(context.WithoutCancel(ctx), st.room.ID, st.last)
				if err == nil {
					st.s.lastReads.put(st.room.ID, key, p)
				}
				return p, err
			})
			if err != nil {
				return nil, err
			}
			page = v.([]ChatMessage)
		}
	} else {
		var err error
		if page, err = st.s.messagesAfter(ctx, st.room.ID, st.last); err != nil {
			return nil, err
		}
	}
	n := len(page)
	if upTo > 0 {
		for n > 0 && page[n-1].ID > upTo {
			n--
		}
	}
	page = page[:n:n]
	if n > 0 {
		st.last = page[n-1].ID
	}
	return page, nil
}

func (s *Service) messagesAfter(ctx context.Context, roomID, after int64) ([]ChatMessage, error) {
	ms, err := s.store.MessagesAfter(ctx, roomID, after, streamPage)
	if err != nil {
		return nil, err
	}
	out, err := s.withAuthors(ctx, ms)
	if err == nil {
		err = s.withReplyInfo(ctx, out)
	}
	return out, err
}

// Recheck re-reads the caller's access from the database: the credential,
// the account and the room. Streams call it after an access event and at
// every heartbeat.
func (st *Stream) Recheck(ctx context.Context) error { return st.check(ctx, true) }

func (st *Stream) check(ctx context.Context, fresh bool) error {
	// A session's check is reused by the sends that follow, as a user
	// stream's (userStreamAuthReuse); a group room's membership is still
	// checked at every send.
	at := st.s.now()
	if !fresh && st.room.Visibility != torii.RoomGroup && at.Sub(st.authAt) < userStreamAuthReuse && at.Before(st.authExpires) {
		return nil
	}
	if fresh {
		// The event may come from another instance, whose cache
		// invalidation this one's cache never saw.
		st.s.cache.forgetUser(st.uid)
	}
	p, err := st.auth(ctx)
	if err != nil {
		return err
	}
	if err := p.WaitingErr(); err != nil {
		return err
	}
	if p.User.ID != st.uid {
		return errUnauthorized
	}
	st.authAt, st.authExpires = at, p.Session.ExpiresAt
	if !fresh && st.room.Visibility != torii.RoomGroup {
		return nil
	}
	if fresh {
		// The room may have gone (deleted) or changed.
		r, err := st.s.store.RoomByID(ctx, st.room.ID)
		if errors.Is(err, torii.ErrNotFound) {
			return errRoomNotFound
		}
		if err != nil {
			return err
		}
		st.room = r
	}
	ok, err := st.s.canSee(ctx, st.uid, st.room)
	if err != nil {
		return err
	}
	if !ok {
		return errRoomNotFound
	}
	return nil
}

// readGroup coalesces the stores reads of streams (Stream.read).
type readGroup = singleflight.Group

// lastReads keeps each room's latest shared read (Stream.read): one page
// per room with live streams.
type lastReads struct {
	mu    sync.Mutex
	rooms map[int64]lastRead
}

type lastRead struct {
	key  string
	page []ChatMessage
}

func (l *lastReads) get(room int64, key string) ([]ChatMessage, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r, ok := l.rooms[room]
	return r.page, ok && r.key == key
}

func (l *lastReads) put(room int64, key string, page []ChatMessage) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.rooms == nil || len(l.rooms) >= 10_000 {
		l.rooms = map[int64]lastRead{}
	}
	l.rooms[room] = lastRead{key: key, page: page}
}
