package service

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/chat"
)

// UserStream is the server side of GET /api/v1/events (issue 17): one
// stream per browser carrying every event its user may see. Its SSE ids
// are chat event log ids. Like a room stream it subscribes before it
// replays and sends logged events only by reading the log after the last
// id it sent (filtered by what the user may see at that moment), so the
// hand-over from replay to live has no gap and no duplicate, and a removed
// member's next read no longer holds the room. Events are built from the
// current state when sent: an edited message replays edited, a deleted
// one as a tombstone. Typing and presence are ephemeral (no id). Not safe
// for concurrent use, except Close.
type UserStream struct {
	s    *Service
	sub  *chat.Subscription
	uid  int64
	sid  string // the session's id; "" for a bearer token
	auth func(context.Context) (Principal, error)
	// rooms is the set of rooms the user can see, read by the
	// subscription's filter on the publishers' goroutines.
	rooms atomic.Pointer[map[int64]bool]
	// scope is the user's member rooms: presence of people who are
	// members of none of them is dropped. Read like rooms.
	scope atomic.Pointer[presenceScope]
	// groupRooms are the group rooms among rooms (read by Next only):
	// their visibility changes without a log row, so readShared leaves
	// them to the database.
	groupRooms map[int64]bool
	// wantMsg is the newest message id a wake-up of the stream named.
	wantMsg atomic.Int64
	// beat is the result of a heartbeat check done off the stream's
	// goroutine, applied by the next Next; beating is set while one runs.
	beat    atomic.Pointer[beatResult]
	beating atomic.Bool

	last      int64
	replaying bool
	pending   []chat.Event
	// extra are room.add and room.remove events without id for rooms
	// that appeared or went with an access change (a group's membership
	// changed: no log row names it), sent at the next Next.
	extra     []StreamEvent
	closeOnce sync.Once
	// authAt is the last check of the caller, reused by the sends
	// within userStreamAuthReuse (and the session's expiry, authExpires).
	authAt      time.Time
	authExpires time.Time
}

// userStreamAuthReuse is how long a stream's sends (a user stream's, and a
// room stream's outside group rooms) rely on its last check of the caller
// instead of checking again (through the principal cache, whose 1 s TTL
// made every connected user's stream re-read its session, user, roles and
// groups every second of a busy room: a fifth of the server's CPU with
// 1,000 members). Every change of a user's access (deactivation, a session
// revoked, a role, group or allowlist change; on any instance, and the
// CLI's through the access watch) publishes an access event, which
// re-checks the stream at once before anything else is sent; this reuse
// only bounds what a lost event would leave unseen. It is longer than the
// default 15 s heartbeat, whose session check renews it: with a shorter
// one, a third of a busy stream's heartbeat interval re-read the whole
// principal at every send (on PostgreSQL, five round trips per member every
// 15 s; docs/benchmarks.md, "Team chat"), while the heartbeat has just
// checked the session and the user and re-read the rooms.
const userStreamAuthReuse = 20 * time.Second

// RoomView is a room as a room.add or room.update event shows it.
type RoomView struct {
	Room     torii.Room
	People   []Author // a direct conversation's
	Unread   int
	Mentions int
}

// OpenUserStream subscribes p to their events. With after >= 0 it first
// replays every event after that log id; with after < 0 it sends only what
// comes next. auth re-checks the caller at every send.
func (s *Service) OpenUserStream(ctx context.Context, p Principal, after int64, auth func(context.Context) (Principal, error)) (*UserStream, error) {
	if err := p.WaitingErr(); err != nil {
		return nil, err
	}
	us := &UserStream{s: s, uid: p.User.ID, sid: p.Session.ID, auth: auth, last: after, replaying: true}
	// The room set first: a room that becomes visible between this read
	// and the subscription comes with a room.add, which always passes.
	if err := us.loadRooms(ctx); err != nil {
		return nil, err
	}
	us.sub = s.broker.SubscribeUser(p.User.ID, us.wants)
	if after < 0 {
		last, err := s.store.LastChatEventID(ctx)
		if err != nil {
			us.sub.Close()
			return nil, err
		}
		us.last, us.replaying = last, false
	}
	s.userStreamOpened(ctx, p.User.ID)
	return us, nil
}

// wants is the subscription's filter: what may concern the user. A
// wake-up that it drops is for a room the user cannot see (as of the last
// read of the set); a log row it missed is still read at the next
// wake-up, so a stale set delays, never loses.
func (us *UserStream) wants(e chat.Event) bool {
	rooms := *us.rooms.Load()
	switch e.Kind {
	case chat.KindPresence:
		// Only the presence of people the user shares a room with; a
		// wide event is checked against the store by Next.
		return e.UserID == us.uid || e.Wide || (*us.scope.Load()).shares(e)
	case chat.KindTyping:
		return rooms[e.RoomID] && e.UserID != us.uid
	case chat.KindLog:
		if e.UserID != 0 {
			return e.UserID == us.uid
		}
		return rooms[e.RoomID] || e.Log == torii.ChatRoomAdd || e.Log == torii.ChatRoomUpdate || e.Log == chat.LogResync
	case chat.KindMessage:
		if !rooms[e.RoomID] {
			return false
		}
		// The newest message woken for: a shared read of the log
		// (readShared) must hold its row to stand for the stream's own.
		for {
			w := us.wantMsg.Load()
			if e.MessageID <= w || us.wantMsg.CompareAndSwap(w, e.MessageID) {
				return true
			}
		}
	}
	return false
}

func (us *UserStream) loadRooms(ctx context.Context) error { return us.readRooms(ctx, true) }

// readRooms reads the room set, and the presence scope when scope is set
// or the set changed (the scope's member rooms change with the set: a
// membership by its log row, a group's with its rooms).
func (us *UserStream) readRooms(ctx context.Context, scope bool) error {
	rs, err := us.s.store.RoomsVisibleTo(ctx, us.uid)
	if err != nil {
		return err
	}
	return us.setRooms(ctx, rs, scope)
}

// setRooms makes rs the stream's room set, as readRooms.
func (us *UserStream) setRooms(ctx context.Context, rs []torii.Room, scope bool) error {
	m := make(map[int64]bool, len(rs))
	groups := map[int64]bool{}
	for _, r := range rs {
		m[r.ID] = true
		if r.Visibility == torii.RoomGroup {
			groups[r.ID] = true
		}
	}
	us.groupRooms = groups
	prev := us.rooms.Load()
	changed := prev == nil || !maps.Equal(*prev, m)
	if scope || changed {
		sc, err := us.s.presenceScope(ctx, us.uid)
		if err != nil {
			return err
		}
		us.scope.Store(&sc)
	}
	us.rooms.Store(&m)
	if prev != nil && changed {
		// A wake-up for a room that just became visible may have been
		// dropped by the old set: read the log once more, now that the
		// new set lets every later wake-up through.
		us.replaying = true
	}
	return nil
}

// UserID is the id of the stream's user.
func (us *UserStream) UserID() int64 { return us.uid }

// Ready is signalled when Next may have something to send.
func (us *UserStream) Ready() <-chan struct{} { return us.sub.Ready() }

// Close unsubscribes and ends the stream's presence; it may be called
// more than once.
func (us *UserStream) Close() {
	us.closeOnce.Do(func() {
		us.sub.Close()
		us.s.userStreamClosed(context.Background(), us.uid)
	})
}

// Next returns what there is to send now and whether more is waiting, as
// Stream.Next; an error ends the stream (access lost, ErrStreamSlow,
// ErrStreamClosed).
func (us *UserStream) Next(ctx context.Context) (evs []StreamEvent, more bool, err error) {
	taken, subErr := us.sub.Take()
	for _, e := range taken {
		if n := len(us.pending); e.Kind == chat.KindLog && n > 0 && us.pending[n-1].Kind == chat.KindLog {
			continue // one read of the log covers both
		}
		us.pending = append(us.pending, e)
	}
	if len(us.pending) > chat.QueueLimit {
		return nil, false, ErrStreamSlow
	}
	if subErr != nil && (errors.Is(subErr, ErrStreamSlow) || len(us.pending) == 0) {
		return nil, false, subErr
	}
	if err := us.applyBeat(ctx); err != nil {
		return nil, false, err
	}
	evs, us.extra = append(evs, us.extra...), nil
	if us.replaying {
		if evs, err = us.read(ctx, evs); err != nil {
			return nil, false, err
		}
	}
	for len(us.pending) > 0 && len(evs) < streamPage && !us.replaying {
		e := us.pending[0]
		switch e.Kind {
		case chat.KindAccess:
			if err := us.check(ctx, true); err != nil {
				return nil, false, err
			}
		case chat.KindLog:
			read := us.read
			if e.Log == "" {
				read = us.readShared // new messages only
			}
			if evs, err = read(ctx, evs); err != nil {
				return nil, false, err
			}
		case chat.KindTyping:
			// Checked again here: a removal read since it was queued
			// has taken the room out of the set.
			if (*us.rooms.Load())[e.RoomID] {
				evs = append(evs, StreamEvent{Kind: e.Kind, Data: e.Data})
			}
		case chat.KindPresence:
			ok := true
			if e.Wide && e.UserID != us.uid {
				// Too many rooms to carry: read them.
				rooms, err := us.s.store.MemberRoomIDs(ctx, e.UserID)
				if err != nil {
					return nil, false, err
				}
				ok = (*us.scope.Load()).shares(chat.Event{Rooms: rooms})
			}
			if ok {
				evs = append(evs, StreamEvent{Kind: e.Kind, Data: e.Data})
			}
		}
		us.pending = us.pending[1:]
	}
	if len(evs) > 0 {
		if err := us.check(ctx, false); err != nil {
			return nil, false, err
		}
	}
	return evs, len(us.pending) > 0 || len(us.extra) > 0 || us.replaying || subErr != nil, nil
}

// read appends the next page of the log after us.last, as events, and
// advances us.last; a full page leaves the stream replaying.
func (us *UserStream) read(ctx context.Context, evs []StreamEvent) ([]StreamEvent, error) {
	page, err := us.s.store.ChatEventsFor(ctx, us.uid, us.last, streamPage)
	if err != nil {
		return nil, err
	}
	us.replaying = len(page) == streamPage
	if len(page) == 0 {
		return evs, nil
	}
	out, roomsChanged, err := us.s.logViews(ctx, us.uid, page)
	if err != nil {
		return nil, err
	}
	us.last = page[len(page)-1].ID
	if roomsChanged {
		if err := us.loadRooms(ctx); err != nil {
			return nil, err
		}
	}
	return append(evs, out...), nil
}

// readShared is read for a wake-up by new messages: the streams of this
// instance share its copy of the log's newest rows (chat_log_tail.go), each
// keeping what it may see, as the store's per-user read would: rows for
// someone else are dropped, its own and those of public or private rooms
// it sees are kept. A page the stream cannot decide alone goes to the
// store's per-user read (read): one with a room change, or with a row
// whose room's visibility for the user may have changed since the stream
// read its set (sharedVisible); so does a stream further behind than the
// tail keeps. A full page leaves a wake-up queued, so that
// a stream that is behind catches up through the tail too.
func (us *UserStream) readShared(ctx context.Context, evs []StreamEvent) ([]StreamEvent, error) {
	page, ok, err := us.s.tailPage(ctx, us.last, us.wantMsg.Load())
	if err != nil {
		return nil, err
	}
	if !ok {
		return us.read(ctx, evs)
	}
	if len(page) == 0 {
		return evs, nil // sent already, by an earlier read
	}
	rooms := *us.rooms.Load()
	mine := make([]torii.ChatEvent, 0, len(page))
	for _, e := range page {
		switch {
		case e.Kind == torii.ChatRoomAdd || e.Kind == torii.ChatRoomUpdate || e.Kind == torii.ChatRoomRemove:
			return us.read(ctx, evs)
		case e.UserID != 0 && e.UserID != us.uid:
			continue
		case e.UserID == 0 && (us.groupRooms[e.RoomID] || !rooms[e.RoomID]):
			keep, decided, err := us.sharedVisible(ctx, e, rooms[e.RoomID])
			if err != nil {
				return nil, err
			}
			if !decided {
				return us.read(ctx, evs)
			}
			if !keep {
				continue
			}
		}
		mine = append(mine, e)
	}
	out, _, err := us.s.logViews(ctx, us.uid, mine)
	if err != nil {
		return nil, err
	}
	us.last = page[len(page)-1].ID
	if len(page) == streamPage {
		us.pending = append(us.pending, chat.Event{Kind: chat.KindLog})
	}
	return append(evs, out...), nil
}

// sharedVisible decides, for readShared, whether row e (for everyone who
// can see its room) of a group room, or of a room not in the stream's set,
// is the user's, as the store's per-user read would at this moment:
// decided is false when the database must decide.
//
//   - A private room it does not see is not its: a private room becomes
//     visible only with a row for the user (room.add), which a page sends
//     to the user's own read before anything after it. So a busy server's
//     other rooms do not send every stream to its own read.
//   - A group room is decided by its group's members as read after the row
//     committed (groupMembersAfter: one read per group for all streams):
//     kept if the user is a member and the room is in the set, skipped if
//     neither; a group membership that changed since the set was read
//     (the access event that re-reads it may not have come yet) goes to
//     the database, which then decides with the new membership.
//   - A public room it does not see yet (just made: its room.add row sends
//     the page to the own read anyway) goes to the database.
func (us *UserStream) sharedVisible(ctx context.Context, e torii.ChatEvent, inSet bool) (keep, decided bool, err error) {
	k, err := us.s.roomKind(ctx, e.RoomID)
	if err != nil {
		return false, false, err
	}
	switch k.visibility {
	case "":
		return false, true, nil // gone
	case torii.RoomPrivate:
		return false, !inSet, nil
	case torii.RoomGroup:
		members, err := us.s.groupMembersAfter(ctx, k.group, e.ID)
		if err != nil || members == nil {
			return false, false, err
		}
		member := members[us.uid]
		return member && inSet, member == inSet, nil
	}
	return false, false, nil
}

type roomRemoveJSON struct {
	RoomID int64 `json:"roomId"`
}

type readEventJSON struct {
	RoomID   int64 `json:"roomId"`
	LastRead int64 `json:"lastRead"`
	Unread   int   `json:"unread"`
	Mentions int   `json:"mentions"`
}

// logViews turns a page of log rows into the events to send, with the
// state of what they name as of the page's latest event of each (messages
// in one batch, shared by the streams woken for the same events:
// chat_views.go). Rows whose subject is gone (a message of a deleted room)
// are skipped.
func (s *Service) logViews(ctx context.Context, uid int64, page []torii.ChatEvent) ([]StreamEvent, bool, error) {
	// Each message's latest event in the page: its view is read (or
	// shared, chat_views.go) for that one.
	latest := map[int64]int64{}
	for _, e := range page {
		switch e.Kind {
		case torii.ChatMessage, torii.ChatMessageEdit, torii.ChatMessageDelete, torii.ChatReaction:
			latest[e.MessageID] = max(latest[e.MessageID], e.ID)
		}
	}
	msgs := map[int64]*ChatMessage{}
	if len(latest) > 0 {
		var err error
		if msgs, err = s.sharedViews(ctx, latest); err != nil {
			return nil, false, err
		}
	}
	var out []StreamEvent
	roomsChanged := false
	for _, e := range page {
		ev := StreamEvent{Kind: e.Kind, ID: e.ID}
		switch e.Kind {
		case torii.ChatMessage, torii.ChatMessageEdit, torii.ChatMessageDelete, torii.ChatReaction:
			m := msgs[e.MessageID]
			if m == nil || m.RoomID != e.RoomID {
				continue
			}
			ev.Message = m
		case torii.ChatRoomAdd, torii.ChatRoomUpdate:
			roomsChanged = true
			v, err := s.roomViewFor(ctx, uid, e.RoomID)
			if errors.Is(err, torii.ErrNotFound) {
				continue
			} else if err != nil {
				return nil, false, err
			}
			ev.Room = &v
		case torii.ChatRoomRemove:
			roomsChanged = true
			ev.Data, _ = json.Marshal(roomRemoveJSON{RoomID: e.RoomID})
		case torii.ChatRead:
			c, err := s.store.RoomCounts(ctx, e.RoomID, uid)
			if err != nil {
				return nil, false, err
			}
			ev.Data, _ = json.Marshal(readEventJSON{RoomID: e.RoomID, LastRead: c.LastRead, Unread: c.Unread, Mentions: c.Mentions})
		default:
			continue
		}
		out = append(out, ev)
	}
	return out, roomsChanged, nil
}

// Recheck is the heartbeat's check (the web layer calls it every 15 s).
// A session's stream does it off its own goroutine (heartbeat), so that
// waiting for the database never stops the stream from sending or from
// draining its queue (presence of many people coming online at once would
// otherwise overflow it). A bearer token's stream (no session) re-reads
// everything here, as before.
func (us *UserStream) Recheck(ctx context.Context) error {
	us.s.touchPresence(ctx)
	if us.sid == "" {
		return us.check(ctx, true)
	}
	if us.beating.CompareAndSwap(false, true) {
		go us.heartbeat(ctx)
	}
	return nil
}

// beatResult is what a heartbeat read: the session's expiry (as another
// connection of the session read it, if that one checked just now), the
// room set.
type beatResult struct {
	exp   time.Time
	rooms []torii.Room
	err   error
}

// heartbeat re-reads the session and its user (heartbeatSession: two
// reads, shared by the session's connections) and the room set, not the
// whole principal (roles, identities, groups), which the stream's access
// events re-read at once; at most heartbeatReaders of an instance's
// heartbeats use the database at a time. The result waits in us.beat for
// Next, woken through the subscription.
func (us *UserStream) heartbeat(ctx context.Context) {
	r := &beatResult{}
	r.exp, r.err = us.s.heartbeatSession(ctx, us.sid, us.uid)
	if r.err == nil {
		var release func()
		if release, r.err = us.s.beats.turn(ctx); r.err == nil {
			r.rooms, r.err = us.s.store.RoomsVisibleTo(ctx, us.uid)
			release()
		}
	}
	us.beat.Store(r)
	us.beating.Store(false)
	us.sub.Wake()
}

// applyBeat applies a heartbeat's result, if one is waiting: a failed
// check ends the stream; rooms that appeared or went without a log row
// are queued as room.add and room.remove.
func (us *UserStream) applyBeat(ctx context.Context) error {
	r := us.beat.Swap(nil)
	if r == nil {
		return nil
	}
	if r.err != nil {
		return r.err
	}
	if !r.exp.IsZero() {
		us.authAt, us.authExpires = us.s.now(), r.exp
	}
	return us.applyRooms(ctx, r.rooms, false)
}

func (us *UserStream) check(ctx context.Context, fresh bool) error {
	at := us.s.now()
	if !fresh && at.Sub(us.authAt) < userStreamAuthReuse && at.Before(us.authExpires) {
		return nil
	}
	if fresh {
		us.s.cache.forgetUser(us.uid)
	}
	p, err := us.auth(ctx)
	if err != nil {
		return err
	}
	if err := p.WaitingErr(); err != nil {
		return err
	}
	if p.User.ID != us.uid {
		return errUnauthorized
	}
	// A session's check is reused by the sends that follow, within its
	// absolute expiry; a bearer token's (no session) is not.
	us.authAt, us.authExpires = at, p.Session.ExpiresAt
	if !fresh {
		return nil
	}
	return us.refreshRooms(ctx, true)
}

// refreshRooms re-reads the room set (and the presence scope when scope is
// set or the set changed) and queues room.add and room.remove without id
// for the rooms that appeared or went without a log row (a group's
// membership changed).
func (us *UserStream) refreshRooms(ctx context.Context, scope bool) error {
	rs, err := us.s.store.RoomsVisibleTo(ctx, us.uid)
	if err != nil {
		return err
	}
	return us.applyRooms(ctx, rs, scope)
}

// applyRooms is refreshRooms with the room set rs already read.
func (us *UserStream) applyRooms(ctx context.Context, rs []torii.Room, scope bool) error {
	old := *us.rooms.Load()
	if err := us.setRooms(ctx, rs, scope); err != nil {
		return err
	}
	now := *us.rooms.Load()
	for id := range now {
		if !old[id] {
			v, err := us.s.roomViewFor(ctx, us.uid, id)
			if errors.Is(err, torii.ErrNotFound) {
				continue
			} else if err != nil {
				return err
			}
			us.extra = append(us.extra, StreamEvent{Kind: torii.ChatRoomAdd, Room: &v})
		}
	}
	for id := range old {
		if !now[id] {
			b, _ := json.Marshal(roomRemoveJSON{RoomID: id})
			us.extra = append(us.extra, StreamEvent{Kind: torii.ChatRoomRemove, Data: b})
		}
	}
	return nil
}

// roomViewFor is room id as a room.add shows it to uid.
func (s *Service) roomViewFor(ctx context.Context, uid, id int64) (RoomView, error) {
	r, err := s.store.RoomByID(ctx, id)
	if err != nil {
		return RoomView{}, err
	}
	v := RoomView{Room: r}
	if r.IsDM() {
		if v.People, err = s.DMMembers(ctx, r); err != nil {
			return RoomView{}, err
		}
	}
	c, err := s.store.RoomCounts(ctx, r.ID, uid)
	if err != nil {
		return RoomView{}, err
	}
	v.Unread, v.Mentions = c.Unread, c.Mentions
	return v, nil
}
