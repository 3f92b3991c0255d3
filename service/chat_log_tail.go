package service

import (
	"context"
	"errors"
	"math"
	"sort"
	"strconv"
	"sync"

	"github.com/toriihq/torii"
)

// The log tail: this instance's copy of the newest rows of the chat event
// log, shared by its user streams (issue 17's benchmark). A message in a
// room of 1,000 members wakes 1,000 user streams, and each must read the
// log after the last id it sent. One read of the log per wake-up, shared
// by every stream whatever its position, replaces a read per stream: the
// streams that fell a little behind (a slow client, a busy database) used
// to miss the one shared page of their neighbours and read alone, and on
// PostgreSQL those reads made the database slower still (docs/benchmarks.md,
// "Team chat").
//
// The tail is exact because the log is appended in commit order: on
// PostgreSQL every append takes the log's advisory lock first
// (sqlstore.eventLockClass), SQLite has one writer. So a read of "every row
// after the newest id held" returns every row committed since, and rows
// holds every row in (base, top], none missing: a stream whose position is
// in that range reads exactly what its own read of the database would
// return (before its visibility filter, which readShared applies).
const (
	// maxTailRows bounds the rows kept; the oldest half goes when it is
	// reached. A stream further behind than the rows kept reads alone.
	maxTailRows = 8192
	// tailRead is how many rows one read of the database fetches (the
	// store's largest page).
	tailRead = 100
	// tailRounds bounds the reads that reached the end of the log one
	// call waits for before it gives up and lets the stream read alone:
	// a read in flight may have started before the wanted row committed,
	// the next one cannot have. Reads of a full page (the tail catching
	// up) do not count, up to maxTailReads in all.
	tailRounds   = 3
	maxTailReads = maxTailRows / tailRead
)

type logTail struct {
	mu      sync.Mutex
	started bool
	base    int64             // rows holds every row with an id in (base, top]
	top     int64             // the newest id read (base when none)
	rows    []torii.ChatEvent // ascending ids
	msgs    map[int64]bool    // the messages whose message row is in rows
	reading chan struct{}     // closed when the read in flight ends; nil when none
	atEnd   bool              // the latest read reached the end of the log
	max     int               // the rows kept at most; 0 is maxTailRows (tests set less)
}

// tailPage returns up to streamPage rows of the log after id after (every
// row, whoever it is for), once the tail holds the message row of message
// want; ok is false when it cannot (after is older than the rows kept,
// want is not a message id, or the row did not come within tailRounds
// reads): the caller then reads the database alone.
func (s *Service) tailPage(ctx context.Context, after, want int64) (page []torii.ChatEvent, ok bool, err error) {
	t := &s.tail
	if want <= 0 || want == math.MaxInt64 {
		return nil, false, nil
	}
	for rounds, reads := 0, 0; rounds < tailRounds && reads < maxTailReads; reads++ {
		t.mu.Lock()
		if !t.started || (after-t.top > maxTailRows && t.reading == nil) {
			// The first position asked for starts the tail, and one far
			// ahead of it starts it again (no stream used it for a
			// while): every row after it is read from now on. A stream a
			// little ahead (its own read went further) only pulls the
			// tail forward: starting again there would drop the rows of
			// the streams behind it, which would then read alone.
			t.restart(after)
		}
		if after < t.base {
			t.mu.Unlock()
			return nil, false, nil
		}
		if t.msgs[want] {
			page = t.pageAfter(after)
			t.mu.Unlock()
			return page, true, nil
		}
		wait := t.reading
		if wait == nil {
			t.reading = make(chan struct{})
		}
		from := t.top
		t.mu.Unlock()
		if wait != nil {
			select {
			case <-wait:
			case <-ctx.Done():
				return nil, false, ctx.Err()
			}
		} else if err := s.readTail(ctx, from); err != nil {
			return nil, false, err
		}
		t.mu.Lock()
		if t.atEnd {
			rounds++
		}
		t.mu.Unlock()
	}
	return nil, false, nil
}

// restart empties the tail, to hold the rows after id after from now on;
// t.mu is held.
func (t *logTail) restart(after int64) {
	t.started, t.base, t.top = true, after, after
	t.rows, t.msgs = nil, map[int64]bool{}
}

// readTail reads the rows after from (the tail's top when the read
// started, its only reader until it ends) and appends them.
func (s *Service) readTail(ctx context.Context, from int64) error {
	t := &s.tail
	// Detached: one stream going away must not fail the others waiting
	// for this read.
	rows, err := s.store.ChatEventsAfter(context.WithoutCancel(ctx), from, tailRead)
	t.mu.Lock()
	defer t.mu.Unlock()
	close(t.reading)
	t.reading = nil
	if err != nil {
		return err
	}
	// from is still t.top: restart waits for no read in flight.
	t.atEnd = len(rows) < tailRead
	for _, e := range rows {
		t.rows = append(t.rows, e)
		if e.Kind == torii.ChatMessage {
			t.msgs[e.MessageID] = true
		}
	}
	if len(rows) > 0 {
		t.top = rows[len(rows)-1].ID
	}
	keep := t.max
	if keep <= 0 {
		keep = maxTailRows
	}
	if len(t.rows) > keep {
		drop := len(t.rows) - keep/2
		for _, e := range t.rows[:drop] {
			if e.Kind == torii.ChatMessage {
				delete(t.msgs, e.MessageID)
			}
		}
		t.base = t.rows[drop-1].ID
		t.rows = append([]torii.ChatEvent(nil), t.rows[drop:]...)
	}
	return nil
}

// pageAfter is up to streamPage rows after id after; t.mu is held and
// after is within (base, top] or base.
func (t *logTail) pageAfter(after int64) []torii.ChatEvent {
	i := sort.Search(len(t.rows), func(i int) bool { return t.rows[i].ID > after })
	n := min(len(t.rows)-i, streamPage)
	// A copy: the rows slice is appended to and trimmed under the lock.
	return append([]torii.ChatEvent(nil), t.rows[i:i+n]...)
}

// maxGroupReads bounds the groups whose members are kept; the cache
// starts over when it is full.
const maxGroupReads = 10_000

// roomKind is what never changes in a room once it is made (no update
// sets either): its visibility and a group room's group.
type roomKind struct {
	visibility string // "" for a room that is gone
	group      int64
}

// roomKind returns room id's kind for readShared (the rows of rooms a
// stream does not see and of group rooms), from the room rows the
// principal cache keeps for Service.Room, or one read shared by the
// streams asking at once.
func (s *Service) roomKind(ctx context.Context, id int64) (roomKind, error) {
	kindOf := func(r torii.Room) roomKind {
		k := roomKind{visibility: r.Visibility}
		if r.GroupID != nil {
			k.group = *r.GroupID
		}
		return k
	}
	if r, ok := s.cache.room(id, s.now()); ok {
		return kindOf(r), nil
	}
	got, err, _ := s.reads.Do("room:"+strconv.FormatInt(id, 10), func() (any, error) {
		r, err := s.store.RoomByID(context.WithoutCancel(ctx), id)
		if errors.Is(err, torii.ErrNotFound) {
			return roomKind{}, nil // deleted: it has no rows to come
		} else if err != nil {
			return nil, err
		}
		s.cache.putRoom(r, s.now())
		return kindOf(r), nil
	})
	if err != nil {
		return roomKind{}, err
	}
	return got.(roomKind), nil
}

// groupRead is a read of a group's members that started once every log
// row up to id covers had committed.
type groupRead struct {
	covers  int64
	members map[int64]bool
}

// groupReads keeps the latest groupRead of each group.
type groupReads struct {
	mu sync.Mutex
	m  map[int64]groupRead
}

// groupMembersAfter returns group's members as read after log row row
// committed: who may see a group room's row, decided as a stream's own
// read of the database at that moment would decide it (roomVisibleSQL's
// group branch is the membership alone). One read per group serves every
// stream of the instance whose rows it covers, instead of a read per
// stream: a member removed from the group before a message committed is
// not among the members of a read that started after it. row is in the
// tail (committed).
func (s *Service) groupMembersAfter(ctx context.Context, group, row int64) (map[int64]bool, error) {
	g := &s.groups
	for reads := 0; ; reads++ {
		g.mu.Lock()
		r, ok := g.m[group]
		g.mu.Unlock()
		if ok && r.covers >= row {
			return r.members, nil
		}
		if reads == 2 {
			// A read joined in flight had started before row
			// committed, and so had the next: the caller reads alone.
			return nil, nil
		}
		_, err, _ := s.reads.Do("group:"+strconv.FormatInt(group, 10), func() (any, error) {
			// Every row the tail holds has committed: a read starting
			// now covers them all.
			s.tail.mu.Lock()
			covers := s.tail.top
			s.tail.mu.Unlock()
			ms, err := s.store.GroupMembers(context.WithoutCancel(ctx), group)
			if err != nil {
				return nil, err
			}
			members := make(map[int64]bool, len(ms))
			for _, m := range ms {
				members[m.UserID] = true
			}
			g.mu.Lock()
			if g.m == nil || len(g.m) >= maxGroupReads {
				g.m = map[int64]groupRead{}
			}
			if covers >= g.m[group].covers {
				g.m[group] = groupRead{covers: covers, members: members}
			}
			g.mu.Unlock()
			return nil, nil
		})
		if err != nil {
			return nil, err
		}
	}
}
