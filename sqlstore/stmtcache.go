package sqlstore

import (
	"context"
	"database/sql"
	"sync"
)

// maxCachedStmts bounds a pool's statement cache. The store's queries are
// constants plus a few filter variants, far fewer than this; past it,
// queries simply run unprepared.
const maxCachedStmts = 256

// stmtCache keeps one *sql.Stmt per query text for a pool. database/sql
// prepares a Stmt lazily on each connection that runs it and keeps that
// preparation, so a query is parsed once per connection rather than at
// every call (with modernc's SQLite, parsing cost about a quarter of a
// simple query). Used for SQLite only: pgx already caches statements.
// A nil cache caches nothing.
type stmtCache struct {
	db *sql.DB
	mu sync.RWMutex
	m  map[string]*sql.Stmt
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, m: make(map[string]*sql.Stmt)}
}

// lookup returns the cached statement for query, or nil.
func (c *stmtCache) lookup(query string) *sql.Stmt {
	if c == nil {
		return nil
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.m[query]
}

// get returns the statement for query, preparing it on first use; nil if
// the cache is nil or full, or preparation failed (the caller then runs the
// query directly and gets the error there).
func (c *stmtCache) get(ctx context.Context, query string) *sql.Stmt {
	if c == nil {
		return nil
	}
	c.mu.RLock()
	st, ok := c.m[query]
	c.mu.RUnlock()
	if ok {
		return st
	}
	if c.full() {
		return nil
	}
	// Prepare without holding the lock: preparing waits for a free
	// connection, and a transaction holding SQLite's only writer
	// connection may be waiting for the lock in lookup.
	st, err := c.db.PrepareContext(context.WithoutCancel(ctx), query)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[query]; ok {
		st.Close()
		return old
	}
	if len(c.m) >= maxCachedStmts {
		st.Close()
		return nil
	}
	c.m[query] = st
	return st
}

func (c *stmtCache) full() bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m) >= maxCachedStmts
}

func (c *stmtCache) close() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, st := range c.m {
		st.Close()
		delete(c.m, k)
	}
}
