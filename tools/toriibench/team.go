package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/service"
	"github.com/toriihq/torii/sqlstore"
)

// Scenario team (issue 17's benchmark): -team-users users, each with one
// user connection (GET /api/v1/events, the page's one live connection)
// and a member of -team-rooms rooms; messages posted in a room of
// -team-big members must reach every member's connection with p99 ≤
// 100 ms; the server's memory per connected user. With -team-instances 2
// (PostgreSQL) the connections are split between two servers on one
// database and the messages are posted on the first.
//
// Set-up is not measured and does not go through HTTP: registering 5,000
// users would run argon2id 5,000 times (about a minute of both cores) for
// nothing the scenario measures. The users, their sessions, the rooms and
// the memberships are written through the project's store package
// (sqlstore: the same inserts, chat event rows and read markers the
// service's calls make; no audit rows, no password, no default group).
// What is measured is the real server in its own process: connecting,
// posting, delivering.

// TeamResult is what scenario team measured.
type TeamResult struct {
	Users        int `json:"users"`
	RoomsPerUser int `json:"roomsPerUser"`
	BigRoom      int `json:"bigRoomMembers"`
	// BigGroup: the big room is a group room (-team-big-group).
	BigGroup  bool `json:"bigGroup"`
	Rooms     int  `json:"rooms"`
	Instances int  `json:"instances"`
	// Seed is the unmeasured set-up through the store.
	Seed time.Duration `json:"seedNs"`
	// Open is the time to open every user connection, 100 at a time.
	Open    time.Duration `json:"openNs"`
	Memory  []TeamMemory  `json:"memory"`
	Latency ChatLatency   `json:"latency"`
	// Baseline is the same measurement in the same run on the room's own
	// stream (GET /api/v1/rooms/{id}/events, one per member, on the first
	// server), with every user connection still open: what the per-room
	// path, measured by scenario chat, gives here.
	Baseline ChatLatency `json:"baseline"`
	Ended    int64       `json:"endedStreams"` // connections that ended before the end: must be 0
	FirstErr string      `json:"firstError,omitempty"`
}

// TeamMemory is one server's memory with its share of the connections
// open and idle.
type TeamMemory struct {
	Connections int           `json:"connections"`
	Idle        time.Duration `json:"idleNs"`
	BaseRSS     int64         `json:"baseRssBytes"`
	RSS         int64         `json:"rssBytes"`
	PeakRSS     int64         `json:"peakRssBytes"`
	PerUser     float64       `json:"perUserBytes"` // (RSS − BaseRSS) / Connections
	// After a forced GC, per connection above the baseline (the first
	// server only, which serves pprof).
	LiveHeapPerUser float64 `json:"liveHeapPerUserBytes,omitempty"`
	StacksPerUser   float64 `json:"stacksPerUserBytes,omitempty"`
}

// teamLayout is who is in which room: user i (0-based) is a member of the
// big room if i < big, and of rooms-per-user small private rooms (one
// fewer for the big room's members), teamSmall people each, drawn so that
// each of a user's small rooms has different people.
const teamSmall = 20

type teamSeed struct {
	cookies []string // "torii_session=TOKEN", user i's
	userIDs []int64
	big     int64 // the big room's id
	rooms   int
}

func scenarioTeam(ctx context.Context, o options, dsn string, env map[string]string) (*TeamResult, error) {
	progress := func(format string, args ...any) { fmt.Fprintf(o.stderr, format, args...) }
	if err := raiseNoFile(); err != nil {
		return nil, fmt.Errorf("raise the open-file limit: %w", err)
	}
	if need := uint64(o.teamUsers + 300); noFileLimit() < need {
		return nil, fmt.Errorf("-team-users %d needs %d open files per process; the limit is %d (ulimit -Hn)", o.teamUsers, need, noFileLimit())
	}
	r := &TeamResult{Users: o.teamUsers, RoomsPerUser: o.teamRooms, BigRoom: o.teamBig, BigGroup: o.teamBigGroup, Instances: o.teamInstances}
	kind := "private"
	if o.teamBigGroup {
		kind = "group"
	}
	progress("  set-up through the store: %d users with a session, a %d-member %s room, every user in %d rooms …", o.teamUsers, o.teamBig, kind, o.teamRooms)
	t0 := time.Now()
	seed, err := seedTeam(ctx, dsn, o.teamUsers, o.teamBig, o.teamRooms, o.teamBigGroup)
	if err != nil {
		return nil, fmt.Errorf("set-up: %w", err)
	}
	r.Seed, r.Rooms = time.Since(t0), seed.rooms
	progress(" %d rooms in %s\n", seed.rooms, r.Seed.Round(time.Second))

	logFile := ""
	if o.logFile != "" {
		logFile = o.logFile + ".server"
	}
	var srvs []*childServer
	defer func() {
		for _, s := range srvs {
			s.stop()
		}
	}()
	for range o.teamInstances {
		s, err := startChild(dsn, env, logFile, true)
		if err != nil {
			return nil, err
		}
		srvs = append(srvs, s)
	}
	c := &chatClient{url: srvs[0].URL, room: seed.big, base: time.Now(), tr: newTransport(128), streamTr: streamTransport(), userStream: true}
	defer c.tr.CloseIdleConnections()

	// Warm-up: each server serves a few user connections once, so that
	// the first use of its pages and pools is not counted per user.
	for i, s := range srvs {
		var warm []*subscriber
		for j := range 50 {
			sub, err := c.subscribeAt(ctx, s.URL, i, seed.cookies[(j*97+i)%len(seed.cookies)])
			if err != nil {
				closeStreams(warm)
				return nil, fmt.Errorf("warm-up: %w", err)
			}
			warm = append(warm, sub)
		}
		closeStreams(warm)
	}
	time.Sleep(2 * time.Second)
	base := make([]map[string]uint64, len(srvs))
	r.Memory = make([]TeamMemory, len(srvs))
	for i, s := range srvs {
		base[i], _ = s.runtimeMemory(true)
		r.Memory[i].BaseRSS = s.rss()
	}

	// Every user connects once, user i to server i mod instances.
	progress("  %d user connections (GET /api/v1/events), one per user, on %d server(s) …", o.teamUsers, len(srvs))
	subs := make([]*subscriber, o.teamUsers)
	errs := make([]error, o.teamUsers)
	sem := make(chan struct{}, 100)
	var wg sync.WaitGroup
	t1 := time.Now()
	for i := range o.teamUsers {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			inst := i % len(srvs)
			subs[i], errs[i] = c.subscribeAt(ctx, srvs[inst].URL, inst, seed.cookies[i])
		})
	}
	wg.Wait()
	r.Open = time.Since(t1)
	defer closeStreams(subs)
	for _, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("open the user connections: %w", err)
		}
	}
	progress(" open in %s\n", r.Open.Round(time.Millisecond))

	// Idle past the 15 s heartbeat: every connection has re-checked its
	// access and rooms once, as an idle connection does.
	progress("  idle for %s …", o.teamIdle)
	t2 := time.Now()
	for time.Since(t2) < o.teamIdle && ctx.Err() == nil {
		time.Sleep(100 * time.Millisecond)
		for i, s := range srvs {
			r.Memory[i].PeakRSS = max(r.Memory[i].PeakRSS, s.rss())
		}
	}
	for i, s := range srvs {
		m := &r.Memory[i]
		m.Connections = (o.teamUsers + len(srvs) - 1 - i) / len(srvs)
		m.Idle = time.Since(t2).Round(time.Second)
		m.RSS = s.rss()
		m.PerUser = float64(m.RSS-m.BaseRSS) / float64(m.Connections)
		if cm, err := s.runtimeMemory(true); err == nil && base[i] != nil {
			n := float64(m.Connections)
			m.LiveHeapPerUser = float64(int64(cm["/memory/classes/heap/objects:bytes"])-int64(base[i]["/memory/classes/heap/objects:bytes"])) / n
			m.StacksPerUser = float64(int64(cm["/memory/classes/heap/stacks:bytes"])-int64(base[i]["/memory/classes/heap/stacks:bytes"])) / n
		}
		progress(" server %d: RSS %s → %s, %.1f KiB per connected user;", i+1, fmtMiB(m.BaseRSS), fmtMiB(m.RSS), m.PerUser/1024)
	}
	progress("\n")

	// Latency: messages posted in the big room (on the first server) by
	// its members, read on every member's user connection.
	members := subs[:o.teamBig]
	nSenders := min(o.teamBig, 100)
	senders := make([]*sender, nSenders)
	for i := range senders {
		senders[i] = c.newSender(seed.cookies[i], "t"+strconv.Itoa(i))
	}
	cb := &chatBench{o: o, srv: srvs[0], more: srvs[1:], c: c, cookies: seed.cookies}
	fmt.Fprintf(o.stderr, "  latency: %d members' user connections, %.0f messages/s in their room, %d rounds of %s after a %s warm-up\n",
		o.teamBig, o.teamRate, o.rounds, o.duration/time.Duration(o.rounds), o.warmup)
	stopProfiles := teamProfiles(o, srvs)
	r.Latency, err = cb.measureLatency(ctx, ChatLatency{Subscribers: o.teamBig, Rate: o.teamRate}, members, senders)
	stopProfiles()
	if err != nil {
		return r, err
	}
	// Baseline: the members' room streams, the same messages.
	rc := &chatClient{url: srvs[0].URL, room: seed.big, base: c.base, tr: c.tr, streamTr: streamTransport()}
	roomSubs := make([]*subscriber, o.teamBig)
	for i := range roomSubs {
		if roomSubs[i], err = rc.subscribe(ctx, seed.cookies[i]); err != nil {
			closeStreams(roomSubs[:i])
			return r, fmt.Errorf("baseline: open the room streams: %w", err)
		}
	}
	defer closeStreams(roomSubs)
	for i := range senders {
		senders[i] = rc.newSender(seed.cookies[i], "b"+strconv.Itoa(i))
	}
	fmt.Fprintf(o.stderr, "  baseline: the same with the members' room streams (GET /api/v1/rooms/{id}/events) instead\n")
	rb := &chatBench{o: o, srv: srvs[0], more: srvs[1:], c: rc, cookies: seed.cookies}
	if r.Baseline, err = rb.measureLatency(ctx, ChatLatency{Subscribers: o.teamBig, Rate: o.teamRate}, roomSubs, senders); err != nil {
		return r, err
	}
	for _, s := range subs {
		select {
		case <-s.done:
			r.Ended++
			if r.FirstErr == "" {
				r.FirstErr = fmt.Sprintf("a user connection ended: %v", s.err)
			}
		default:
		}
	}
	for _, s := range srvs {
		if err := s.alive(ctx); err != nil {
			return r, err
		}
	}
	return r, nil
}

// seedTeam writes the users, sessions, rooms and memberships through the
// store (see the scenario's comment), 8 at a time.
func seedTeam(ctx context.Context, dsn string, users, big, perUser int, bigGroup bool) (*teamSeed, error) {
	st, err := sqlstore.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	seed := &teamSeed{cookies: make([]string, users), userIDs: make([]int64, users)}
	if err := parallel(ctx, users, func(i int) error {
		u, err := st.CreateUser(ctx, torii.User{Email: fmt.Sprintf("team-%05d@example.com", i), EmailVerified: true,
			Name: fmt.Sprintf("Team User %d", i), CreatedAt: now})
		if err != nil {
			return err
		}
		token := rand.Text()
		if err := st.CreateSession(ctx, torii.Session{ID: service.SessionID(token), UserID: u.ID, IP: "127.0.0.1",
			UserAgent: "toriibench", CreatedAt: now, LastActivity: now, ExpiresAt: now.Add(24 * time.Hour)}); err != nil {
			return err
		}
		seed.userIDs[i], seed.cookies[i] = u.ID, "torii_session="+token
		return nil
	}); err != nil {
		return nil, err
	}
	// The rooms: the big one (private: its messages go to its members
	// only), then for each of the perUser slots the users (those of the
	// big room skip slot 0) in groups of teamSmall, shifted by slot so that
	// a user's small rooms have different people.
	var rooms [][]int
	bigMembers := make([]int, big)
	for i := range big {
		bigMembers[i] = i
	}
	rooms = append(rooms, bigMembers)
	for slot := range perUser {
		var in []int
		for i := range users {
			if slot == 0 && i < big {
				continue
			}
			in = append(in, i)
		}
		shift := slot * 7 % max(len(in), 1)
		in = append(in[shift:], in[:shift]...)
		for len(in) > 0 {
			n := min(teamSmall, len(in))
			rooms = append(rooms, in[:n])
			in = in[n:]
		}
	}
	seed.rooms = len(rooms)
	// With -team-big-group the big room is a group room of a group of its
	// members: whoever is in the group sees it, no room membership.
	var group *int64
	if bigGroup {
		g, err := st.CreateGroup(ctx, torii.Group{Name: "team-big", CreatedBy: &seed.userIDs[0], CreatedAt: now})
		if err != nil {
			return nil, err
		}
		group = &g.ID
		if err := parallel(ctx, big, func(i int) error {
			return st.SetGroupMember(ctx, torii.GroupMember{GroupID: g.ID, UserID: seed.userIDs[i], Role: torii.GroupRoleMember, CreatedAt: now})
		}); err != nil {
			return nil, err
		}
	}
	ids := make([]int64, len(rooms))
	if err := parallel(ctx, len(rooms), func(k int) error {
		owner := seed.userIDs[rooms[k][0]]
		r := torii.Room{Name: fmt.Sprintf("team-%d", k), Visibility: torii.RoomPrivate, CreatedBy: &owner, CreatedAt: now}
		if k == 0 && group != nil {
			r.Visibility, r.GroupID = torii.RoomGroup, group
		}
		room, err := st.CreateRoom(ctx, r)
		ids[k] = room.ID
		return err
	}); err != nil {
		return nil, err
	}
	seed.big = ids[0]
	type add struct{ room, user int64 }
	var adds []add
	for k, members := range rooms {
		if k == 0 && group != nil {
			continue // the group's members see it
		}
		for _, i := range members[1:] { // the first is the owner, a member already
			adds = append(adds, add{ids[k], seed.userIDs[i]})
		}
	}
	if err := parallel(ctx, len(adds), func(j int) error {
		return st.AddRoomMember(ctx, adds[j].room, adds[j].user, now)
	}); err != nil {
		return nil, err
	}
	if st.Dialect() == "postgres" {
		if err := analyze(ctx, dsn); err != nil {
			return nil, err
		}
	}
	return seed, nil
}

// analyze gathers PostgreSQL's planner statistics of the seeded schema,
// as autovacuum does within a minute or so of a bulk load. Without them
// the planner takes the tables for empty: the first runs here (on a
// server with autovacuum off) read the rooms a user sees by scanning
// every room, 11 ms a read instead of 0.4 ms, and measured that.
func analyze(ctx context.Context, dsn string) error {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = current_schema()`)
	if err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return fmt.Errorf("analyze: %w", err)
		}
		tables = append(tables, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	if _, err := db.ExecContext(ctx, "ANALYZE "+strings.Join(tables, ", ")); err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	return nil
}

// parallel runs f(0..n-1), 8 at a time, and returns the first error.
func parallel(ctx context.Context, n int, f func(int) error) error {
	var next atomic.Int64
	var first atomic.Pointer[error]
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for ctx.Err() == nil && first.Load() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := f(i); err != nil {
					first.CompareAndSwap(nil, &err)
				}
			}
		})
	}
	wg.Wait()
	if p := first.Load(); p != nil {
		return *p
	}
	return ctx.Err()
}

func printTeam(w io.Writer, r *TeamResult) {
	l := r.Latency
	fmt.Fprintf(w, "\nteam chat (issue 17): %d users, one user connection each (GET /api/v1/events), each in %d of %d rooms, on %d server(s)\n",
		r.Users, r.RoomsPerUser, r.Rooms, r.Instances)
	fmt.Fprintf(w, "  set-up through the store (not measured) %s; connections opened in %s (100 at a time)\n",
		r.Seed.Round(time.Second), r.Open.Round(time.Millisecond))
	for i, m := range r.Memory {
		extra := ""
		if m.LiveHeapPerUser != 0 || m.StacksPerUser != 0 {
			extra = fmt.Sprintf("; after a GC: live heap %.1f KiB, stacks %.1f KiB per user", m.LiveHeapPerUser/1024, m.StacksPerUser/1024)
		}
		fmt.Fprintf(w, "  memory, server %d: %d connections idle %s: RSS %s → %s (peak %s): %.1f KiB per connected user%s\n",
			i+1, m.Connections, m.Idle, fmtMiB(m.BaseRSS), fmtMiB(m.RSS), fmtMiB(m.PeakRSS), m.PerUser/1024, extra)
	}
	fmt.Fprintf(w, "  delivery, POST sent → event read on a member's user connection, %d-member room, %.0f messages/s (open loop)\n", l.Subscribers, l.Rate)
	fmt.Fprintf(w, "    %d messages, %d deliveries: p50 %s, p90 %s, p99 %s, max %s (pooled)\n", l.Messages, l.Deliveries,
		fmtDur(l.P50), fmtDur(l.P90), fmtDur(l.P99), fmtDur(l.Max))
	for _, s := range l.ByInstance {
		fmt.Fprintf(w, "    %-45s %7d deliveries: p50 %s, p90 %s, p99 %s, max %s\n", s.Name, s.N, fmtDur(s.P50), fmtDur(s.P90), fmtDur(s.P99), fmtDur(s.Max))
	}
	var rs []string
	for _, x := range l.Rounds {
		rs = append(rs, fmt.Sprintf("%s/%s (others %s)", fmtDur(x.P50), fmtDur(x.P99), fmtPct(x.CPU.Others)))
	}
	fmt.Fprintf(w, "    per round p50/p99: %s\n", strings.Join(rs, ", "))
	fmt.Fprintf(w, "    median of rounds: p50 %s, p99 %s (target p99 ≤ %s) %s; CPU: bench %s, others %s\n", fmtDur(l.MedianP50),
		fmtDur(l.MedianP99), fmtDur(chatLatencyTarget), verdict(l.Pass), fmtPct(l.CPU.Self), fmtPct(l.CPU.Others))
	b := r.Baseline
	fmt.Fprintf(w, "  baseline, same run: the members' room streams (GET /api/v1/rooms/{id}/events) on server 1, the same load\n")
	fmt.Fprintf(w, "    %d messages, %d deliveries: p50 %s, p90 %s, p99 %s, max %s (pooled); median of rounds p50 %s, p99 %s\n",
		b.Messages, b.Deliveries, fmtDur(b.P50), fmtDur(b.P90), fmtDur(b.P99), fmtDur(b.Max), fmtDur(b.MedianP50), fmtDur(b.MedianP99))
	if n := r.failures(); n > 0 {
		fmt.Fprintf(w, "!!! ERRORS in team: POST errors %d %s, missing deliveries %d, duplicates %d, connections ended %d %s\n",
			l.Errors, errorSummary(l.ErrorKinds), l.Missing, l.Dups, r.Ended, r.FirstErr)
	}
}

func (r *TeamResult) failures() int64 {
	return r.Latency.Errors + r.Latency.Missing + r.Latency.Dups + r.Ended + r.Baseline.Errors + r.Baseline.Missing + r.Baseline.Dups
}

func (r *TeamResult) disturbed() []string {
	return append(disturbedRounds("team latency", r.Latency.Rounds, latencyCPU),
		disturbedRounds("team baseline", r.Baseline.Rounds, latencyCPU)...)
}

// teamProfiles saves each server's CPU profile over the user connections'
// latency rounds to -server-cpuprofile with the server's number appended
// (file.1, file.2), and prints the servers' pprof addresses with
// -server-pprof; the returned func waits for the profiles.
func teamProfiles(o options, srvs []*childServer) (wait func()) {
	if o.serverPprof {
		for i, s := range srvs {
			fmt.Fprintf(o.stderr, "  server %d: process %d, pprof at %s\n", i+1, s.pid, s.PprofURL)
		}
	}
	if o.serverCPUProfile == "" {
		return func() {}
	}
	secs := int(math.Ceil((o.warmup + o.duration).Seconds())) + 1
	var wg sync.WaitGroup
	for i, s := range srvs {
		wg.Go(func() {
			file := o.serverCPUProfile + "." + strconv.Itoa(i+1)
			if err := s.saveProfile("profile?seconds="+strconv.Itoa(secs), file); err != nil {
				fmt.Fprintf(o.stderr, "    -server-cpuprofile: server %d: %v\n", i+1, err)
			}
		})
	}
	return wg.Wait
}
