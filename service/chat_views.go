package service

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Shared message views for the user streams (issue 17's benchmark). A
// message posted in a room of 1,000 members wakes 1,000 user streams, and
// each turned the message's log row into the message object by itself:
// the message, its reactions, mentions, reply preview and assistant
// details, five reads per stream per message. The view of a message is
// the same for everyone who may see it, so streams share it: a view is
// keyed by the message and the log event it was read for, and read once
// (singleflight) after that event committed, like a room stream's shared
// read (lastReads). A stream uses, for every event of a message in its
// page, the view keyed by the page's latest event of that message, so a
// replay that holds an edit or a deletion sends the edited text or the
// tombstone for all of them, as before.
//
// Entries live viewTTL at most, and a deletion through this instance
// (of a message, a room, an account) forgets them at once: a deletion on
// another instance is seen
// here by a stream that reads its log row (a newer key); only a stream
// replaying an older event of that message alone in its page within
// viewTTL could be given the text it already had.
const (
	viewTTL      = 5 * time.Second
	maxViewCache = 20_000
)

type viewKey struct{ message, event int64 }

type cachedView struct {
	m  *ChatMessage
	at time.Time
}

type messageViews struct {
	mu sync.Mutex
	m  map[viewKey]cachedView
}

func (v *messageViews) get(k viewKey, now time.Time) (*ChatMessage, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	e, ok := v.m[k]
	if !ok || now.Sub(e.at) >= viewTTL || now.Before(e.at) {
		return nil, false
	}
	return e.m, true
}

func (v *messageViews) put(k viewKey, m *ChatMessage, now time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.m == nil || len(v.m) >= maxViewCache {
		v.m = map[viewKey]cachedView{}
	}
	v.m[k] = cachedView{m: m, at: now}
}

// forget drops every view of message id (it was deleted).
func (v *messageViews) forget(id int64) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for k := range v.m {
		if k.message == id {
			delete(v.m, k)
		}
	}
}

// clear drops every view (a room or an account was deleted).
func (v *messageViews) clear() {
	v.mu.Lock()
	defer v.mu.Unlock()
	clear(v.m)
}

// sharedViews returns the views of the messages in latest (message id →
// the log event it is read for, already committed), from the cache or one
// shared read. Messages that no longer exist are missing from the map.
func (s *Service) sharedViews(ctx context.Context, latest map[int64]int64) (map[int64]*ChatMessage, error) {
	now := s.now()
	out := make(map[int64]*ChatMessage, len(latest))
	var miss []viewKey
	for mid, eid := range latest {
		if m, ok := s.views.get(viewKey{mid, eid}, now); ok {
			out[mid] = m
		} else {
			miss = append(miss, viewKey{mid, eid})
		}
	}
	if len(miss) == 0 {
		return out, nil
	}
	slices.SortFunc(miss, func(a, b viewKey) int { return int(a.message - b.message) })
	var sb strings.Builder
	sb.WriteString("views")
	ids := make([]int64, len(miss))
	for i, k := range miss {
		sb.WriteString(":" + strconv.FormatInt(k.message, 10) + "@" + strconv.FormatInt(k.event, 10))
		ids[i] = k.message
	}
	// Detached: one stream going away must not fail the others.
	v, err, _ := s.reads.Do(sb.String(), func() (any, error) {
		ms, err := s.store.MessagesByID(context.WithoutCancel(ctx), ids)
		if err != nil {
			return nil, err
		}
		views, err := s.withAuthors(context.WithoutCancel(ctx), ms)
		if err == nil {
			// An assistant reply's model, tokens and sources, as the room
			// stream and the history send them.
			err = s.withReplyInfo(context.WithoutCancel(ctx), views)
		}
		if err != nil {
			return nil, err
		}
		got := make(map[int64]*ChatMessage, len(views))
		at := s.now()
		for i := range views {
			m := &views[i]
			got[m.ID] = m
			s.views.put(viewKey{m.ID, latest[m.ID]}, m, at)
		}
		return got, nil
	})
	if err != nil {
		return nil, err
	}
	for id, m := range v.(map[int64]*ChatMessage) {
		out[id] = m
	}
	return out, nil
}
