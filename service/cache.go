package service

import (
	"sync"
	"time"
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
type principalCache struct {
	mu      sync.RWMutex
	entries map[string]cachedPrincipal
}

type cachedPrincipal struct {
	p        Principal
	loadedAt time.Time
}

func newPrincipalCache() *principalCache {
	return &principalCache{entries: make(map[string]cachedPrincipal)}
}

func (c *principalCache) get(id string, now time.Time) (Principal, bool) {
	if c == nil {
		return Principal{}, false
	}
	c.mu.RLock()
	e, ok := c.entries[id]
	c.mu.RUnlock()
	if !ok || now.Sub(e.loadedAt) >= principalTTL || now.Before(e.loadedAt) {
		return Principal{}, false
	}
	return e.p, true
}

func (c *principalCache) put(p Principal, now time.Time) {
	if c == nil {
		return
	}
	c.mu.Lock()
	if len(c.entries) >= maxCachedPrincipals {
		clear(c.entries)
	}
	c.entries[p.Session.ID] = cachedPrincipal{p: p, loadedAt: now}
	c.mu.Unlock()
}

// touched records a new last_activity without resetting the entry's age.
func (c *principalCache) touched(id string, at time.Time) {
	if c == nil {
		return
	}
	c.mu.Lock()
	if e, ok := c.entries[id]; ok {
		e.p.Session.LastActivity = at
		c.entries[id] = e
	}
	c.mu.Unlock()
}

func (c *principalCache) forget(id string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	delete(c.entries, id)
	c.mu.Unlock()
}

// forgetUser drops every entry of the user: after a status, role, password
// or allowlist change the next request reads the database again.
func (c *principalCache) forgetUser(userID int64) {
	if c == nil {
		return
	}
	c.mu.Lock()
	for id, e := range c.entries {
		if e.p.User.ID == userID {
			delete(c.entries, id)
		}
	}
	c.mu.Unlock()
}
