package service

import (
	"sync"
	"time"

	"github.com/toriihq/torii"
)

// principalTTL is how long an authenticated principal is reused without
// reading the database again. Changes made through this process invalidate
// the entry at once; the TTL bounds how long a change made elsewhere (the
// CLI on the same SQLite file, another instance) can go unseen.
const principalTTL = time.Second

// maxCachedPrincipals bounds the cache's memory; reaching it empties the
// cache, which only costs a database read per session.
const maxCachedPrincipals = 100_000

// principalCache keeps recently authenticated principals by session id so
// that an authenticated request costs no database round trip. It is an
// optimisation only: every rule is still checked on each request against the
// cached rows.
//
// It also keeps the authors shown next to chat messages by user id, under
// the same TTL and invalidation: every message a stream sends names its
// author, and reading each author's row for every page of every stream
// was most of a busy room's database work.
type principalCache struct {
	mu      sync.RWMutex
	entries map[string]cachedPrincipal
	// byUser indexes entries by user: forgetUser runs at every user
	// stream's heartbeat, and scanning every session's entry there cost
	// 10 % of the server's CPU with 5,000 connected users.
	byUser  map[int64]map[string]struct{}
	authors map[int64]cachedAuthor
	rooms   map[int64]cachedRoom
}

// cachedRoom is a room row (rooms never change once created; the TTL
// bounds how long one deleted elsewhere, with its group, stays visible
// here: its messages then fail on the foreign key).
type cachedRoom struct {
	r        torii.Room
	loadedAt time.Time
}

type cachedAuthor struct {
	a        *Author // nil: no such user
	loadedAt time.Time
}

type cachedPrincipal struct {
	p        Principal
	loadedAt time.Time
}

func newPrincipalCache() *principalCache {
	return &principalCache{entries: make(map[string]cachedPrincipal), byUser: make(map[int64]map[string]struct{}), authors: make(map[int64]cachedAuthor), rooms: make(map[int64]cachedRoom)}
}

func (c *principalCache) get(id string, now time.Time) (Principal, bool) {
	c.mu.RLock()
	e, ok := c.entries[id]
	c.mu.RUnlock()
	if !ok || now.Sub(e.loadedAt) >= principalTTL || now.Before(e.loadedAt) {
		return Principal{}, false
	}
	return e.p, true
}

func (c *principalCache) put(p Principal, now time.Time) {
	c.mu.Lock()
	if len(c.entries) >= maxCachedPrincipals {
		clear(c.entries)
		clear(c.byUser)
	}
	c.entries[p.Session.ID] = cachedPrincipal{p: p, loadedAt: now}
	ids := c.byUser[p.User.ID]
	if ids == nil {
		ids = map[string]struct{}{}
		c.byUser[p.User.ID] = ids
	}
	ids[p.Session.ID] = struct{}{}
	c.mu.Unlock()
}

// touched records a new last_activity without resetting the entry's age.
func (c *principalCache) touched(id string, at time.Time) {
	c.mu.Lock()
	if e, ok := c.entries[id]; ok {
		e.p.Session.LastActivity = at
		c.entries[id] = e
	}
	c.mu.Unlock()
}

func (c *principalCache) forget(id string) {
	c.mu.Lock()
	if e, ok := c.entries[id]; ok {
		c.unindex(e.p.User.ID, id)
	}
	delete(c.entries, id)
	c.mu.Unlock()
}

// unindex removes session id from byUser; c.mu is held.
func (c *principalCache) unindex(userID int64, id string) {
	if ids := c.byUser[userID]; ids != nil {
		delete(ids, id)
		if len(ids) == 0 {
			delete(c.byUser, userID)
		}
	}
}

// forgetUser drops every entry of the user: after a status, role, password
// or allowlist change the next request reads the database again.
func (c *principalCache) forgetUser(userID int64) {
	c.mu.Lock()
	for id := range c.byUser[userID] {
		delete(c.entries, id)
	}
	delete(c.byUser, userID)
	delete(c.authors, userID)
	c.mu.Unlock()
}

// author returns the cached author of userID (nil for a user who does not
// exist) if it is fresh.
func (c *principalCache) author(userID int64, now time.Time) (*Author, bool) {
	c.mu.RLock()
	e, ok := c.authors[userID]
	c.mu.RUnlock()
	if !ok || now.Sub(e.loadedAt) >= principalTTL || now.Before(e.loadedAt) {
		return nil, false
	}
	return e.a, true
}

func (c *principalCache) putAuthor(userID int64, a *Author, now time.Time) {
	c.mu.Lock()
	if len(c.authors) >= maxCachedPrincipals {
		clear(c.authors)
	}
	c.authors[userID] = cachedAuthor{a: a, loadedAt: now}
	c.mu.Unlock()
}

// room returns the cached room id if it is fresh.
func (c *principalCache) room(id int64, now time.Time) (torii.Room, bool) {
	c.mu.RLock()
	e, ok := c.rooms[id]
	c.mu.RUnlock()
	if !ok || now.Sub(e.loadedAt) >= principalTTL || now.Before(e.loadedAt) {
		return torii.Room{}, false
	}
	return e.r, true
}

func (c *principalCache) putRoom(r torii.Room, now time.Time) {
	c.mu.Lock()
	if len(c.rooms) >= maxCachedPrincipals {
		clear(c.rooms)
	}
	c.rooms[r.ID] = cachedRoom{r: r, loadedAt: now}
	c.mu.Unlock()
}
