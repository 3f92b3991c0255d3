package chat

import (
	"sync"
)

// QueueLimit bounds the events a subscription holds for its stream. Message
// wake-ups merge into one entry, so only ephemeral events (assistant
// deltas) can fill it: a stream that falls this far behind is ended
// (ErrSlow) rather than slowing the publisher or growing without bound.
const QueueLimit = 256

// Hub is the local fan-out every Broker implementation uses: it holds this
// instance's subscriptions by room and by user and delivers to them without
// blocking. The zero value is ready to use.
type Hub struct {
	mu    sync.RWMutex
	rooms map[int64]map[*Subscription]struct{}
	users map[int64]map[*Subscription]struct{}
	// all are the user streams' subscriptions (SubscribeUser).
	all    map[*Subscription]struct{}
	closed bool
}

// Subscribe registers a subscription to roomID's events and userID's
// access events.
func (h *Hub) Subscribe(roomID, userID int64) *Subscription {
	s := &Subscription{hub: h, room: roomID, user: userID, ready: make(chan struct{}, 1)}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		s.err = ErrClosed
		s.signal()
		return s
	}
	if h.rooms == nil {
		h.rooms = map[int64]map[*Subscription]struct{}{}
		h.users = map[int64]map[*Subscription]struct{}{}
	}
	add(h.rooms, roomID, s)
	add(h.users, userID, s)
	return s
}

// SubscribeUser registers a user stream's subscription (Broker.SubscribeUser).
func (h *Hub) SubscribeUser(userID int64, filter func(Event) bool) *Subscription {
	s := &Subscription{hub: h, user: userID, userStream: true, filter: filter, ready: make(chan struct{}, 1)}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		s.err = ErrClosed
		s.signal()
		return s
	}
	if h.users == nil {
		h.rooms = map[int64]map[*Subscription]struct{}{}
		h.users = map[int64]map[*Subscription]struct{}{}
	}
	if h.all == nil {
		h.all = map[*Subscription]struct{}{}
	}
	h.all[s] = struct{}{}
	add(h.users, userID, s)
	return s
}

func add(m map[int64]map[*Subscription]struct{}, k int64, s *Subscription) {
	set := m[k]
	if set == nil {
		set = map[*Subscription]struct{}{}
		m[k] = set
	}
	set[s] = struct{}{}
}

func remove(m map[int64]map[*Subscription]struct{}, k int64, s *Subscription) {
	if set := m[k]; set != nil {
		delete(set, s)
		if len(set) == 0 {
			delete(m, k)
		}
	}
}

// Deliver hands e to the local subscriptions it concerns.
func (h *Hub) Deliver(e Event) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	switch e.Kind {
	case KindAccess:
		for s := range h.users[e.UserID] {
			s.push(e)
		}
		return
	case KindMessage, KindLog:
		for s := range h.rooms[e.RoomID] {
			s.push(e)
		}
	case KindTyping, KindPresence:
	default: // assistant events: the room's streams only
		for s := range h.rooms[e.RoomID] {
			s.push(e)
		}
		return
	}
	for s := range h.all {
		if s.filter == nil || s.filter(e) {
			s.push(e)
		}
	}
}

// Resync wakes every subscription as if for every message and an access
// change: see Broker's contract.
func (h *Hub) Resync() {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for _, set := range h.rooms {
		for s := range set {
			s.push(Event{Kind: KindMessage, RoomID: s.room, MessageID: ResyncMessageID})
			s.push(Event{Kind: KindAccess, UserID: s.user})
		}
	}
	for s := range h.all {
		s.push(Event{Kind: KindLog, Log: LogResync})
		s.push(Event{Kind: KindAccess, UserID: s.user})
	}
}

// Len returns the number of live subscriptions.
func (h *Hub) Len() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	n := 0
	for _, set := range h.rooms {
		n += len(set)
	}
	return n + len(h.all)
}

// Closed reports whether Close was called.
func (h *Hub) Closed() bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.closed
}

// Close ends every subscription with ErrClosed.
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for _, set := range h.rooms {
		for s := range set {
			s.fail(ErrClosed)
		}
	}
	for s := range h.all {
		s.fail(ErrClosed)
	}
	h.rooms, h.users, h.all = nil, nil, nil
}

func (h *Hub) unsubscribe(s *Subscription) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if s.userStream {
		delete(h.all, s)
	} else {
		remove(h.rooms, s.room, s)
	}
	remove(h.users, s.user, s)
}

// Subscription is one stream's inbox. Events wait in a bounded queue;
// Ready is signalled whenever there is something to Take.
type Subscription struct {
	hub        *Hub
	room, user int64
	ready      chan struct{}
	// userStream marks a SubscribeUser subscription, whose filter picks
	// the events it is sent.
	userStream bool
	filter     func(Event) bool

	mu    sync.Mutex
	queue []Event
	err   error
	once  sync.Once
}

// Ready is signalled (capacity one, so signals merge) when Take has news.
func (s *Subscription) Ready() <-chan struct{} { return s.ready }

// Take returns the events queued since the last call, oldest first, and
// the error that ended the subscription, if one did (ErrSlow, ErrClosed):
// the events before it are still worth sending.
func (s *Subscription) Take() ([]Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queue
	s.queue = nil
	return q, s.err
}

// Wake signals Ready without an event: the stream's owner has news of its
// own (a check done off the stream's goroutine).
func (s *Subscription) Wake() { s.signal() }

// Close unregisters the subscription. It may be called more than once.
func (s *Subscription) Close() {
	s.once.Do(func() { s.hub.unsubscribe(s) })
}

func (s *Subscription) push(e Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return
	}
	switch {
	case e.Kind == KindMessage && len(s.queue) > 0 && s.queue[len(s.queue)-1].Kind == KindMessage:
		// Wake-ups merge: the later one covers the earlier.
		last := &s.queue[len(s.queue)-1]
		last.MessageID = max(last.MessageID, e.MessageID)
	case e.Kind == KindAccess && len(s.queue) > 0 && s.queue[len(s.queue)-1].Kind == KindAccess:
		// One re-check covers both.
	case s.userStream && (e.Kind == KindMessage || e.Kind == KindLog):
		// A user stream reads the log after its last id whatever woke
		// it: wake-ups merge into one, which remembers whether one of
		// them was a room change (the stream then re-reads its rooms).
		w := Event{Kind: KindLog, Log: e.Log}
		if e.Kind == KindMessage {
			w.Log = ""
		}
		if n := len(s.queue); n > 0 && s.queue[n-1].Kind == KindLog {
			if w.Log != "" {
				s.queue[n-1].Log = w.Log
			}
			break
		}
		if len(s.queue) >= QueueLimit {
			s.queue = nil
			s.err = ErrSlow
			break
		}
		s.queue = append(s.queue, w)
	case len(s.queue) >= QueueLimit:
		s.queue = nil
		s.err = ErrSlow
	default:
		s.queue = append(s.queue, e)
	}
	s.signal()
}

func (s *Subscription) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		s.err = err
	}
	s.signal()
}

func (s *Subscription) signal() {
	select {
	case s.ready <- struct{}{}:
	default:
	}
}
