// Package ratelimit limits attempts per key (an account, an IP, a user) to a
// number per time window: failed sign-ins, registrations, assistant
// requests (security.md E.29, api.md 429 RATE_LIMITED).
//
// The algorithm is GCRA (the generic cell rate algorithm, a leaky bucket
// stored as one timestamp). It was chosen over the two-fixed-windows sliding
// approximation because:
//   - its state is one time.Duration per key instead of two counters and a
//     window start, which matters when an IP-rotating attacker fills the map;
//   - it is exact rather than an estimate that assumes attempts in the
//     previous window were evenly spread;
//   - the time until the next allowed attempt falls straight out of the
//     state, so retryAfter is exact, whereas the two-window estimate needs
//     case analysis across the window boundary;
//   - it has no window edges at all: a burst at the end of one window and
//     another at the start of the next is refused, as with a true sliding
//     window.
//
// With a limit of L per window W, a key may make L attempts at once; after
// that it earns one attempt back every W/L, and after W of silence it has
// all L again. Both algorithms let at most about 2L attempts through in any
// stretch of length W (a full burst, then one per W/L), the price of O(1)
// memory per key; an exact sliding log would store L timestamps per key.
package ratelimit

import (
	"hash/maphash"
	"time"
)

// defaultMaxKeys is the number of keys a Limiter tracks unless withMaxKeys
// says otherwise: about 10 MB in the worst case with 100-byte keys.
const defaultMaxKeys = 100_000

// defaultShards is the number of independently locked parts of a Limiter.
// Measured on 2 shared cores: BenchmarkAllowParallel (16 shards) 65–98
// ns/op against 99–102 ns/op for BenchmarkAllowParallelOneMutex. The gain
// grows with cores, costs nothing on one, and a random per-Limiter hash
// seed keeps an attacker from piling keys onto one shard.
const defaultShards = 16

// Limiter allows at most a fixed number of attempts per key per window. The
// zero value is not usable; create one with New. It is safe for concurrent use.
type Limiter struct {
	interval time.Duration // the window divided by the limit: one attempt's cost
	burst    time.Duration // interval × limit: how far ahead of now a key may run
	now      func() time.Time
	base     time.Time // times are kept as offsets from base (monotonic)
	maxKeys  int
	nshards  int
	seed     maphash.Seed
	shards   []shard
}

// Option configures a Limiter in New.
type Option func(*Limiter)

// withMaxKeys bounds the number of keys the Limiter remembers to n (n ≤ 0
// means defaultMaxKeys). When the bound is reached, keys whose attempts have
// all expired are dropped first, then the keys closest to expiring, so a
// flood of new keys (IP rotation) evicts the flood's own one-attempt keys
// before a key that is near its limit. Memory therefore stays bounded
// whatever the keys, at the price of possibly forgetting a key's attempts
// under such a flood.
func withMaxKeys(n int) Option {
	return func(l *Limiter) {
		if n <= 0 {
			n = defaultMaxKeys
		}
		l.maxKeys = n
	}
}

// withShards sets the number of shards; tests and benchmarks only.
func withShards(n int) Option { return func(l *Limiter) { l.nshards = n } }

// New returns a Limiter allowing limit attempts per key per window, reading
// the time from now (nil means time.Now). A limit ≤ 0 gives a Limiter that
// allows everything and stores nothing, so a limit can be configured off.
// New panics if limit > 0 and window ≤ 0.
func New(limit int, window time.Duration, now func() time.Time, opts ...Option) *Limiter {
	if now == nil {
		now = time.Now
	}
	l := &Limiter{now: now, maxKeys: defaultMaxKeys, nshards: defaultShards}
	for _, o := range opts {
		o(l)
	}
	if limit <= 0 {
		return l
	}
	if window <= 0 {
		panic("ratelimit: window must be positive")
	}
	// Rounding the interval up keeps the limit exact or slightly stricter;
	// burst is derived from it so that a full burst of limit still fits.
	l.interval = (window + time.Duration(limit) - 1) / time.Duration(limit)
	l.burst = l.interval * time.Duration(limit)
	l.base = now()
	l.seed = maphash.MakeSeed()
	l.nshards = max(1, min(l.nshards, l.maxKeys))
	l.shards = make([]shard, l.nshards)
	for i := range l.shards {
		l.shards[i].init(l.maxKeys / l.nshards)
	}
	return l
}

// Allow counts one attempt for key and reports whether it is within the
// limit. A refused attempt is not counted. When refused, retryAfter is how
// long until an attempt would be allowed, rounded up to a whole second (at
// least one) so that a Retry-After header in seconds is never too early.
func (l *Limiter) Allow(key string) (ok bool, retryAfter time.Duration) {
	if l.shards == nil {
		return true, 0
	}
	now := l.elapsed()
	s := l.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	tat := s.get(key, now)
	if wait := tat + l.interval - l.burst - now; wait > 0 {
		return false, roundUp(wait)
	}
	s.put(key, tat+l.interval, now, l.burst)
	return true, 0
}

// Check reports whether one more attempt for key would be allowed, and if
// not, retryAfter as in Allow, without counting anything. With Add it
// limits failures only: Check before a sign-in, Add after it fails.
func (l *Limiter) Check(key string) (ok bool, retryAfter time.Duration) {
	if l.shards == nil {
		return true, 0
	}
	now := l.elapsed()
	s := l.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	if wait := s.get(key, now) + l.interval - l.burst - now; wait > 0 {
		return false, roundUp(wait)
	}
	return true, 0
}

// Add counts one attempt for key whether or not it is within the limit.
// Attempts beyond the limit are not remembered (the key stays exactly at
// its limit), so requests that raced past Check cannot extend a lock-out.
func (l *Limiter) Add(key string) {
	if l.shards == nil {
		return
	}
	now := l.elapsed()
	s := l.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.put(key, min(s.get(key, now)+l.interval, now+l.burst), now, l.burst)
}

// Reset forgets every attempt counted for key, e.g. after a successful
// sign-in or a password reset.
func (l *Limiter) Reset(key string) {
	if l.shards == nil {
		return
	}
	s := l.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.tat, key)
}

// Len returns the number of keys currently remembered, expired ones not yet
// pruned included. It never exceeds the withMaxKeys bound.
func (l *Limiter) Len() int {
	n := 0
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		n += len(s.tat)
		s.mu.Unlock()
	}
	return n
}

func (l *Limiter) elapsed() time.Duration { return l.now().Sub(l.base) }

// shard picks a shard with a per-Limiter random seed, so that an attacker
// cannot aim all their keys at one shard.
func (l *Limiter) shard(key string) *shard {
	return &l.shards[maphash.String(l.seed, key)%uint64(len(l.shards))]
}

func roundUp(d time.Duration) time.Duration {
	return (d + time.Second - 1) / time.Second * time.Second
}
