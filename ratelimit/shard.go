package ratelimit

import (
	"slices"
	"sync"
	"time"
)

// shard is one independently locked part of a Limiter's keys.
//
// A key's state is its theoretical arrival time (TAT): the time at which it
// will have earned back every attempt. An entry whose TAT is not after now
// says nothing an absent entry would not, so it may be dropped at any time.
type shard struct {
	mu        sync.Mutex
	tat       map[string]time.Duration
	max       int           // at most this many keys
	peak      int           // largest len(tat) since the map was last rebuilt
	lastSweep time.Duration // when expired entries were last dropped
	scratch   []time.Duration
	_         [64]byte // keep neighbouring shards' mutexes off one cache line
}

func (s *shard) init(max int) {
	s.max = max
	s.tat = make(map[string]time.Duration)
}

// get returns key's TAT, or now if it has none or it has passed.
func (s *shard) get(key string, now time.Duration) time.Duration {
	if t, ok := s.tat[key]; ok && t > now {
		return t
	}
	return now
}

// put stores key's TAT, making room first if key is new and the shard is
// full, and sweeping expired entries once per window so that memory comes
// back after a flood even if the shard never fills again.
func (s *shard) put(key string, tat, now, window time.Duration) {
	if _, ok := s.tat[key]; !ok && len(s.tat) >= s.max {
		s.makeRoom(now)
	}
	s.tat[key] = tat
	s.peak = max(s.peak, len(s.tat))
	if now-s.lastSweep >= window {
		s.sweep(now)
	}
}

// sweep drops expired entries. Go maps never give back memory, so when the
// shard has shrunk to a quarter of its peak the map is rebuilt.
func (s *shard) sweep(now time.Duration) {
	s.lastSweep = now
	for k, t := range s.tat {
		if t <= now {
			delete(s.tat, k)
		}
	}
	if s.peak >= 64 && len(s.tat) <= s.peak/4 {
		m := make(map[string]time.Duration, len(s.tat))
		for k, t := range s.tat {
			m[k] = t
		}
		s.tat, s.peak = m, len(s.tat)
		s.scratch = nil
	}
}

// makeRoom brings the shard below its bound: expired entries first, then,
// if it is still full, the eighth of the entries with the earliest TATs
// (the keys that would recover soonest, i.e. those we lose least by
// forgetting). Evicting an eighth at a time keeps the sort amortised:
// O(log n) per insert under a flood of new keys.
func (s *shard) makeRoom(now time.Duration) {
	s.lastSweep = now
	s.scratch = s.scratch[:0]
	for k, t := range s.tat { // sweep and collect in one pass
		if t <= now {
			delete(s.tat, k)
		} else {
			s.scratch = append(s.scratch, t)
		}
	}
	if len(s.tat) < s.max {
		return
	}
	n := max(1, s.max/8)
	slices.Sort(s.scratch)
	cut := s.scratch[n-1]
	// Every entry before cut goes, and as many ties at cut as make up n.
	ties, _ := slices.BinarySearch(s.scratch, cut)
	ties = n - ties
	for k, t := range s.tat {
		if t < cut {
			delete(s.tat, k)
		} else if t == cut && ties > 0 {
			delete(s.tat, k)
			ties--
		}
	}
}
