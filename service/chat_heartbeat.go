package service

import (
	"context"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// heartbeatReaders bounds the user streams' heartbeat checks reading the
// database at once. The rest wait for a turn without holding a pool
// connection, so the deliveries' reads always find one free: with 2,500
// connections on an instance and PostgreSQL's pool of 20, the heartbeats'
// re-reads took every pool connection and the deliveries queued behind
// them for seconds (docs/benchmarks.md, "Team chat").
const heartbeatReaders = 4

// heartbeatShare is how long one session's heartbeat check stands for the
// heartbeats of its other connections (tabs of one browser share its
// cookie): at most one database check per session in that time.
const heartbeatShare = 5 * time.Second

// heartbeatChecks shares and bounds the heartbeat checks of sessions.
type heartbeatChecks struct {
	slots  chan struct{}
	flight singleflight.Group
	mu     sync.Mutex
	done   map[string]passedCheck // session id → last check that passed
}

// passedCheck is a session's last heartbeat check that passed: when, and
// the session's absolute expiry it read.
type passedCheck struct{ at, expires time.Time }

func newHeartbeatChecks() *heartbeatChecks {
	return &heartbeatChecks{slots: make(chan struct{}, heartbeatReaders), done: map[string]passedCheck{}}
}

// heartbeatSession is a user stream's heartbeat check of its session: two
// indexed reads (the session, its user) instead of the whole principal and
// the room set. It ends the stream when the session is revoked, expired or
// idle, or the user inactive, not allowed or waiting: what a lost access
// event would leave unseen. Everything else an access change can alter (roles, groups and
// so the group rooms) reaches the stream through its access event, which
// still re-reads everything at once; on PostgreSQL a lost listener
// connection makes every stream re-read and re-check (chat.LogResync). It
// returns the session's absolute expiry.
func (s *Service) heartbeatSession(ctx context.Context, sid string, uid int64) (time.Time, error) {
	hc := s.beats
	now := s.now().UTC()
	hc.mu.Lock()
	last, ok := hc.done[sid]
	hc.mu.Unlock()
	if ok && now.Sub(last.at) < heartbeatShare && !now.Before(last.at) && now.Before(last.expires) {
		// Another connection of the session checked just now: its
		// result stands for this one's.
		return last.expires, nil
	}
	v, err, _ := hc.flight.Do(sid, func() (any, error) {
		release, err := hc.turn(ctx)
		if err != nil {
			return time.Time{}, err
		}
		defer release()
		exp, err := s.checkSessionNow(ctx, sid, uid)
		hc.mu.Lock()
		if err != nil {
			delete(hc.done, sid)
		} else {
			if len(hc.done) >= maxCachedPrincipals {
				clear(hc.done)
			}
			hc.done[sid] = passedCheck{at: s.now().UTC(), expires: exp}
		}
		hc.mu.Unlock()
		return exp, err
	})
	exp, _ := v.(time.Time)
	return exp, err
}

// checkSessionNow reads session sid and its user and applies what
// Authenticate applies to them, touching the session as a request would
// (an open stream keeps its session from going idle).
func (s *Service) checkSessionNow(ctx context.Context, sid string, uid int64) (time.Time, error) {
	sess, err := s.store.SessionByID(ctx, sid)
	if err != nil {
		return time.Time{}, missingIsUnauthorized(err)
	}
	now := s.now().UTC()
	if sess.UserID != uid || !sess.Live(now, s.opts.SessionIdle) {
		s.cache.forget(sid)
		return time.Time{}, errUnauthorized
	}
	u, err := s.store.UserByID(ctx, uid)
	if err != nil {
		return time.Time{}, missingIsUnauthorized(err)
	}
	if err := s.checkAccess(ctx, u); err != nil {
		return time.Time{}, err // errWaiting included: a waiting user's stream ends
	}
	if now.Sub(sess.LastActivity) >= touchInterval {
		if err := s.store.TouchSession(ctx, sid, now); err != nil {
			return time.Time{}, err
		}
		s.cache.touched(sid, now)
	}
	return sess.ExpiresAt, nil
}

// turn waits for one of the heartbeats' database turns (heartbeatReaders);
// release gives it back.
func (hc *heartbeatChecks) turn(ctx context.Context) (release func(), err error) {
	select {
	case hc.slots <- struct{}{}:
		return func() { <-hc.slots }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
