package ratelimit

import (
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// clock is a settable clock, safe for concurrent use.
type clock struct{ ns atomic.Int64 }

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func newClock() *clock                   { return &clock{} }
func (c *clock) now() time.Time          { return epoch.Add(time.Duration(c.ns.Load())) }
func (c *clock) advance(d time.Duration) { c.ns.Add(int64(d)) }

// TestMaxKeysBound sprays four times the default bound of distinct keys
// (IP rotation) at it and checks the number of entries never exceeds it,
// nor collapses far below it (eviction removes an eighth of a shard at a
// time). Past the bound every new key evicts, so three bounds' worth of
// keys go through a shard's eviction dozens of times; a million keys
// (under -race, 16 s of one core) proved nothing more.
func TestMaxKeysBound(t *testing.T) {
	c := newClock()
	l := New(100, window, c.now)
	n := 4 * defaultMaxKeys
	if testing.Short() {
		n = 2 * defaultMaxKeys
	}
	for i := range n {
		if i%64 == 0 {
			c.advance(time.Millisecond) // a live flood, not a frozen instant
		}
		l.Allow("203.0." + strconv.Itoa(i))
		if i%10_000 == 0 {
			if got := l.Len(); got > defaultMaxKeys {
				t.Fatalf("after %d keys: Len = %d > %d", i+1, got, defaultMaxKeys)
			}
		}
	}
	if got := l.Len(); got > defaultMaxKeys || got < defaultMaxKeys*3/4 {
		t.Fatalf("Len = %d, want in [%d, %d]", got, defaultMaxKeys*3/4, defaultMaxKeys)
	}
}

// TestFloodEvictsOneAttemptKeysFirst: a flood of new keys with one attempt
// each does not flush the count of a key that is at its limit.
func TestFloodEvictsOneAttemptKeysFirst(t *testing.T) {
	c := newClock()
	l := New(10, window, c.now, withMaxKeys(1000))
	exhaust(t, l, "victim@example.com", 10)
	for i := range 100_000 {
		l.Allow("spray" + strconv.Itoa(i))
	}
	if got := l.Len(); got > 1000 {
		t.Fatalf("Len = %d > 1000", got)
	}
	if ok, _ := l.Check("victim@example.com"); ok {
		t.Error("the flood evicted the key at its limit")
	}
}

func TestWithMaxKeysSmall(t *testing.T) {
	for _, max := range []int{1, 2, 5, 17, 100} {
		l := New(10, window, newClock().now, withMaxKeys(max))
		for i := range 10_000 {
			l.Allow(strconv.Itoa(i))
			if got := l.Len(); got > max {
				t.Fatalf("withMaxKeys(%d): Len = %d", max, got)
			}
		}
	}
	if l := New(10, window, nil, withMaxKeys(0)); l.maxKeys != defaultMaxKeys {
		t.Errorf("withMaxKeys(0) = %d, want defaultMaxKeys", l.maxKeys)
	}
}

// TestExpiredEntriesPruned: after a flood, entries whose attempts have all
// expired go away without the limiter ever filling up.
func TestExpiredEntriesPruned(t *testing.T) {
	c := newClock()
	l := New(10, window, c.now)
	for i := range 10_000 {
		l.Allow(strconv.Itoa(i))
	}
	if got := l.Len(); got != 10_000 {
		t.Fatalf("Len = %d, want 10000", got)
	}
	c.advance(window)
	for i := range 1000 { // touch every shard
		l.Allow("new" + strconv.Itoa(i))
	}
	if got := l.Len(); got != 1000 {
		t.Errorf("Len after a window = %d, want 1000 (expired entries pruned)", got)
	}
}

// TestConcurrent: under -race, many goroutines hitting one key get exactly
// the limit, and a mix of all operations on many keys stays within bounds.
func TestConcurrent(t *testing.T) {
	c := newClock()
	l := New(100, window, c.now)
	var allowed atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				if ok, _ := l.Allow("hot"); ok {
					allowed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if got := allowed.Load(); got != 100 {
		t.Errorf("allowed %d of 1600 concurrent attempts, want exactly 100", got)
	}

	m := New(5, time.Minute, c.now, withMaxKeys(64))
	for g := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				key := strconv.Itoa((g*7 + i) % 200)
				switch i % 5 {
				case 0:
					m.Check(key)
				case 1:
					m.Add(key)
				case 2:
					m.Reset(key)
				case 3:
					c.advance(time.Second)
				}
				m.Allow(key)
			}
		})
	}
	wg.Go(func() {
		for range 200 {
			if got := m.Len(); got > 64 {
				t.Errorf("Len = %d > 64", got)
				return
			}
		}
	})
	wg.Wait()
}
