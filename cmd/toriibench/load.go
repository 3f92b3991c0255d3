package main

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
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

// runLoad runs a closed loop: clients goroutines each start an operation,
// wait for it to finish and start the next, for warmup and then window.
// Operations completing during the warm-up are not counted; throughput is
// the number of successful operations completed inside the window divided
// by the window, and latencies are those of the same operations. When the
// window ends the context of the operations still in flight is cancelled and
// they are not counted.
func runLoad(ctx context.Context, clients int, warmup, window time.Duration, mk newOp) Stats {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	type record struct {
		lat  []time.Duration
		errs map[string]int64
		nerr int64
	}
	recs := make([]record, clients)
	ops := make([]op, clients)
	for i := range ops {
		ops[i] = mk(i)
	}
	start := time.Now().Add(warmup)
	end := start.Add(window)

	var wg sync.WaitGroup
	for i := range clients {
		wg.Go(func() {
			r := &recs[i]
			r.lat = make([]time.Duration, 0, 4096)
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
					if r.errs == nil {
						r.errs = map[string]int64{}
					}
					r.nerr++
					r.errs[err.Error()]++
					continue
				}
				r.lat = append(r.lat, t1.Sub(t0))
			}
		})
	}
	select {
	case <-time.After(time.Until(end)):
	case <-ctx.Done():
	}
	cancel()
	wg.Wait()

	st := Stats{Clients: clients, Window: window}
	n := 0
	for _, r := range recs {
		n += len(r.lat)
	}
	all := make([]time.Duration, 0, n)
	for _, r := range recs {
		all = append(all, r.lat...)
		st.Errors += r.nerr
		if len(r.errs) > 0 && st.ErrorKinds == nil {
			st.ErrorKinds = map[string]int64{}
		}
		for k, v := range r.errs {
			st.ErrorKinds[k] += v
		}
	}
	slices.Sort(all)
	st.OK = int64(len(all))
	st.PerSec = float64(st.OK) / window.Seconds()
	st.P50 = percentile(all, 0.50)
	st.P90 = percentile(all, 0.90)
	st.P99 = percentile(all, 0.99)
	if len(all) > 0 {
		st.Max = all[len(all)-1]
	}
	return st
}

// percentile returns the nearest-rank p-quantile of sorted.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p+0.999999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
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
