package service

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"sync"
	"time"

	"github.com/toriihq/torii/chat"
)

// Presence and typing (issue 17). A user is online while they have a user
// stream (GET /api/v1/events) open on any instance: each instance keeps a
// row per online user in chat_presence, refreshed once a minute, so that
// the rows of an instance that died without a word expire after
// presenceTTL.
const (
	presenceTTL     = 3 * time.Minute
	presenceRefresh = time.Minute
	// TypingInterval is how often one user's typing in one room is
	// passed on; more frequent calls are accepted and dropped.
	TypingInterval = 3 * time.Second
	maxTypingKeys  = 10_000
)

// teamChat is the per-instance state of presence and typing. The zero
// value is ready.
type teamChat struct {
	mu        sync.Mutex
	instance  string
	conns     map[int64]int
	lastTouch time.Time
	typing    map[[2]int64]time.Time
}

func (t *teamChat) id() string {
	if t.instance == "" {
		t.instance = rand.Text()
	}
	return t.instance
}

// online filters ids to the users online now, on any instance.
func (s *Service) online(ctx context.Context, ids []int64) ([]int64, error) {
	return s.store.OnlineUsers(ctx, ids, s.now().UTC().Add(-presenceTTL))
}

type presenceJSON struct {
	RoomID *int64 `json:"roomId"` // always null: presence is a person's, not a room's
	UserID int64  `json:"userId"`
	Online bool   `json:"online"`
}

// userStreamOpened counts a user stream of uid; the first one on this
// instance records presence and, if uid was offline everywhere, announces
// it.
func (s *Service) userStreamOpened(ctx context.Context, uid int64) {
	s.team.mu.Lock()
	if s.team.conns == nil {
		s.team.conns = map[int64]int{}
	}
	s.team.conns[uid]++
	first := s.team.conns[uid] == 1
	inst := s.team.id()
	s.team.mu.Unlock()
	if !first {
		return
	}
	ctx = context.WithoutCancel(ctx)
	was, err := s.online(ctx, []int64{uid})
	if err == nil {
		err = s.store.SetPresence(ctx, uid, inst, true, s.now().UTC())
	}
	if err != nil {
		s.log.Warn("presence update failed", "user", uid, "err", err)
		return
	}
	if len(was) == 0 {
		s.publishPresence(ctx, uid, true)
	}
}

// userStreamClosed is userStreamOpened's inverse: the last stream of uid
// on this instance removes its record and, if uid is now offline
// everywhere, announces it.
func (s *Service) userStreamClosed(ctx context.Context, uid int64) {
	s.team.mu.Lock()
	s.team.conns[uid]--
	last := s.team.conns[uid] <= 0
	if last {
		delete(s.team.conns, uid)
	}
	inst := s.team.id()
	s.team.mu.Unlock()
	if !last {
		return
	}
	ctx = context.WithoutCancel(ctx)
	err := s.store.SetPresence(ctx, uid, inst, false, s.now().UTC())
	var still []int64
	if err == nil {
		still, err = s.online(ctx, []int64{uid})
	}
	if err != nil {
		s.log.Warn("presence update failed", "user", uid, "err", err)
		return
	}
	if len(still) == 0 {
		s.publishPresence(ctx, uid, false)
	}
}

// touchPresence refreshes this instance's presence rows, at most once per
// presenceRefresh (user streams call it at their heartbeats).
func (s *Service) touchPresence(ctx context.Context) {
	now := s.now().UTC()
	s.team.mu.Lock()
	due := now.Sub(s.team.lastTouch) >= presenceRefresh
	if due {
		s.team.lastTouch = now
	}
	inst := s.team.id()
	s.team.mu.Unlock()
	if due {
		if err := s.store.TouchPresence(ctx, inst, now); err != nil {
			s.log.Warn("presence refresh failed", "err", err)
		}
	}
}

// publishPresence announces uid's presence to those who share a room
// with them (their member rooms, read now), not to every user.
func (s *Service) publishPresence(ctx context.Context, uid int64, online bool) {
	rooms, err := s.store.MemberRoomIDs(ctx, uid)
	if err != nil {
		s.log.Warn("presence scope failed", "user", uid, "err", err)
		return
	}
	b, _ := json.Marshal(presenceJSON{UserID: uid, Online: online})
	e := chat.Event{Kind: chat.KindPresence, UserID: uid, Data: b, Rooms: rooms}
	if len(rooms) > chat.MaxScopes {
		e.Rooms, e.Wide = nil, true
	}
	if err := s.broker.Publish(ctx, e); err != nil {
		s.log.Warn("chat publish failed", "presence", uid, "err", err)
	}
}

// presenceScope is the set of rooms a user is a member of: the presence
// of someone who is a member of one of them reaches the user.
type presenceScope map[int64]bool

func (s *Service) presenceScope(ctx context.Context, uid int64) (presenceScope, error) {
	rooms, err := s.store.MemberRoomIDs(ctx, uid)
	if err != nil {
		return nil, err
	}
	sc := make(presenceScope, len(rooms))
	for _, id := range rooms {
		sc[id] = true
	}
	return sc, nil
}

// shares reports whether a presence event's rooms meet sc.
func (sc presenceScope) shares(e chat.Event) bool {
	for _, id := range e.Rooms {
		if sc[id] {
			return true
		}
	}
	return false
}

type typingJSON struct {
	RoomID int64  `json:"roomId"`
	UserID int64  `json:"userId"`
	Name   string `json:"name"`
}

// Typing tells the user streams of those who can see roomID that p is
// typing there. At most one call per TypingInterval per user and room is
// passed on; the others are accepted and dropped.
func (s *Service) Typing(ctx context.Context, p Principal, roomID int64) error {
	r, err := s.Room(ctx, p, roomID)
	if err != nil {
		return err
	}
	if err := p.WaitingErr(); err != nil {
		return err
	}
	now := s.now()
	key := [2]int64{p.User.ID, r.ID}
	s.team.mu.Lock()
	if s.team.typing == nil || len(s.team.typing) >= maxTypingKeys {
		s.team.typing = map[[2]int64]time.Time{}
	}
	last, seen := s.team.typing[key]
	pass := !seen || now.Sub(last) >= TypingInterval
	if pass {
		s.team.typing[key] = now
	}
	s.team.mu.Unlock()
	if !pass {
		return nil
	}
	b, _ := json.Marshal(typingJSON{RoomID: r.ID, UserID: p.User.ID, Name: p.User.Name})
	return s.broker.Publish(context.WithoutCancel(ctx), chat.Event{Kind: chat.KindTyping, RoomID: r.ID, UserID: p.User.ID, Data: b})
}
