package main

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestHistogramBuckets(t *testing.T) {
	prev := -1
	for v := int64(0); v < 1<<40; v = v*17/16 + 1 {
		i := histIndex(v)
		if i < prev {
			t.Fatalf("histIndex(%d) = %d, below histIndex of a smaller value (%d)", v, i, prev)
		}
		prev = i
		mid := int64(histValue(i))
		if diff := float64(mid-v) / float64(max(v, 1)); diff > 0.008 || diff < -0.008 {
			t.Fatalf("value %d lands in bucket %d with midpoint %d (%.2f %% off)", v, i, mid, 100*diff)
		}
	}
}

func TestHistogramQuantiles(t *testing.T) {
	var h histogram
	for i := 1; i <= 1000; i++ {
		h.record(time.Duration(i) * time.Millisecond)
	}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{0.5, 500 * time.Millisecond}, {0.99, 990 * time.Millisecond}, {1, time.Second}} {
		got := h.quantile(c.p)
		if d := float64(got-c.want) / float64(c.want); d > 0.008 || d < -0.008 {
			t.Errorf("quantile(%v) = %v, want about %v", c.p, got, c.want)
		}
	}
	if got := h.quantile(1); got > time.Second {
		t.Errorf("quantile(1) = %v, above the maximum", got)
	}
	if n := h.count(); n != 1000 {
		t.Errorf("count = %d, want 1000", n)
	}
}

func TestRunLoadCountsErrorsAndWindow(t *testing.T) {
	s := runLoad(context.Background(), 4, 50*time.Millisecond, 200*time.Millisecond, func(client int) op {
		n := 0
		return func(ctx context.Context) error {
			time.Sleep(time.Millisecond)
			n++
			if client == 0 && n%2 == 0 {
				return errors.New("boom")
			}
			return nil
		}
	}, nil)
	st := s.stats()
	if st.OK == 0 || st.Errors == 0 || st.ErrorKinds["boom"] != st.Errors {
		t.Fatalf("stats = %+v, want successes and boom errors", st)
	}
	// 4 clients at ≤ 1 op/ms for 200 ms.
	if st.OK+st.Errors > 4*200 {
		t.Errorf("%d operations counted in a 200 ms window, more than 4 clients can do", st.OK+st.Errors)
	}
	if st.P50 < time.Millisecond {
		t.Errorf("p50 = %v, below the 1 ms each operation sleeps", st.P50)
	}
}

func TestLatencies_QuantilesOfSortedSample(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	s := latencies("x", ds)
	if s.N != 100 || s.P50 != 51*time.Millisecond || s.P90 != 91*time.Millisecond || s.P99 != 100*time.Millisecond || s.Max != 100*time.Millisecond {
		t.Fatalf("latencies = %+v", s)
	}
	if e := latencies("empty", nil); e.N != 0 || e.P99 != 0 || e.Max != 0 {
		t.Fatalf("empty = %+v", e)
	}
}
