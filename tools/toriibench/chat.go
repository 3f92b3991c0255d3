package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Targets of issue #5 (real-time chat).
const (
	chatLatencyTarget    = 100 * time.Millisecond // p99 POST → receipt, 1,000 subscribers
	chatThroughputTarget = 5000.0                 // messages persisted per second, 100 senders
	chatMemoryTarget     = 32 << 10               // server RSS per idle open stream, 10,000 streams
)

// ChatResult is the outcome of scenario chat.
type ChatResult struct {
	Users      int            `json:"users"`
	Latency    ChatLatency    `json:"latency"`
	Throughput ChatThroughput `json:"throughput"`
	Memory     ChatMemory     `json:"memory"`
}

// ChatLatency is part (a): delivery latency to many subscribers.
type ChatLatency struct {
	Subscribers int     `json:"subscribers"`
	Rate        float64 `json:"messagesPerSec"` // offered, open loop
	// Messages were answered 201 in the windows; Deliveries are the
	// (message, subscriber) pairs whose latency was recorded.
	Messages   int64 `json:"messages"`
	Deliveries int64 `json:"deliveries"`
	// Missing counts (message, subscriber) pairs never read; Dups ids read
	// twice or out of order; Errors failed POSTs. All must be 0.
	Missing    int64            `json:"missing"`
	Dups       int64            `json:"dups"`
	Errors     int64            `json:"errors"`
	ErrorKinds map[string]int64 `json:"errorKinds,omitempty"`
	// Pooled over every round.
	P50 time.Duration `json:"p50Ns"`
	P90 time.Duration `json:"p90Ns"`
	P99 time.Duration `json:"p99Ns"`
	Max time.Duration `json:"maxNs"`
	// Rounds, and the medians of their p50 and p99 (the verdict's figure).
	Rounds    []ChatLatencyRound `json:"rounds"`
	MedianP50 time.Duration      `json:"medianP50Ns"`
	MedianP99 time.Duration      `json:"medianP99Ns"`
	CPU       CPU                `json:"cpu"`
	Pass      bool               `json:"pass"`
	// ByInstance splits the pooled figures by the subscriber's server
	// when there are two (scenario team on PostgreSQL).
	ByInstance []LatencyStats `json:"byInstance,omitempty"`
}

// ChatLatencyRound is one window of part (a).
type ChatLatencyRound struct {
	P50 time.Duration `json:"p50Ns"`
	P99 time.Duration `json:"p99Ns"`
	CPU CPU           `json:"cpu"`
}

// ChatThroughput is part (b): messages per second with many senders.
type ChatThroughput struct {
	Senders     int `json:"senders"`
	Subscribers int `json:"subscribers"`
	// Persisted: POSTs answered 201 inside the windows. Delivered: those
	// of them that at least one subscriber stream read (by the end of the
	// drain after each window). Missing: (persisted message, subscriber)
	// pairs not read.
	Persisted  int64            `json:"persisted"`
	Delivered  int64            `json:"delivered"`
	Missing    int64            `json:"missing"`
	Dups       int64            `json:"dups"`
	Errors     int64            `json:"errors"`
	ErrorKinds map[string]int64 `json:"errorKinds,omitempty"`
	Window     time.Duration    `json:"windowNs"`
	// Pooled rates, and the medians of the rounds (the verdict's figure).
	PersistedPerSec       float64         `json:"persistedPerSec"`
	DeliveredPerSec       float64         `json:"deliveredPerSec"`
	MedianPersistedPerSec float64         `json:"medianPersistedPerSec"`
	MedianDeliveredPerSec float64         `json:"medianDeliveredPerSec"`
	Rounds                []ChatRateRound `json:"rounds"`
	PostP50               time.Duration   `json:"postP50Ns"`
	PostP99               time.Duration   `json:"postP99Ns"`
	DeliveryP50           time.Duration   `json:"deliveryP50Ns"`
	DeliveryP99           time.Duration   `json:"deliveryP99Ns"`
	CPU                   CPU             `json:"cpu"`
	Pass                  bool            `json:"pass"`
}

// ChatRateRound is one window of part (b).
type ChatRateRound struct {
	PersistedPerSec float64 `json:"persistedPerSec"`
	DeliveredPerSec float64 `json:"deliveredPerSec"`
	CPU             CPU     `json:"cpu"`
}

// ChatMemory is part (c): the server's memory per idle open stream.
type ChatMemory struct {
	Streams  int           `json:"streams"`
	OpenTime time.Duration `json:"openNs"` // to open them all
	Idle     time.Duration `json:"idleNs"` // from the last one open to the measurement
	// RSS of the server process: before (BaseRSS), 3 s after the streams
	// were open (EarlyRSS), the highest sample while they idled (PeakRSS)
	// and at the end of the idle time (RSS, the verdict's figure).
	BaseRSS   int64   `json:"baseRssBytes"`
	EarlyRSS  int64   `json:"earlyRssBytes"`
	PeakRSS   int64   `json:"peakRssBytes"`
	RSS       int64   `json:"rssBytes"`
	PerStream float64 `json:"perStreamBytes"` // (RSS − BaseRSS) / Streams
	// The Go runtime's view at the end of the idle time: heap objects
	// (live and not yet collected garbage) and goroutine stacks, whole
	// process; then, after a forced collection, per stream above the
	// baseline: live heap, stacks and goroutines.
	Heap              uint64  `json:"heapObjectsBytes"`
	Stacks            uint64  `json:"stacksBytes"`
	LiveHeapPerStream float64 `json:"liveHeapPerStreamBytes"`
	StacksPerStream   float64 `json:"stacksPerStreamBytes"`
	Goroutines        int64   `json:"goroutines"`
	Errors            int64   `json:"errors"`
	FirstErr          string  `json:"firstError,omitempty"`
	Pass              bool    `json:"pass"`
}

// chatBench runs scenario chat against a torii in a child process.
type chatBench struct {
	o       options
	srv     *childServer
	more    []*childServer // other servers whose CPU counts as the bench's (scenario team)
	c       *chatClient
	cookies []string
}

// scenarioChat measures, in this order: (c) the server's RSS per idle
// stream with -chat-streams open, on a server process that has only
// served the set-up; (a) delivery latency with -chat-subscribers streams
// and -chat-rate messages per second; (b) messages persisted and
// delivered per second with -chat-senders closed-loop senders and
// -chat-watchers streams.
func scenarioChat(ctx context.Context, o options, dsn string, env map[string]string) (*ChatResult, error) {
	progress := func(format string, args ...any) { fmt.Fprintf(o.stderr, format, args...) }
	if err := raiseNoFile(); err != nil {
		return nil, fmt.Errorf("raise the open-file limit: %w", err)
	}
	if need := uint64(o.chatStreams + 200); noFileLimit() < need {
		return nil, fmt.Errorf("-chat-streams %d needs %d open files per process; the limit is %d (ulimit -Hn)", o.chatStreams, need, noFileLimit())
	}
	// Set-up on a first server process: registering users runs argon2id,
	// whose 19 MiB blocks would stay in the heap of the process measured.
	progress("  set-up: %d users (production argon2id) and a public room …", o.chatUsers)
	logFile := ""
	if o.logFile != "" {
		logFile = o.logFile + ".server"
	}
	setup, err := startChild(dsn, env, logFile, false)
	if err != nil {
		return nil, err
	}
	b := &bench{opts: o, tr: newTransport(max(o.chatSenders, 64)), torii: &toriiServer{URL: setup.URL}}
	cookies, err := b.registerCookies(ctx, o.chatUsers)
	var room int64
	if err == nil {
		room, err = createRoom(ctx, b, cookies[0])
	}
	b.tr.CloseIdleConnections()
	if serr := setup.stop(); err == nil && serr != nil {
		err = serr
	}
	if err != nil {
		return nil, err
	}
	progress(" done\n")

	// The measured server serves pprof on loopback for the runtime's
	// memory figures of (c) and the -server-* profiles.
	srv, err := startChild(dsn, env, logFile, true)
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	if o.serverPprof {
		progress("  server process %d, pprof at %s\n", srv.pid, srv.PprofURL)
	}
	cb := &chatBench{o: o, srv: srv, cookies: cookies, c: &chatClient{
		url: srv.URL, room: room, base: time.Now(), tr: newTransport(max(o.chatSenders, 64)), streamTr: streamTransport(),
	}}
	defer cb.c.tr.CloseIdleConnections()
	r := &ChatResult{Users: len(cookies)}
	if r.Memory, err = cb.memory(ctx); err != nil {
		return nil, err
	}
	if r.Latency, err = cb.latency(ctx); err != nil {
		return nil, err
	}
	if r.Throughput, err = cb.throughput(ctx); err != nil {
		return nil, err
	}
	return r, srv.alive(ctx)
}

// registerCookies registers n users and returns their session cookies.
func (b *bench) registerCookies(ctx context.Context, n int) ([]string, error) {
	cookies := make([]string, n)
	errs := make([]error, n)
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			cookies[i], errs[i] = b.register(ctx, fmt.Sprintf("bench-chat-%04d@example.com", i), fmt.Sprintf("Bench User %d", i))
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return cookies, nil
}

func createRoom(ctx context.Context, b *bench, cookie string) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.torii.URL+"/api/v1/rooms",
		bytes.NewReader([]byte(`{"name":"bench","visibility":"public"}`)))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Cookie", cookie)
	_, body, err := b.do(req, true)
	if err != nil {
		return 0, fmt.Errorf("create the room: %w %s", err, body)
	}
	var out struct {
		Room struct{ ID int64 } `json:"room"`
	}
	if err := json.Unmarshal(body, &out); err != nil || out.Room.ID == 0 {
		return 0, fmt.Errorf("create the room: %v %s", err, body)
	}
	return out.Room.ID, nil
}

// latestID returns the room's largest message id (0 if it has none).
func (cb *chatBench) latestID(ctx context.Context) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet,
		cb.c.url+"/api/v1/rooms/"+strconv.FormatInt(cb.c.room, 10)+"/messages?limit=1", nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Cookie", cb.cookies[0])
	resp, err := cb.c.tr.RoundTrip(req)
	if err != nil {
		return 0, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("latest message: %v HTTP %d %s", err, resp.StatusCode, body)
	}
	if !bytes.Contains(body, []byte(`"id":`)) {
		return 0, nil
	}
	return messageID(body)
}

// openStreams opens n event streams, conc at a time, cookies round robin.
func (cb *chatBench) openStreams(ctx context.Context, n, conc int) ([]*subscriber, error) {
	subs := make([]*subscriber, n)
	errs := make([]error, n)
	sem := make(chan struct{}, conc)
	var wg sync.WaitGroup
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			subs[i], errs[i] = cb.c.subscribe(ctx, cb.cookies[i%len(cb.cookies)])
		})
	}
	wg.Wait()
	var first error
	for _, err := range errs {
		if err != nil && first == nil {
			first = err
		}
	}
	if first != nil {
		closeStreams(subs)
		return nil, fmt.Errorf("open %d event streams: %w", n, first)
	}
	return subs, nil
}

func closeStreams(subs []*subscriber) {
	var wg sync.WaitGroup
	for _, s := range subs {
		if s != nil {
			wg.Go(s.close)
		}
	}
	wg.Wait()
}

// drain waits until every subscriber read up to id upTo (or 10 s passed,
// or one stream ended) and returns how many streams had ended.
func drain(ctx context.Context, subs []*subscriber, upTo int64) int {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		behind, ended := 0, 0
		for _, s := range subs {
			select {
			case <-s.done:
				ended++
				continue
			default:
			}
			if s.last.Load() < upTo {
				behind++
			}
		}
		if behind == 0 {
			return ended
		}
		time.Sleep(10 * time.Millisecond)
	}
	ended := 0
	for _, s := range subs {
		select {
		case <-s.done:
			ended++
		default:
		}
	}
	return ended
}

// memory is part (c): RSS of the server process before and with
// -chat-streams idle streams open. The RSS is sampled every 100 ms while
// they idle; the verdict uses the last sample, after -chat-idle. The Go
// runtime's own figures (objects and stacks after a forced collection,
// through the bench's pprof hook in the server process) say how much of
// it the streams hold live, and how much is garbage not yet collected.
func (cb *chatBench) memory(ctx context.Context) (ChatMemory, error) {
	o := cb.o
	m := ChatMemory{Streams: o.chatStreams}
	fmt.Fprintf(o.stderr, "  (c) memory: warm-up with 100 streams, then %d streams idle for %s …", o.chatStreams, o.chatIdle)
	// Warm-up: the code paths of a stream run once, so that the first
	// use of the program's pages and pools does not count as stream memory.
	warm, err := cb.openStreams(ctx, 100, 50)
	if err != nil {
		return m, err
	}
	closeStreams(warm)
	time.Sleep(2 * time.Second)
	base, _ := cb.srv.runtimeMemory(true)
	m.BaseRSS = cb.srv.rss()
	t0 := time.Now()
	subs, err := cb.openStreams(ctx, o.chatStreams, 100)
	if err != nil {
		m.Errors, m.FirstErr = 1, err.Error()
		fmt.Fprintf(o.stderr, " %v\n", err)
		return m, nil
	}
	m.OpenTime = time.Since(t0)
	// Idle: no message is posted, for longer than the 15 s heartbeat, so
	// that every stream has sent a heartbeat and re-checked its access
	// (what an idle stream does).
	t1 := time.Now()
	for time.Since(t1) < o.chatIdle && ctx.Err() == nil {
		time.Sleep(100 * time.Millisecond)
		rss := cb.srv.rss()
		m.PeakRSS = max(m.PeakRSS, rss)
		if m.EarlyRSS == 0 && time.Since(t1) >= 3*time.Second {
			m.EarlyRSS = rss
		}
	}
	m.Idle = time.Since(t1).Round(time.Second)
	m.RSS = cb.srv.rss()
	if c, err := cb.srv.runtimeMemory(false); err == nil {
		m.Heap, m.Stacks = c["/memory/classes/heap/objects:bytes"], c["/memory/classes/heap/stacks:bytes"]
	}
	if o.serverMemProfile != "" {
		if err := cb.srv.saveProfile("heap?gc=1", o.serverMemProfile); err != nil {
			fmt.Fprintf(o.stderr, " -server-memprofile: %v", err)
		}
	}
	if c, err := cb.srv.runtimeMemory(true); err == nil && base != nil {
		n := float64(m.Streams)
		m.LiveHeapPerStream = float64(int64(c["/memory/classes/heap/objects:bytes"])-int64(base["/memory/classes/heap/objects:bytes"])) / n
		m.StacksPerStream = float64(int64(c["/memory/classes/heap/stacks:bytes"])-int64(base["/memory/classes/heap/stacks:bytes"])) / n
		m.Goroutines = int64(c["/sched/goroutines:goroutines"]) - int64(base["/sched/goroutines:goroutines"])
	}
	for _, s := range subs {
		select {
		case <-s.done:
			m.Errors++
			if m.FirstErr == "" {
				m.FirstErr = fmt.Sprintf("a stream ended: %v", s.err)
			}
		default:
		}
	}
	closeStreams(subs)
	m.PerStream = float64(m.RSS-m.BaseRSS) / float64(m.Streams)
	m.Pass = m.Errors == 0 && m.PerStream <= chatMemoryTarget
	fmt.Fprintf(o.stderr, " opened in %s, server RSS %s → %s: %.1f KiB per stream\n", m.OpenTime.Round(time.Millisecond),
		fmtMiB(m.BaseRSS), fmtMiB(m.RSS), m.PerStream/1024)
	return m, ctx.Err()
}

// postResult is what a round of posting returns.
type postResult struct {
	acked []int64 // ids answered 201 (in the window, for closed loops)
	hist  histogram
	nerr  int64
	errs  map[string]int64
}

func (p *postResult) fail(err error) {
	if p.errs == nil {
		p.errs = map[string]int64{}
	}
	p.nerr++
	p.errs[err.Error()]++
}

// latency is part (a): -chat-subscribers streams, one message every
// 1/-chat-rate seconds (open loop, senders round robin), latency from
// sending the POST to a subscriber reading the event, for every
// (message, subscriber) pair.
func (cb *chatBench) latency(ctx context.Context) (ChatLatency, error) {
	o := cb.o
	r := ChatLatency{Subscribers: o.chatSubscribers, Rate: o.chatRate}
	fmt.Fprintf(o.stderr, "  (a) latency: %d subscribers, %.0f messages/s, %d rounds of %s after a %s warm-up\n",
		o.chatSubscribers, o.chatRate, o.rounds, o.duration/time.Duration(o.rounds), o.warmup)
	subs, err := cb.openStreams(ctx, o.chatSubscribers, 64)
	if err != nil {
		return r, err
	}
	defer closeStreams(subs)
	senders := make([]*sender, len(cb.cookies))
	for i := range senders {
		senders[i] = cb.c.newSender(cb.cookies[i], "a"+strconv.Itoa(i))
	}
	return cb.measureLatency(ctx, r, subs, senders)
}

// measureLatency runs part (a)'s rounds with subs open: r.Rate messages
// per second from senders, round robin, every subscriber reading every
// message (scenario team uses it with user streams).
func (cb *chatBench) measureLatency(ctx context.Context, r ChatLatency, subs []*subscriber, senders []*sender) (ChatLatency, error) {
	o := cb.o
	var pooled histogram
	var byInstance [2]histogram
	var p50s, p99s []time.Duration
	var cpuSelf, cpuOth, wallSum float64
	window := o.duration / time.Duration(o.rounds)
	next := 0
	for round := -1; round < o.rounds; round++ {
		w := window
		if round < 0 {
			w = o.warmup // unmeasured
			if w == 0 {
				continue
			}
		}
		start, err := cb.latestID(ctx)
		if err != nil {
			return r, err
		}
		for _, s := range subs {
			s.track(start)
		}
		rec := &recorder{from: cb.c.now(), to: cb.c.now() + int64(w)}
		cb.c.rec.Store(rec)
		mark := markCPUWith(cb.pids()...)
		pr := cb.openLoop(ctx, senders, &next, r.Rate, w)
		cpu, wall := mark.since(), time.Since(mark.wall)
		upTo := slices.Max(append(pr.acked, start))
		ended := drain(ctx, subs, upTo)
		cb.c.rec.Store(nil)
		if ended > 0 {
			return r, fmt.Errorf("%d of %d event streams ended during the latency phase", ended, len(subs))
		}
		if round < 0 {
			continue
		}
		r.Messages += int64(len(pr.acked))
		for _, s := range subs {
			r.Missing += s.missing(pr.acked)
		}
		r.Errors += pr.nerr
		r.ErrorKinds = mergeKinds(r.ErrorKinds, pr.errs)
		pooled.add(&rec.hist)
		byInstance[0].add(&rec.byInstance[0])
		byInstance[1].add(&rec.byInstance[1])
		rr := ChatLatencyRound{P50: rec.hist.quantile(0.5), P99: rec.hist.quantile(0.99), CPU: cpu}
		r.Rounds = append(r.Rounds, rr)
		p50s, p99s = append(p50s, rr.P50), append(p99s, rr.P99)
		cpuSelf += cpu.Self * wall.Seconds()
		cpuOth += cpu.Others * wall.Seconds()
		wallSum += wall.Seconds()
		fmt.Fprintf(o.stderr, "    round %d/%d: %d messages, p50 %s, p99 %s (CPU: bench %.0f %%, others %.0f %%)\n", round+1, o.rounds,
			len(pr.acked), fmtDur(rr.P50), fmtDur(rr.P99), 100*cpu.Self, 100*cpu.Others)
	}
	for _, s := range subs {
		r.Dups += s.dups.Load()
	}
	r.Deliveries = pooled.count()
	r.P50, r.P90, r.P99, r.Max = pooled.quantile(0.5), pooled.quantile(0.9), pooled.quantile(0.99), time.Duration(pooled.max.Load())
	r.MedianP50, r.MedianP99 = median(p50s), median(p99s)
	if byInstance[1].count() > 0 {
		for i, name := range []string{"streams on A (where the messages are posted)", "streams on B (LISTEN/NOTIFY)"} {
			h := &byInstance[i]
			r.ByInstance = append(r.ByInstance, LatencyStats{Name: name, N: int(h.count()), P50: h.quantile(0.5),
				P90: h.quantile(0.9), P99: h.quantile(0.99), Max: time.Duration(h.max.Load())})
		}
	}
	if wallSum > 0 {
		r.CPU = CPU{Self: cpuSelf / wallSum, Others: cpuOth / wallSum}
	}
	r.Pass = r.MedianP99 <= chatLatencyTarget && r.Missing == 0 && r.Dups == 0 && r.Errors == 0
	return r, ctx.Err()
}

// openLoop posts rate messages per second for d, each on its own
// goroutine (at most 256 in flight), senders round robin, and waits for
// the answers.
func (cb *chatBench) openLoop(ctx context.Context, senders []*sender, next *int, rate float64, d time.Duration) *postResult {
	out := &postResult{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 256)
	interval := time.Duration(float64(time.Second) / rate)
	t0 := time.Now()
	busy := make(map[*sender]bool)
	for k := 0; ; k++ {
		at := t0.Add(time.Duration(k) * interval)
		if at.Sub(t0) >= d || ctx.Err() != nil {
			break
		}
		time.Sleep(time.Until(at))
		// A sender posts one message at a time (its clientId counter is
		// its own); skip to the next free one.
		mu.Lock()
		var s *sender
		for range senders {
			c := senders[*next%len(senders)]
			*next++
			if !busy[c] {
				s = c
				break
			}
		}
		if s != nil {
			busy[s] = true
		}
		mu.Unlock()
		if s == nil {
			mu.Lock()
			out.fail(fmt.Errorf("every sender busy: the server is not keeping up"))
			mu.Unlock()
			continue
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			t := time.Now()
			id, err := s.post(ctx)
			lat := time.Since(t)
			mu.Lock()
			defer mu.Unlock()
			busy[s] = false
			if err != nil {
				out.fail(err)
				return
			}
			out.hist.record(lat)
			out.acked = append(out.acked, id)
		})
	}
	wg.Wait()
	return out
}

// throughput is part (b): -chat-senders closed-loop senders, each its own
// user, and -chat-watchers streams reading everything.
func (cb *chatBench) throughput(ctx context.Context) (ChatThroughput, error) {
	o := cb.o
	r := ChatThroughput{Senders: o.chatSenders, Subscribers: o.chatWatchers}
	fmt.Fprintf(o.stderr, "  (b) throughput: %d senders, %d subscribers, %d rounds of %s after a %s warm-up\n",
		o.chatSenders, o.chatWatchers, o.rounds, o.duration/time.Duration(o.rounds), o.warmup)
	subs, err := cb.openStreams(ctx, o.chatWatchers, 16)
	if err != nil {
		return r, err
	}
	defer closeStreams(subs)
	senders := make([]*sender, o.chatSenders)
	for i := range senders {
		senders[i] = cb.c.newSender(cb.cookies[i%len(cb.cookies)], "b"+strconv.Itoa(i))
	}
	if o.serverCPUProfile != "" {
		// The server's CPU profile over the measured rounds.
		secs := int(math.Ceil((o.warmup + o.duration).Seconds())) + 1
		done := make(chan struct{})
		defer func() { <-done }()
		go func() {
			defer close(done)
			if err := cb.srv.saveProfile("profile?seconds="+strconv.Itoa(secs), o.serverCPUProfile); err != nil {
				fmt.Fprintf(o.stderr, "    -server-cpuprofile: %v\n", err)
			}
		}()
	}
	var postHist, delHist histogram
	var pers, dels []float64
	var cpuSelf, cpuOth, wallSum float64
	window := o.duration / time.Duration(o.rounds)
	for round := -1; round < o.rounds; round++ {
		w := window
		if round < 0 {
			if w = o.warmup; w == 0 {
				continue
			}
		}
		start, err := cb.latestID(ctx)
		if err != nil {
			return r, err
		}
		for _, s := range subs {
			s.track(start)
		}
		rec := &recorder{from: cb.c.now(), to: cb.c.now() + int64(w)}
		cb.c.rec.Store(rec)
		mark := markCPUWith(cb.srv.pid)
		pr := closedLoop(ctx, senders, w)
		cpu, wall := mark.since(), time.Since(mark.wall)
		// Drain: up to the room's last message (POSTs cancelled at the end
		// of the window may still have been stored).
		upTo, err := cb.latestID(ctx)
		if err != nil {
			return r, err
		}
		ended := drain(ctx, subs, upTo)
		cb.c.rec.Store(nil)
		if ended > 0 {
			return r, fmt.Errorf("%d of %d event streams ended during the throughput phase", ended, len(subs))
		}
		if round < 0 {
			continue
		}
		var union idSet
		union.reset(start)
		for _, s := range subs {
			r.Missing += s.missing(pr.acked)
			s.mu.Lock()
			for _, id := range pr.acked {
				if s.seen.has(id) {
					union.add(id)
				}
			}
			s.mu.Unlock()
		}
		delivered := int64(union.len())
		r.Persisted += int64(len(pr.acked))
		r.Delivered += delivered
		r.Errors += pr.nerr
		r.ErrorKinds = mergeKinds(r.ErrorKinds, pr.errs)
		postHist.add(&pr.hist)
		delHist.add(&rec.hist)
		rr := ChatRateRound{PersistedPerSec: float64(len(pr.acked)) / w.Seconds(), DeliveredPerSec: float64(delivered) / w.Seconds(), CPU: cpu}
		r.Rounds = append(r.Rounds, rr)
		pers, dels = append(pers, rr.PersistedPerSec), append(dels, rr.DeliveredPerSec)
		r.Window += w
		cpuSelf += cpu.Self * wall.Seconds()
		cpuOth += cpu.Others * wall.Seconds()
		wallSum += wall.Seconds()
		fmt.Fprintf(o.stderr, "    round %d/%d: %s persisted/s, %s delivered/s, POST p99 %s, delivery p99 %s (CPU: bench %.0f %%, others %.0f %%)\n",
			round+1, o.rounds, fmtRate(rr.PersistedPerSec), fmtRate(rr.DeliveredPerSec), fmtDur(pr.hist.quantile(0.99)),
			fmtDur(rec.hist.quantile(0.99)), 100*cpu.Self, 100*cpu.Others)
	}
	for _, s := range subs {
		r.Dups += s.dups.Load()
	}
	if r.Window > 0 {
		r.PersistedPerSec = float64(r.Persisted) / r.Window.Seconds()
		r.DeliveredPerSec = float64(r.Delivered) / r.Window.Seconds()
	}
	r.MedianPersistedPerSec, r.MedianDeliveredPerSec = medianF(pers), medianF(dels)
	r.PostP50, r.PostP99 = postHist.quantile(0.5), postHist.quantile(0.99)
	r.DeliveryP50, r.DeliveryP99 = delHist.quantile(0.5), delHist.quantile(0.99)
	if wallSum > 0 {
		r.CPU = CPU{Self: cpuSelf / wallSum, Others: cpuOth / wallSum}
	}
	r.Pass = r.MedianPersistedPerSec >= chatThroughputTarget && r.Missing == 0 && r.Dups == 0 && r.Errors == 0 &&
		r.Delivered == r.Persisted
	return r, ctx.Err()
}

// closedLoop runs each sender in a loop for d: post, wait for the answer,
// post again. Only POSTs answered inside d count; those in flight at the
// end are cancelled.
func closedLoop(ctx context.Context, senders []*sender, d time.Duration) *postResult {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	end := time.Now().Add(d)
	res := make([]postResult, len(senders))
	var wg sync.WaitGroup
	for i, s := range senders {
		wg.Go(func() {
			pr := &res[i]
			for ctx.Err() == nil {
				t0 := time.Now()
				id, err := s.post(ctx)
				t1 := time.Now()
				if t1.After(end) || ctx.Err() != nil {
					return
				}
				if err != nil {
					pr.fail(err)
					continue
				}
				pr.hist.record(t1.Sub(t0))
				pr.acked = append(pr.acked, id)
			}
		})
	}
	time.Sleep(time.Until(end))
	cancel()
	wg.Wait()
	out := &postResult{}
	for i := range res {
		out.acked = append(out.acked, res[i].acked...)
		out.hist.add(&res[i].hist)
		out.nerr += res[i].nerr
		out.errs = mergeKinds(out.errs, res[i].errs)
	}
	return out
}

func mergeKinds(into, from map[string]int64) map[string]int64 {
	for k, v := range from {
		if into == nil {
			into = map[string]int64{}
		}
		into[k] += v
	}
	return into
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func medianF(fs []float64) float64 {
	if len(fs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(fs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// failures counts what went wrong in scenario chat: failed POSTs, messages
// a subscriber never read or read twice, streams that failed or ended.
func (r *ChatResult) failures() int64 {
	l, t := r.Latency, r.Throughput
	return l.Errors + l.Missing + l.Dups + t.Errors + t.Missing + t.Dups + r.Memory.Errors
}

// disturbed names the measured rounds in which other processes took more
// than disturbedAbove of the CPUs.
func (r *ChatResult) disturbed() []string {
	return append(disturbedRounds("chat (a) latency", r.Latency.Rounds, latencyCPU),
		disturbedRounds("chat (b) throughput", r.Throughput.Rounds, func(x ChatRateRound) CPU { return x.CPU })...)
}

func latencyCPU(x ChatLatencyRound) CPU { return x.CPU }

// disturbedRounds names the rounds (label round n) whose CPU, as cpu reads
// it, shows other processes above disturbedAbove.
func disturbedRounds[R any](label string, rounds []R, cpu func(R) CPU) []string {
	var out []string
	for i, x := range rounds {
		if o := cpu(x).Others; o > disturbedAbove {
			out = append(out, fmt.Sprintf("%s round %d (%s)", label, i+1, fmtPct(o)))
		}
	}
	return out
}

func printChat(w io.Writer, r *ChatResult) {
	l, t, m := r.Latency, r.Throughput, r.Memory
	fmt.Fprintf(w, "\nchat, one public room, %d users (the streams and senders use their sessions round robin)\n", r.Users)
	fmt.Fprintf(w, "(a) delivery latency, POST sent → event read, %d SSE subscribers, %.0f messages/s (open loop)\n", l.Subscribers, l.Rate)
	fmt.Fprintf(w, "    %d messages, %d deliveries: p50 %s, p90 %s, p99 %s, max %s (pooled)\n", l.Messages, l.Deliveries,
		fmtDur(l.P50), fmtDur(l.P90), fmtDur(l.P99), fmtDur(l.Max))
	var rs []string
	for _, x := range l.Rounds {
		rs = append(rs, fmt.Sprintf("%s/%s (others %s)", fmtDur(x.P50), fmtDur(x.P99), fmtPct(x.CPU.Others)))
	}
	fmt.Fprintf(w, "    per round p50/p99: %s\n", strings.Join(rs, ", "))
	fmt.Fprintf(w, "    median of rounds: p50 %s, p99 %s (target p99 ≤ %s) %s; CPU: bench %s, others %s\n", fmtDur(l.MedianP50),
		fmtDur(l.MedianP99), fmtDur(chatLatencyTarget), verdict(l.Pass), fmtPct(l.CPU.Self), fmtPct(l.CPU.Others))
	fmt.Fprintf(w, "(b) %d closed-loop senders, %d subscribers reading every message\n", t.Senders, t.Subscribers)
	fmt.Fprintf(w, "    persisted (201) %d, delivered (read by ≥ 1 subscriber) %d in %s: %s/s persisted, %s/s delivered (pooled)\n",
		t.Persisted, t.Delivered, t.Window, fmtRate(t.PersistedPerSec), fmtRate(t.DeliveredPerSec))
	rs = rs[:0]
	for _, x := range t.Rounds {
		rs = append(rs, fmt.Sprintf("%s/%s (others %s)", fmtRate(x.PersistedPerSec), fmtRate(x.DeliveredPerSec), fmtPct(x.CPU.Others)))
	}
	fmt.Fprintf(w, "    per round persisted/delivered per s: %s\n", strings.Join(rs, ", "))
	fmt.Fprintf(w, "    median of rounds: %s/s persisted, %s/s delivered (target ≥ %s/s persisted) %s; CPU: bench %s, others %s\n",
		fmtRate(t.MedianPersistedPerSec), fmtRate(t.MedianDeliveredPerSec), fmtRate(chatThroughputTarget), verdict(t.Pass),
		fmtPct(t.CPU.Self), fmtPct(t.CPU.Others))
	fmt.Fprintf(w, "    POST latency p50 %s, p99 %s; delivery latency p50 %s, p99 %s\n", fmtDur(t.PostP50), fmtDur(t.PostP99),
		fmtDur(t.DeliveryP50), fmtDur(t.DeliveryP99))
	fmt.Fprintf(w, "(c) %d idle event streams: server process RSS %s → %s after %s idle: %.1f KiB per stream (target ≤ %d KiB) %s\n",
		m.Streams, fmtMiB(m.BaseRSS), fmtMiB(m.RSS), m.Idle, m.PerStream/1024, chatMemoryTarget>>10, verdict(m.Pass))
	fmt.Fprintf(w, "    opened in %s; RSS 3 s after: %s (%.1f KiB per stream), peak while idle: %s (%.1f KiB per stream)\n",
		m.OpenTime.Round(time.Millisecond), fmtMiB(m.EarlyRSS), float64(m.EarlyRSS-m.BaseRSS)/float64(m.Streams)/1024,
		fmtMiB(m.PeakRSS), float64(m.PeakRSS-m.BaseRSS)/float64(m.Streams)/1024)
	if m.Goroutines > 0 {
		fmt.Fprintf(w, "    Go runtime at the end: heap objects %s, stacks %s; after a forced GC, per stream: live heap %.1f KiB, stacks %.1f KiB, %.1f goroutines\n",
			fmtMiB(int64(m.Heap)), fmtMiB(int64(m.Stacks)), m.LiveHeapPerStream/1024, m.StacksPerStream/1024, float64(m.Goroutines)/float64(m.Streams))
	}
	if n := r.failures(); n > 0 {
		fmt.Fprintf(w, "!!! ERRORS in chat: POST errors %d+%d %s%s, missing deliveries %d+%d, duplicates %d+%d, memory phase %d %s\n",
			l.Errors, t.Errors, errorSummary(l.ErrorKinds), errorSummary(t.ErrorKinds), l.Missing, t.Missing, l.Dups, t.Dups, m.Errors, m.FirstErr)
	}
}

// pids are the bench's server processes.
func (cb *chatBench) pids() []int {
	out := []int{cb.srv.pid}
	for _, s := range cb.more {
		out = append(out, s.pid)
	}
	return out
}
