package ratelimit

import (
	"math/rand/v2"
	"strconv"
	"testing"
	"time"
)

const window = 15 * time.Minute // 10 per 15 min: one attempt back every 90 s

func TestLimitReached(t *testing.T) {
	c := newClock()
	l := New(10, window, c.now)
	for i := range 10 {
		if ok, ra := l.Allow("a"); !ok || ra != 0 {
			t.Fatalf("attempt %d = %v, %v; want allowed", i+1, ok, ra)
		}
	}
	for range 3 { // refused attempts are not counted: the wait does not grow
		if ok, ra := l.Allow("a"); ok || ra != 90*time.Second {
			t.Fatalf("11th attempt = %v, %v; want refused, 1m30s", ok, ra)
		}
	}
}

func TestRetryAfterRoundedUp(t *testing.T) {
	c := newClock()
	l := New(10, window, c.now)
	exhaust(t, l, "a", 10)
	c.advance(89*time.Second + 500*time.Millisecond)
	if ok, ra := l.Allow("a"); ok || ra != time.Second {
		t.Fatalf("0.5 s before = %v, %v; want refused, 1s", ok, ra)
	}
	c.advance(499 * time.Millisecond)
	if ok, ra := l.Allow("a"); ok || ra != time.Second {
		t.Fatalf("1 ms before = %v, %v; want refused, 1s", ok, ra)
	}
	c.advance(time.Millisecond)
	if ok, _ := l.Allow("a"); !ok {
		t.Fatal("refused exactly when retryAfter said it would be allowed")
	}
}

func TestAllowedAgainAfterWindow(t *testing.T) {
	c := newClock()
	l := New(10, window, c.now)
	exhaust(t, l, "a", 10)
	c.advance(window)
	exhaust(t, l, "a", 10) // a full burst again, and no more
}

// TestSlidingAtWindowEdges: a burst just before a fixed-window boundary and
// another just after it is refused, unlike a fixed-window counter, and
// attempts come back gradually, one per window/limit.
func TestSlidingAtWindowEdges(t *testing.T) {
	c := newClock()
	l := New(10, window, c.now)
	c.advance(window - time.Second)
	exhaust(t, l, "a", 10)
	c.advance(2 * time.Second) // across the boundary a fixed window would reset at
	if ok, ra := l.Allow("a"); ok || ra != 88*time.Second {
		t.Fatalf("just after the edge = %v, %v; want refused, 1m28s", ok, ra)
	}
	c.advance(88 * time.Second)
	exhaust(t, l, "a", 1) // one attempt earned back
	c.advance(5 * 90 * time.Second)
	exhaust(t, l, "a", 5) // five more earned back after five intervals
	// A steady one attempt per interval is never refused.
	for range 100 {
		c.advance(90 * time.Second)
		if ok, ra := l.Allow("a"); !ok {
			t.Fatalf("steady rate refused, retryAfter %v", ra)
		}
	}
	// Half the window of silence gives back half the burst.
	c.advance(window / 2)
	exhaust(t, l, "a", 5)
}

// TestRetryAfterIsCorrect: for random traffic, waiting the retryAfter of a
// refusal always gets the next attempt allowed, and retryAfter is positive.
func TestRetryAfterIsCorrect(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		limit  int
		window time.Duration
	}{{10, 15 * time.Minute}, {100, 15 * time.Minute}, {30, time.Hour}, {20, time.Minute}, {7, 10 * time.Second}, {3, time.Second}} {
		c := newClock()
		l := New(tc.limit, tc.window, c.now)
		refusals := 0
		for range 5000 {
			c.advance(time.Duration(r.Int64N(int64(3 * tc.window / time.Duration(2*tc.limit)))))
			ok, ra := l.Allow("k")
			if ok {
				continue
			}
			refusals++
			if ra <= 0 || ra%time.Second != 0 {
				t.Fatalf("%d/%v: retryAfter = %v, want a positive whole number of seconds", tc.limit, tc.window, ra)
			}
			c.advance(ra)
			if ok, ra2 := l.Allow("k"); !ok {
				t.Fatalf("%d/%v: refused again (%v) after waiting retryAfter %v", tc.limit, tc.window, ra2, ra)
			}
		}
		if refusals == 0 {
			t.Errorf("%d/%v: traffic never hit the limit; the test proves nothing", tc.limit, tc.window)
		}
	}
}

func TestCheckDoesNotCount(t *testing.T) {
	c := newClock()
	l := New(10, window, c.now)
	for range 100 {
		if ok, ra := l.Check("a"); !ok || ra != 0 {
			t.Fatalf("Check = %v, %v; want true, 0", ok, ra)
		}
	}
	if n := l.Len(); n != 0 {
		t.Errorf("Len after Checks = %d, want 0: Check must not store keys", n)
	}
	exhaust(t, l, "a", 10)
	if ok, ra := l.Check("a"); ok || ra != 90*time.Second {
		t.Errorf("Check at the limit = %v, %v; want false, 1m30s", ok, ra)
	}
}

// TestAddCountsFailures is the sign-in pattern: Check before, Add after a
// failure; successes cost nothing.
func TestAddCountsFailures(t *testing.T) {
	c := newClock()
	l := New(3, window, c.now) // one attempt back every 5 min
	for range 3 {
		if ok, _ := l.Check("acct"); !ok {
			t.Fatal("refused before the limit")
		}
		l.Add("acct")
	}
	if ok, ra := l.Check("acct"); ok || ra != 5*time.Minute {
		t.Fatalf("Check after 3 failures = %v, %v; want false, 5m", ok, ra)
	}
	// Failures that raced past Check do not extend the lock-out.
	for range 10 {
		l.Add("acct")
	}
	if ok, ra := l.Check("acct"); ok || ra != 5*time.Minute {
		t.Errorf("Check after extra Adds = %v, %v; want false, 5m", ok, ra)
	}
}

func TestReset(t *testing.T) {
	c := newClock()
	l := New(10, window, c.now)
	exhaust(t, l, "a", 10)
	exhaust(t, l, "b", 10)
	l.Reset("a")
	exhaust(t, l, "a", 10)
	if ok, _ := l.Check("b"); ok {
		t.Error("Reset(a) reset b")
	}
	l.Reset("never seen") // no-op
}

func TestKeysIndependent(t *testing.T) {
	c := newClock()
	l := New(2, time.Minute, c.now)
	for i := range 1000 {
		exhaust(t, l, "key"+strconv.Itoa(i), 2)
	}
}

func TestDisabled(t *testing.T) {
	for _, limit := range []int{0, -1} {
		l := New(limit, 0, nil)
		for range 1000 {
			l.Add("a")
			if ok, ra := l.Allow("a"); !ok || ra != 0 {
				t.Fatalf("limit %d: Allow = %v, %v; want always allowed", limit, ok, ra)
			}
		}
		if ok, _ := l.Check("a"); !ok {
			t.Errorf("limit %d: Check refused", limit)
		}
		l.Reset("a")
		if n := l.Len(); n != 0 {
			t.Errorf("limit %d: Len = %d, want 0", limit, n)
		}
	}
}

func TestNewPanicsOnBadWindow(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("New(10, 0) did not panic")
		}
	}()
	New(10, 0, nil)
}

func TestRealClock(t *testing.T) {
	l := New(1, time.Hour, nil)
	exhaust(t, l, "a", 1)
}

// exhaust asserts that key gets exactly n more attempts, then a refusal.
func exhaust(t *testing.T, l *Limiter, key string, n int) {
	t.Helper()
	for i := range n {
		if ok, ra := l.Allow(key); !ok {
			t.Fatalf("%s: attempt %d of %d refused, retryAfter %v", key, i+1, n, ra)
		}
	}
	if ok, ra := l.Allow(key); ok || ra <= 0 {
		t.Fatalf("%s: attempt %d = %v, %v; want refused with a positive retryAfter", key, n+1, ok, ra)
	}
}
