package web

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/toriihq/torii"
)

// Bounds of event streams (docs/api.md "Limits"): how many one user may
// hold open, how long one lives, and what happens when the code serving
// one panics.

// streamsRetryAfter is the Retry-After of a refused stream: a client that
// went away without closing its connection is noticed at the next
// heartbeat at the latest, which frees its slot.
const streamsRetryAfter = defaultHeartbeat

// streamSlots counts each user's open event streams on this instance. The
// room streams take a slot each; so will any other stream of a user (the
// per-user /api/v1/events stream takes its slot from the same counter, so
// the cap is on the user's streams, not per kind).
type streamSlots struct {
	max  int // 0: no cap
	mu   sync.Mutex
	open map[int64]int
}

// acquire takes one of uid's slots, or answers RATE_LIMITED when uid holds
// max already. release gives it back and may be called more than once.
func (s *streamSlots) acquire(uid int64) (release func(), err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.max > 0 && s.open[uid] >= s.max {
		e := torii.Errorf(torii.ERateLimited, "Too many open live streams (at most %d per user): close another tab or device, then try again.", s.max)
		e.RetryAfter = streamsRetryAfter
		return nil, e
	}
	if s.open == nil {
		s.open = map[int64]int{}
	}
	s.open[uid]++
	return sync.OnceFunc(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.open[uid]--; s.open[uid] <= 0 {
			delete(s.open, uid)
		}
	}), nil
}

// lifetime returns when a stream opened now should end: the configured
// lifetime ±10 %, so that streams opened together (after a deploy) do not
// all reconnect together.
func (s *Server) lifetime() time.Duration {
	d := s.opts.Limits.StreamLifetime
	return d - d/10 + rand.N(d/5+1)
}

// recoverClient ends a goroutine serving a client when it panics: the
// panic is logged with its stack and the request id, and the process goes
// on serving everyone else. Use it as `defer s.recoverClient(ctx, what)`
// at the top of every goroutine that serves a client outside net/http's
// own handler goroutine (which recovers by itself).
func (s *Server) recoverClient(ctx context.Context, what string) {
	if v := recover(); v != nil {
		s.log.ErrorContext(ctx, "panic serving a client", "in", what, "panic", fmt.Sprint(v),
			"request_id", requestID(ctx), "stack", string(debug.Stack()))
	}
}

// testHookStreamWrite, when set (by tests only), runs before each write to
// a stream, with the stream's request id.
var testHookStreamWrite atomic.Pointer[func(requestID string)]

func streamWriteHook(ctx context.Context) {
	if f := testHookStreamWrite.Load(); f != nil {
		(*f)(requestID(ctx))
	}
}
