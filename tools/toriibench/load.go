package main

import (
	"context"
	"fmt"
	"maps"
	"math"
	"math/bits"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// op performs one request of a client and reports its failure. It is
// called by one goroutine at a time per client index.
type op func(ctx context.Context) error

// newOp builds the op of one client (so a client can keep its own request
// and buffers between calls).
type newOp func(client int) op

// statusError is a response whose status is not 2xx.
type statusError struct{ code int }

func (e statusError) Error() string { return fmt.Sprintf("HTTP %d", e.code) }

// Stats are the figures of one closed-loop run.
type Stats struct {
	Clients int           `json:"clients"`
	Window  time.Duration `json:"windowNs"`
	// OK counts successful operations completed inside the window.
	OK int64 `json:"ok"`
	// Errors counts failed operations completed inside the window, by
	// message.
	Errors     int64            `json:"errors"`
	ErrorKinds map[string]int64 `json:"errorKinds,omitempty"`
	PerSec     float64          `json:"perSec"`
	P50        time.Duration    `json:"p50Ns"`
	P90        time.Duration    `json:"p90Ns"`
	P99        time.Duration    `json:"p99Ns"`
	Max        time.Duration    `json:"maxNs"`
}

// histogram counts durations in log-linear buckets, HDR-style: exact below
// 128 ns, then 64 buckets per power of two, so a bucket's midpoint is within
// 0.8 % of any duration in it. It is safe for concurrent use and its size is
// fixed, so recording adds nothing to the heap the server's GC sees.
type histogram struct {
	counts [histBuckets]atomic.Int64
	max    atomic.Int64
}

const (
	histSubBits = 6
	histLinear  = 1 << (histSubBits + 1) // 128: values below are their own bucket
	histBuckets = histLinear + 40<<histSubBits
)

func histIndex(v int64) int {
	if v < histLinear {
		return int(max(v, 0))
	}
	e := bits.Len64(uint64(v)) - (histSubBits + 1) // ≥ 1
	m := v >> e                                    // in [64, 128)
	return min(histLinear+(e-1)<<histSubBits+int(m-1<<histSubBits), histBuckets-1)
}

// histValue is the midpoint of bucket i.
func histValue(i int) time.Duration {
	if i < histLinear {
		return time.Duration(i)
	}
	e := (i-histLinear)>>histSubBits + 1
	m := int64((i-histLinear)&(1<<histSubBits-1) + 1<<histSubBits)
	return time.Duration(m<<e + (int64(1)<<e)/2)
}

func (h *histogram) record(d time.Duration) {
	v := int64(d)
	h.counts[histIndex(v)].Add(1)
	for {
		m := h.max.Load()
		if v <= m || h.max.CompareAndSwap(m, v) {
			return
		}
	}
}

func (h *histogram) add(o *histogram) {
	for i := range o.counts {
		if n := o.counts[i].Load(); n != 0 {
			h.counts[i].Add(n)
		}
	}
	if m := o.max.Load(); m > h.max.Load() {
		h.max.Store(m)
	}
}

func (h *histogram) count() int64 {
	var n int64
	for i := range h.counts {
		n += h.counts[i].Load()
	}
	return n
}

// quantile returns the nearest-rank p-quantile (the midpoint of its
// bucket, never above the maximum).
func (h *histogram) quantile(p float64) time.Duration {
	n := h.count()
	if n == 0 {
		return 0
	}
	rank := max(int64(math.Ceil(p*float64(n))), 1)
	var seen int64
	for i := range h.counts {
		seen += h.counts[i].Load()
		if seen >= rank {
			return min(histValue(i), time.Duration(h.max.Load()))
		}
	}
	return time.Duration(h.max.Load())
}

// sample is the raw outcome of one or more closed-loop runs.
type sample struct {
	clients int
	window  time.Duration
	hist    histogram // latencies of successful operations
	nerr    int64
	errs    map[string]int64
}

// add merges o into s: the windows add up.
func (s *sample) add(o *sample) {
	s.clients = o.clients
	s.window += o.window
	s.hist.add(&o.hist)
	s.addErrors(o.nerr, o.errs)
}

func (s *sample) addErrors(n int64, kinds map[string]int64) {
	s.nerr += n
	for k, v := range kinds {
		if s.errs == nil {
			s.errs = map[string]int64{}
		}
		s.errs[k] += v
	}
}

// perSec is the throughput of successful operations.
func (s *sample) perSec() float64 {
	if s.window <= 0 {
		return 0
	}
	return float64(s.hist.count()) / s.window.Seconds()
}

// stats summarises the sample.
func (s *sample) stats() Stats {
	return Stats{
		Clients: s.clients, Window: s.window, OK: s.hist.count(), Errors: s.nerr, ErrorKinds: s.errs,
		PerSec: s.perSec(),
		P50:    s.hist.quantile(0.50),
		P90:    s.hist.quantile(0.90),
		P99:    s.hist.quantile(0.99),
		Max:    time.Duration(s.hist.max.Load()),
	}
}

// runLoad runs a closed loop: clients goroutines each start an operation,
// wait for it to finish and start the next, for warmup and then window.
// Operations completing during the warm-up are not counted; throughput is
// the number of successful operations completed inside the window divided
// by the window, and latencies are those of the same operations. When the
// window ends the context of the operations still in flight is cancelled and
// they are not counted.
//
// atEnd, if not nil, runs when the window ends, before the operations in
// flight are cancelled (to take a heap profile under load).
func runLoad(ctx context.Context, clients int, warmup, window time.Duration, mk newOp, atEnd func()) *sample {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	out := &sample{clients: clients, window: window}
	type failures struct {
		n     int64
		kinds map[string]int64
	}
	fails := make([]failures, clients)
	ops := make([]op, clients)
	for i := range ops {
		ops[i] = mk(i)
	}
	start := time.Now().Add(warmup)
	end := start.Add(window)

	var wg sync.WaitGroup
	for i := range clients {
		wg.Go(func() {
			f := &fails[i]
			do := ops[i]
			for ctx.Err() == nil {
				t0 := time.Now()
				err := do(ctx)
				t1 := time.Now()
				if t1.After(end) || ctx.Err() != nil {
					return
				}
				if t1.Before(start) {
					continue
				}
				if err != nil {
					if f.kinds == nil {
						f.kinds = map[string]int64{}
					}
					f.n++
					f.kinds[err.Error()]++
					continue
				}
				out.hist.record(t1.Sub(t0))
			}
		})
	}
	select {
	case <-time.After(time.Until(end)):
		if atEnd != nil {
			atEnd()
		}
	case <-ctx.Done():
	}
	cancel()
	wg.Wait()
	for _, f := range fails {
		out.addErrors(f.n, f.kinds)
	}
	return out
}

// errorSummary lists the error kinds, most frequent first.
func errorSummary(kinds map[string]int64) string {
	keys := slices.SortedFunc(maps.Keys(kinds), func(a, b string) int {
		if kinds[a] != kinds[b] {
			if kinds[a] > kinds[b] {
				return -1
			}
			return 1
		}
		if a < b {
			return -1
		}
		return 1
	})
	s := ""
	for i, k := range keys {
		if i == 5 {
			s += fmt.Sprintf("; … %d more kinds", len(keys)-5)
			break
		}
		if i > 0 {
			s += "; "
		}
		s += fmt.Sprintf("%d× %s", kinds[k], k)
	}
	return s
}
