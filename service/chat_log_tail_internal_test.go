package service

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/chat"
	"github.com/toriihq/torii/sqlstore"
)

// countingStore is a real store that counts the log reads and can hold a
// shared read of the log after it has read (a read that started before a
// later row committed).
type countingStore struct {
	*sqlstore.Store
	after, forUser, sessionReads, groupReads atomic.Int64
	hold                                     chan chan struct{} // when set, each shared read sends a release channel here and waits on it
}

func (c *countingStore) ChatEventsAfter(ctx context.Context, after int64, n int) ([]torii.ChatEvent, error) {
	c.after.Add(1)
	rows, err := c.Store.ChatEventsAfter(ctx, after, n)
	if c.hold != nil {
		release := make(chan struct{})
		c.hold <- release
		<-release
	}
	return rows, err
}

func (c *countingStore) SessionByID(ctx context.Context, id string) (torii.Session, error) {
	c.sessionReads.Add(1)
	return c.Store.SessionByID(ctx, id)
}

func (c *countingStore) GroupMembers(ctx context.Context, id int64) ([]torii.GroupMember, error) {
	c.groupReads.Add(1)
	return c.Store.GroupMembers(ctx, id)
}

func (c *countingStore) ChatEventsFor(ctx context.Context, uid, after int64, n int) ([]torii.ChatEvent, error) {
	c.forUser.Add(1)
	return c.Store.ChatEventsFor(ctx, uid, after, n)
}

// tailFixture is a service on a real SQLite store with one user in one
// private room.
type tailFixture struct {
	s    *Service
	st   *countingStore
	user torii.User
	room torii.Room
}

func newTailFixture(t *testing.T) *tailFixture {
	t.Helper()
	ctx := t.Context()
	st := &countingStore{Store: migratedSQLite(t)}
	u, err := st.CreateUser(ctx, torii.User{Email: "tail@example.com", EmailVerified: true, Name: "Tail", CreatedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	r, err := st.CreateRoom(ctx, torii.Room{Name: "tail", Visibility: torii.RoomPrivate, CreatedBy: &u.ID, CreatedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	return &tailFixture{s: New(Options{Store: st}), st: st, user: u, room: r}
}

// post stores n messages and returns the last one's id.
func (f *tailFixture) post(t *testing.T, n int) int64 {
	t.Helper()
	var id int64
	for i := range n {
		m, _, err := f.st.CreateMessage(t.Context(), torii.Message{RoomID: f.room.ID, UserID: &f.user.ID, Body: fmt.Sprint("m", i)})
		if err != nil {
			t.Fatal(err)
		}
		id = m.ID
	}
	return id
}

// openStream opens a user stream for u (a session of its own, sid) that
// sends only what comes next, closed when the test ends.
func (f *tailFixture) openStream(t *testing.T, u torii.User, sid string) *UserStream {
	t.Helper()
	p := Principal{User: u, Session: torii.Session{ID: sid, UserID: u.ID, ExpiresAt: time.Now().Add(time.Hour)}}
	us, err := f.s.OpenUserStream(t.Context(), p, -1, func(context.Context) (Principal, error) { return p, nil })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(us.Close)
	return us
}

// publish announces message id of room, as the service does after the
// commit.
func (f *tailFixture) publish(t *testing.T, room, id int64) {
	t.Helper()
	if err := f.s.broker.Publish(t.Context(), chat.Event{Kind: chat.KindMessage, RoomID: room, MessageID: id}); err != nil {
		t.Fatal(err)
	}
}

func (f *tailFixture) lastEvent(t *testing.T) int64 {
	t.Helper()
	id, err := f.st.LastChatEventID(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func eventIDs(evs []torii.ChatEvent) []int64 {
	out := make([]int64, len(evs))
	for i, e := range evs {
		out[i] = e.ID
	}
	return out
}

func TestLogTail_PageIsTheLogAfterThePositionWhateverThePosition(t *testing.T) {
	t.Parallel()
	f := newTailFixture(t)
	start := f.lastEvent(t)
	want := f.post(t, 250)
	// The first position asked for starts the tail; every later one at
	// or after it gets exactly the database's page.
	for _, after := range []int64{start, start + 1, start + 99, start + 100, start + 230, start + 250} {
		got, ok, err := f.s.tailPage(t.Context(), after, want)
		if err != nil || !ok {
			t.Fatalf("after %d: ok %v, err %v", after, ok, err)
		}
		db, err := f.st.Store.ChatEventsAfter(t.Context(), after, streamPage)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(eventIDs(got), eventIDs(db)) {
			t.Fatalf("after %d: the tail gave %v, the log holds %v", after, eventIDs(got), eventIDs(db))
		}
	}
	// 250 rows, read a store page (tailRead) at a time, for six
	// positions: three reads of the database in all.
	if n := f.st.after.Load(); n != 3 {
		t.Fatalf("%d reads of the log, want 3", n)
	}
}

func TestLogTail_AReadStartedBeforeTheRowCommittedIsFollowedByAnother(t *testing.T) {
	t.Parallel()
	f := newTailFixture(t)
	start := f.lastEvent(t)
	first := f.post(t, 1)
	f.st.hold = make(chan chan struct{})
	// A stream woken for the first message starts a read, which reads
	// the log and is held before it hands its rows over.
	done := make(chan error, 2)
	go func() {
		_, _, err := f.s.tailPage(context.Background(), start, first)
		done <- err
	}()
	release1 := <-f.st.hold
	// The second message commits after that read read the log; a stream
	// woken for it finds the read in flight and waits for it.
	second := f.post(t, 1)
	var page []torii.ChatEvent
	go func() {
		var err error
		var ok bool
		page, ok, err = f.s.tailPage(context.Background(), start, second)
		if err == nil && !ok {
			err = fmt.Errorf("the tail gave up on message %d", second)
		}
		done <- err
	}()
	// Only once the second stream waits is the first read let go: its
	// rows lack the second message, so the waiting stream reads again.
	waitFor(t, func() bool {
		f.s.tail.mu.Lock()
		defer f.s.tail.mu.Unlock()
		return f.s.tail.reading != nil
	})
	close(release1)
	close(<-f.st.hold)
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	var msgs []int64
	for _, e := range page {
		msgs = append(msgs, e.MessageID)
	}
	if !slices.Equal(msgs, []int64{first, second}) {
		t.Fatalf("the second stream's page holds messages %v, want [%d %d]", msgs, first, second)
	}
	if n := f.st.after.Load(); n != 2 {
		t.Fatalf("%d reads of the log, want 2", n)
	}
}

// waitFor polls cond (which locks what it reads) until it holds, for at
// most 10 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 10 s")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestLogTail_APositionOlderThanTheRowsKeptReadsAlone(t *testing.T) {
	t.Parallel()
	f := newTailFixture(t)
	f.s.tail.max = 40
	// A stream follows the log ten messages at a time, past the rows
	// kept: the oldest are dropped.
	after := f.lastEvent(t)
	var want int64
	for range 6 {
		want = f.post(t, 10)
		page, ok, err := f.s.tailPage(t.Context(), after, want)
		if !ok || err != nil || len(page) != 10 {
			t.Fatalf("after %d: ok %v, err %v, %d rows", after, ok, err, len(page))
		}
		after = page[len(page)-1].ID
	}
	f.s.tail.mu.Lock()
	base, kept := f.s.tail.base, len(f.s.tail.rows)
	f.s.tail.mu.Unlock()
	if kept > 40 || base <= after-60 {
		t.Fatalf("%d rows kept after %d: not trimmed", kept, base)
	}
	if _, ok, err := f.s.tailPage(t.Context(), base-1, want); ok || err != nil {
		t.Fatalf("a position before the rows kept: ok %v, err %v; want a read of its own", ok, err)
	}
	got, ok, err := f.s.tailPage(t.Context(), base, want)
	db, _ := f.st.Store.ChatEventsAfter(t.Context(), base, streamPage)
	if !ok || err != nil || !slices.Equal(eventIDs(got), eventIDs(db)) {
		t.Fatalf("at the oldest position kept: ok %v, err %v, %v; the log holds %v", ok, err, eventIDs(got), eventIDs(db))
	}
}

func TestLogTail_ConcurrentStreamsGetExactPagesWhileMessagesCommit(t *testing.T) {
	t.Parallel()
	f := newTailFixture(t)
	f.s.tail.max = 64 // trims often while streams read
	start := f.lastEvent(t)
	f.post(t, 1)
	var wg sync.WaitGroup
	var newest atomic.Int64
	newest.Store(f.post(t, 1))
	stop := make(chan struct{})
	wg.Go(func() {
		defer close(stop)
		for range 200 {
			newest.Store(f.post(t, 1))
		}
	})
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			after := start
			for {
				select {
				case <-stop:
					errs <- nil
					return
				default:
				}
				want := newest.Load()
				page, ok, err := f.s.tailPage(context.Background(), after, want)
				if err != nil {
					errs <- err
					return
				}
				if !ok {
					// Behind the rows kept: read alone, as a stream does.
					page, err = f.st.Store.ChatEventsAfter(context.Background(), after, streamPage)
					if err != nil {
						errs <- err
						return
					}
				}
				// The database's page after the same position starts with
				// the same rows (it may hold more, committed since).
				db, err := f.st.Store.ChatEventsAfter(context.Background(), after, streamPage)
				if err != nil {
					errs <- err
					return
				}
				if len(page) > len(db) || !slices.Equal(eventIDs(page), eventIDs(db[:len(page)])) {
					errs <- fmt.Errorf("after %d: the tail gave %v, the log holds %v", after, eventIDs(page), eventIDs(db))
					return
				}
				if len(page) > 0 {
					after = page[len(page)-1].ID
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestUserStream_AStreamBehindByPagesCatchesUpThroughTheTailAlone(t *testing.T) {
	t.Parallel()
	f := newTailFixture(t)
	us := f.openStream(t, f.user, "s1")
	// 250 messages arrive while the stream is not reading: their
	// wake-ups merge into one.
	var want []int64
	for range 250 {
		id := f.post(t, 1)
		want = append(want, id)
		f.publish(t, f.room.ID, id)
	}
	got := drain(t, us)
	if !slices.Equal(got, want) {
		t.Fatalf("the stream sent %d messages %v…, want the %d in order", len(got), got[:min(len(got), 5)], len(want))
	}
	if n := f.st.forUser.Load(); n != 0 {
		t.Fatalf("the stream read the log alone %d times; a stream behind by pages should read through the tail", n)
	}
}

// authFixture is a user stream of a stored session on a service whose
// clock the test moves, with the calls of the stream's full check of the
// caller counted.
type authFixture struct {
	*tailFixture
	now   atomic.Pointer[time.Time]
	sess  torii.Session
	auths atomic.Int64
}

func newAuthFixture(t *testing.T) *authFixture {
	t.Helper()
	f := &authFixture{tailFixture: newTailFixture(t)}
	start := time.Now()
	f.now.Store(&start)
	f.s = New(Options{Store: f.st, Now: func() time.Time { return *f.now.Load() }})
	f.sess = torii.Session{ID: SessionID("tail-session"), UserID: f.user.ID, IP: "127.0.0.1", CreatedAt: start,
		LastActivity: start, ExpiresAt: start.Add(time.Hour)}
	if err := f.st.CreateSession(t.Context(), f.sess); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *authFixture) advance(d time.Duration) {
	n := f.now.Load().Add(d)
	f.now.Store(&n)
}

func (f *authFixture) open(t *testing.T) *UserStream {
	t.Helper()
	p := Principal{User: f.user, Session: f.sess}
	us, err := f.s.OpenUserStream(t.Context(), p, -1, func(context.Context) (Principal, error) {
		f.auths.Add(1)
		return p, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(us.Close)
	return us
}

// send posts a message and lets each stream send it.
func (f *authFixture) send(t *testing.T, streams ...*UserStream) {
	t.Helper()
	id := f.post(t, 1)
	f.publish(t, f.room.ID, id)
	for _, us := range streams {
		<-us.Ready()
		if got := drain(t, us); !slices.Equal(got, []int64{id}) {
			t.Fatalf("the stream sent messages %v, want [%d]", got, id)
		}
	}
}

// beat runs a stream's heartbeat and applies its result.
func (f *authFixture) beat(t *testing.T, us *UserStream) {
	t.Helper()
	if err := us.Recheck(t.Context()); err != nil {
		t.Fatal(err)
	}
	<-us.Ready()
	if _, _, err := us.Next(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func TestUserStream_SendsRelyOnTheLastHeartbeatsSessionCheck(t *testing.T) {
	t.Parallel()
	f := newAuthFixture(t)
	us := f.open(t)
	f.send(t, us) // the first send checks the caller
	f.advance(15 * time.Second)
	f.beat(t, us) // the heartbeat checks the session and the user again
	f.advance(12 * time.Second)
	f.send(t, us)
	if n := f.auths.Load(); n != 1 {
		t.Fatalf("%d full checks of the caller; a send 12 s after the heartbeat's check should rely on it", n)
	}
	// Without a heartbeat, the check is renewed once the reuse runs out.
	f.advance(userStreamAuthReuse)
	f.send(t, us)
	if n := f.auths.Load(); n != 2 {
		t.Fatalf("%d full checks of the caller, want 2: the reuse is bounded", n)
	}
}

func TestUserStream_TabsOfOneSessionShareOneHeartbeatCheckAndItsResult(t *testing.T) {
	t.Parallel()
	f := newAuthFixture(t)
	a, b := f.open(t), f.open(t)
	f.send(t, a, b)
	f.advance(15 * time.Second)
	reads := f.st.sessionReads.Load()
	f.beat(t, a)
	f.beat(t, b) // within heartbeatShare of a's: no read of its own
	if n := f.st.sessionReads.Load() - reads; n != 1 {
		t.Fatalf("%d reads of the session for two tabs' heartbeats, want 1", n)
	}
	f.advance(12 * time.Second)
	f.send(t, a, b)
	if n := f.auths.Load(); n != 2 {
		t.Fatalf("%d full checks of the caller, want the first send's 2: the tab whose heartbeat shared the other's check relies on it too", n)
	}
}

func TestUserStream_OtherPrivateRoomsRowsDoNotSendTheStreamToItsOwnRead(t *testing.T) {
	t.Parallel()
	f := newTailFixture(t)
	ctx := t.Context()
	other, err := f.st.CreateUser(ctx, torii.User{Email: "other@example.com", EmailVerified: true, Name: "Other", CreatedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := f.st.CreateRoom(ctx, torii.Room{Name: "theirs", Visibility: torii.RoomPrivate, CreatedBy: &other.ID, CreatedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	us := f.openStream(t, f.user, "s1")
	// A busy server: messages in a room the user is not in come between
	// the user's own room's.
	var want, got []int64
	for i := range 20 {
		m, _, err := f.st.CreateMessage(ctx, torii.Message{RoomID: theirs.ID, UserID: &other.ID, Body: fmt.Sprint("theirs ", i)})
		if err != nil {
			t.Fatal(err)
		}
		f.publish(t, theirs.ID, m.ID)
		id := f.post(t, 1)
		want = append(want, id)
		f.publish(t, f.room.ID, id)
		<-us.Ready()
		got = append(got, drain(t, us)...)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("the stream sent messages %v, want its own room's %v", got, want)
	}
	if n := f.st.forUser.Load(); n != 0 {
		t.Fatalf("the stream read the log alone %d times for rows of a private room its user is not in", n)
	}
}

func TestLogTail_AStreamAheadOfTheTailDoesNotDropTheRowsOthersNeed(t *testing.T) {
	t.Parallel()
	f := newTailFixture(t)
	start := f.lastEvent(t)
	first := f.post(t, 10)
	behind, ok, err := f.s.tailPage(t.Context(), start, first)
	if !ok || err != nil {
		t.Fatalf("ok %v, err %v", ok, err)
	}
	pos := behind[len(behind)-1].ID
	// Five more messages; one stream's own read of the database has
	// already taken it past them, ahead of the tail.
	want := f.post(t, 5)
	ahead := f.lastEvent(t)
	if _, ok, err := f.s.tailPage(t.Context(), ahead, want); !ok || err != nil {
		t.Fatalf("the stream ahead: ok %v, err %v", ok, err)
	}
	// The stream that was at the tail's old top still reads through it.
	got, ok, err := f.s.tailPage(t.Context(), pos, want)
	db, _ := f.st.Store.ChatEventsAfter(t.Context(), pos, streamPage)
	if !ok || err != nil || !slices.Equal(eventIDs(got), eventIDs(db)) {
		t.Fatalf("the stream behind: ok %v, err %v, %v; the log holds %v", ok, err, eventIDs(got), eventIDs(db))
	}
}

// groupFixture is a group of two, a group room of theirs, and a user
// stream for each.
type groupFixture struct {
	*tailFixture
	other   torii.User
	group   torii.Group
	room    torii.Room
	streams []*UserStream
}

func newGroupFixture(t *testing.T) *groupFixture {
	t.Helper()
	ctx := t.Context()
	f := &groupFixture{tailFixture: newTailFixture(t)}
	var err error
	if f.other, err = f.st.CreateUser(ctx, torii.User{Email: "other@example.com", EmailVerified: true, Name: "Other", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if f.group, err = f.st.CreateGroup(ctx, torii.Group{Name: "team", CreatedBy: &f.user.ID, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	for _, u := range []torii.User{f.user, f.other} {
		if err := f.st.SetGroupMember(ctx, torii.GroupMember{GroupID: f.group.ID, UserID: u.ID, Role: torii.GroupRoleMember, CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	if f.room, err = f.st.CreateRoom(ctx, torii.Room{Name: "team", Visibility: torii.RoomGroup, GroupID: &f.group.ID, CreatedBy: &f.user.ID, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	f.streams = []*UserStream{f.openStream(t, f.user, "s0"), f.openStream(t, f.other, "s1")}
	return f
}

// postInRoom stores a message of the first user in the group room and
// publishes its wake-up.
func (f *groupFixture) postInRoom(t *testing.T) int64 {
	t.Helper()
	m, _, err := f.st.CreateMessage(t.Context(), torii.Message{RoomID: f.room.ID, UserID: &f.user.ID, Body: "hello team"})
	if err != nil {
		t.Fatal(err)
	}
	f.publish(t, f.room.ID, m.ID)
	return m.ID
}

// drain returns the ids of the messages a stream sends now.
func drain(t *testing.T, us *UserStream) []int64 {
	t.Helper()
	var got []int64
	for more := true; more; {
		evs, m, err := us.Next(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		more = m
		for _, e := range evs {
			if e.Message != nil {
				got = append(got, e.Message.ID)
			}
		}
	}
	return got
}

func TestUserStream_GroupRoomRowsAreDecidedByOneSharedReadOfTheGroup(t *testing.T) {
	t.Parallel()
	f := newGroupFixture(t)
	reads := f.st.groupReads.Load()
	for range 5 {
		id := f.postInRoom(t)
		for _, us := range f.streams {
			<-us.Ready()
			if got := drain(t, us); !slices.Equal(got, []int64{id}) {
				t.Fatalf("stream of user %d sent %v, want [%d]", us.UserID(), got, id)
			}
		}
	}
	if n := f.st.forUser.Load(); n != 0 {
		t.Fatalf("the streams read the log alone %d times for a group room's rows", n)
	}
	if n := f.st.groupReads.Load() - reads; n > 5 {
		t.Fatalf("%d reads of the group for 5 messages and 2 streams, want at most one per message", n)
	}
}

func TestUserStream_AMemberRemovedFromTheGroupGetsNoLaterMessageBeforeTheAccessEvent(t *testing.T) {
	t.Parallel()
	f := newGroupFixture(t)
	first := f.postInRoom(t)
	other := f.streams[1]
	<-other.Ready()
	if got := drain(t, other); !slices.Equal(got, []int64{first}) {
		t.Fatalf("before the removal the member's stream sent %v, want [%d]", got, first)
	}
	// The removal commits; its access event has not reached the stream
	// (it is published after the commit, by another goroutine) when the
	// next message's wake-up does.
	if err := f.st.RemoveGroupMember(t.Context(), f.group.ID, f.other.ID); err != nil {
		t.Fatal(err)
	}
	second := f.postInRoom(t)
	<-other.Ready()
	if got := drain(t, other); len(got) != 0 {
		t.Fatalf("after the removal the stream sent messages %v (the second is %d)", got, second)
	}
	// The member still in the group gets it.
	<-f.streams[0].Ready()
	if got := drain(t, f.streams[0]); !slices.Equal(got, []int64{first, second}) {
		t.Fatalf("the remaining member's stream sent %v, want [%d %d]", got, first, second)
	}
}
