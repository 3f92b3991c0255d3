package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Scenario fanout: chat delivery across two instances on one PostgreSQL
// database. One torii (A) takes the messages; streams are open on A and
// on a second torii (B) started on the same database. Each message is
// posted once the previous one reached every stream, so what is measured
// is the latency of one delivery, not a queue: from the start of the POST
// on A to the event on each stream. Streams on A are the baseline (the
// same process, no NOTIFY in the path); streams on B show what the trip
// through PostgreSQL's LISTEN/NOTIFY and B's re-read adds.

// FanoutResult is what scenario fanout measured.
type FanoutResult struct {
	Messages           int          `json:"messages"`
	StreamsPerInstance int          `json:"streamsPerInstance"`
	Local              LatencyStats `json:"local"`
	Remote             LatencyStats `json:"remote"`
	CPU                CPU          `json:"cpu"`
}

// LatencyStats summarise one side's delivery latencies.
type LatencyStats struct {
	Name string        `json:"name"`
	N    int           `json:"n"`
	P50  time.Duration `json:"p50Ns"`
	P90  time.Duration `json:"p90Ns"`
	P99  time.Duration `json:"p99Ns"`
	Max  time.Duration `json:"maxNs"`
}

// fanoutWarmup messages are sent before the measured ones.
const fanoutWarmup = 20

type receipt struct {
	remote bool
	seq    int
	at     time.Time
}

func (b *bench) scenarioFanout(ctx context.Context, dsn string, env map[string]string, logs io.Writer) (*FanoutResult, error) {
	second, err := startTorii(dsn, env, logs)
	if err != nil {
		return nil, fmt.Errorf("second instance: %w", err)
	}
	defer second.stop()
	cookie, err := b.register(ctx, "bench-fanout@example.com", "Bench Fanout")
	if err != nil {
		return nil, err
	}
	room, err := b.generalRoom(ctx, cookie)
	if err != nil {
		return nil, err
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	receipts := make(chan receipt, 1024)
	n := b.opts.fanoutStreams
	for i := range 2 * n {
		base, remote := b.torii.URL, i >= n
		if remote {
			base = second.URL
		}
		if err := b.openFanoutStream(sctx, base, cookie, room, remote, receipts); err != nil {
			return nil, err
		}
	}
	post := func(seq int) (time.Time, error) {
		body, _ := json.Marshal(map[string]string{"body": "fanout-" + strconv.Itoa(seq), "clientId": "fanout-" + strconv.Itoa(seq)})
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, fmt.Sprintf("%s/api/v1/rooms/%d/messages", b.torii.URL, room), bytes.NewReader(body))
		if err != nil {
			return time.Time{}, err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Cookie", cookie)
		start := time.Now()
		_, out, err := b.do(req, true)
		if err != nil {
			return start, fmt.Errorf("post message %d: %w %s", seq, err, out)
		}
		return start, nil
	}
	var local, remote []time.Duration
	total := fanoutWarmup + b.opts.fanoutMessages
	b.progress("  %d messages to %d streams on each instance …", total, n)
	var mark cpuMark
	for seq := range total {
		if seq == fanoutWarmup {
			mark = markCPU()
		}
		start, err := post(seq)
		if err != nil {
			return nil, err
		}
		timeout := time.After(10 * time.Second)
		for got := 0; got < 2*n; {
			select {
			case r := <-receipts:
				if r.seq != seq {
					return nil, fmt.Errorf("stream received message %d while waiting for %d", r.seq, seq)
				}
				got++
				if seq < fanoutWarmup {
					continue
				}
				if r.remote {
					remote = append(remote, r.at.Sub(start))
				} else {
					local = append(local, r.at.Sub(start))
				}
			case <-timeout:
				return nil, fmt.Errorf("message %d reached %d of %d streams within 10 s", seq, got, 2*n)
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
	}
	b.progress(" done\n")
	return &FanoutResult{
		Messages: b.opts.fanoutMessages, StreamsPerInstance: n,
		Local:  latencies("stream on A (where the message is posted)", local),
		Remote: latencies("stream on B (LISTEN/NOTIFY, then B reads the store)", remote),
		CPU:    mark.since(),
	}, nil
}

func latencies(name string, ds []time.Duration) LatencyStats {
	slices.Sort(ds)
	q := func(p float64) time.Duration {
		if len(ds) == 0 {
			return 0
		}
		return ds[min(len(ds)-1, int(p*float64(len(ds))))]
	}
	s := LatencyStats{Name: name, N: len(ds), P50: q(0.50), P90: q(0.90), P99: q(0.99)}
	if len(ds) > 0 {
		s.Max = ds[len(ds)-1]
	}
	return s
}

func (b *bench) generalRoom(ctx context.Context, cookie string) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.torii.URL+"/api/v1/rooms", nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Cookie", cookie)
	_, body, err := b.do(req, true)
	if err != nil {
		return 0, fmt.Errorf("list rooms: %w %s", err, body)
	}
	var out struct {
		Rooms []struct {
			ID   int64  `json:"id"`
			Name string `json:"name"`
		} `json:"rooms"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return 0, err
	}
	for _, r := range out.Rooms {
		if r.Name == "general" {
			return r.ID, nil
		}
	}
	return 0, errors.New("no general room")
}

// openFanoutStream opens a room's event stream and reports each message
// event's arrival time, with the sequence number in its body.
func (b *bench) openFanoutStream(ctx context.Context, base, cookie string, room int64, remote bool, out chan<- receipt) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/api/v1/rooms/%d/events", base, room), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Cookie", cookie)
	resp, err := (&http.Client{Transport: b.tr}).Do(req)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return fmt.Errorf("open stream: %s", resp.Status)
	}
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			data, ok := strings.CutPrefix(sc.Text(), "data: ")
			if !ok {
				continue
			}
			at := time.Now()
			var m struct {
				Body string `json:"body"`
			}
			if json.Unmarshal([]byte(data), &m) != nil {
				continue
			}
			seq, err := strconv.Atoi(strings.TrimPrefix(m.Body, "fanout-"))
			if err != nil {
				continue
			}
			select {
			case out <- receipt{remote: remote, seq: seq, at: at}:
			case <-ctx.Done():
				return
			}
		}
	}()
	return nil
}

func printFanout(w io.Writer, f *FanoutResult) {
	fmt.Fprintf(w, "\nchat fan-out across two instances on one PostgreSQL database: %d messages posted on A one at a time,\n"+
		"each to %d streams on A and %d on B; latency from the start of the POST to the event on a stream\n", f.Messages, f.StreamsPerInstance, f.StreamsPerInstance)
	fmt.Fprintf(w, "  %-55s %8s %8s %8s %8s %8s\n", "", "events", "p50", "p90", "p99", "max")
	for _, s := range []LatencyStats{f.Local, f.Remote} {
		fmt.Fprintf(w, "  %-55s %8d %8s %8s %8s %8s\n", s.Name, s.N, fmtDur(s.P50), fmtDur(s.P90), fmtDur(s.P99), fmtDur(s.Max))
	}
	fmt.Fprintf(w, "  CPU self %s, others %s (others include PostgreSQL)\n", fmtPct(f.CPU.Self), fmtPct(f.CPU.Others))
}
