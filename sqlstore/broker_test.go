package sqlstore

import (
	"fmt"
	"log/slog"
	"math"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/toriihq/torii/chat"
)

// brokerPair opens two stores on one migrated schema of its own, as two instances would,
// and a chat broker on each.
func brokerPair(t *testing.T) (a, b *pgBroker, admin *Store) {
	t.Helper()
	s1, schema := openPostgresMigrated(t)
	u, err := url.Parse(postgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	s2, err := Open(t.Context(), u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s2.Close() })
	log := slog.New(slog.DiscardHandler)
	var brokers []*pgBroker
	for _, s := range []*Store{s1, s2} {
		br, err := s.Broker(t.Context(), log)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { br.Close() })
		brokers = append(brokers, br.(*pgBroker))
	}
	return brokers[0], brokers[1], s1
}

// collect takes events from sub until it has n of them or the subscription
// ends, failing after a generous deadline (a lost event, not slowness).
func collect(t *testing.T, sub *chat.Subscription, n int) []chat.Event {
	t.Helper()
	var got []chat.Event
	deadline := time.After(20 * time.Second)
	for len(got) < n {
		select {
		case <-sub.Ready():
		case <-deadline:
			t.Fatalf("got %d events, want %d: %+v", len(got), n, got)
		}
		evs, err := sub.Take()
		got = append(got, evs...)
		if err != nil {
			t.Fatalf("subscription ended: %v after %+v", err, got)
		}
	}
	return got
}

func delta(room int64, i int) chat.Event {
	return chat.Event{Kind: chat.KindAssistantDelta, RoomID: room, Data: fmt.Appendf(nil, `{"i":%d}`, i)}
}

// TestPGBroker_EventsFromAReachBInOrder: what one instance publishes
// reaches the subscribers of the room on another, in publication order,
// with the payload intact; the publisher's own subscribers get it once.
func TestPGBroker_EventsFromAReachBInOrder(t *testing.T) {
	t.Parallel()
	a, b, _ := brokerPair(t)
	onB, onA := b.Subscribe(1, 10), a.Subscribe(1, 11)
	defer onB.Close()
	defer onA.Close()
	otherRoom := b.Subscribe(2, 12)
	defer otherRoom.Close()
	const n = 50
	for i := range n {
		if err := a.Publish(t.Context(), delta(1, i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Publish(t.Context(), chat.Event{Kind: chat.KindMessage, RoomID: 1, MessageID: 42}); err != nil {
		t.Fatal(err)
	}
	for name, sub := range map[string]*chat.Subscription{"B": onB, "A (local)": onA} {
		got := collect(t, sub, n+1)
		for i := range n {
			if got[i].Kind != chat.KindAssistantDelta || string(got[i].Data) != fmt.Sprintf(`{"i":%d}`, i) {
				t.Fatalf("%s: event %d = %+v %s, want delta %d", name, i, got[i], got[i].Data, i)
			}
		}
		if last := got[n]; last.Kind != chat.KindMessage || last.MessageID != 42 || last.RoomID != 1 {
			t.Fatalf("%s: last event %+v, want the wake-up for message 42", name, last)
		}
	}
	// A marker published by B after everything above reaches A after A's
	// own notifications (one listener receives in commit order): if A
	// delivered its own events a second time, they would come before it.
	if err := b.Publish(t.Context(), delta(1, -1)); err != nil {
		t.Fatal(err)
	}
	if got := collect(t, onA, 1); len(got) != 1 || string(got[0].Data) != `{"i":-1}` {
		t.Fatalf("A after B's marker: %+v, want the marker alone (no echo of A's own events)", got)
	}
	if evs, _ := otherRoom.Take(); len(evs) != 0 {
		t.Fatalf("a subscriber of room 2 got room 1's events: %+v", evs)
	}
}

// TestPGBroker_AccessEventsReachTheUsersStreamsEverywhere: a deactivation
// or revocation on A reaches every subscription of that user on B,
// whatever its room, and no one else's.
func TestPGBroker_AccessEventsReachTheUsersStreamsEverywhere(t *testing.T) {
	t.Parallel()
	a, b, _ := brokerPair(t)
	ann1, ann2, bob := b.Subscribe(1, 7), b.Subscribe(2, 7), b.Subscribe(1, 8)
	for _, s := range []*chat.Subscription{ann1, ann2, bob} {
		defer s.Close()
	}
	if err := a.Publish(t.Context(), chat.Event{Kind: chat.KindAccess, UserID: 7, SessionID: "s1"}); err != nil {
		t.Fatal(err)
	}
	for _, sub := range []*chat.Subscription{ann1, ann2} {
		if got := collect(t, sub, 1); got[0].Kind != chat.KindAccess || got[0].UserID != 7 || got[0].SessionID != "s1" {
			t.Fatalf("ann's stream got %+v, want the access event", got)
		}
	}
	// A later event of room 1 reaches bob after the access event would
	// have (same publisher, same listener): he had none.
	if err := a.Publish(t.Context(), delta(1, 0)); err != nil {
		t.Fatal(err)
	}
	if got := collect(t, bob, 1); got[0].Kind != chat.KindAssistantDelta {
		t.Fatalf("bob got %+v, want only the room's delta", got)
	}
}

// TestPGBroker_KilledListenerReconnectsAndResyncs: when the listener's
// connection is killed (pg_terminate_backend), the broker reconnects and
// wakes every subscriber to re-read the database — events NOTIFYed while
// it was away are lost, so the streams catch up from the store — and
// delivery resumes.
func TestPGBroker_KilledListenerReconnectsAndResyncs(t *testing.T) {
	t.Parallel()
	a, b, admin := brokerPair(t)
	sub := b.Subscribe(1, 7)
	defer sub.Close()
	b.mu.Lock()
	pid := b.listenerPID
	b.mu.Unlock()
	var killed bool
	if err := admin.write.QueryRowContext(t.Context(), `SELECT pg_terminate_backend($1)`, int64(pid)).Scan(&killed); err != nil || !killed {
		t.Fatalf("pg_terminate_backend(%d) = %v, %v", pid, killed, err)
	}
	got := collect(t, sub, 2)
	if got[0].Kind != chat.KindMessage || got[0].MessageID != math.MaxInt64 || got[1].Kind != chat.KindAccess || got[1].UserID != 7 {
		t.Fatalf("after the kill: %+v, want a resync (wake-up for everything, access re-check)", got)
	}
	b.mu.Lock()
	if b.listenerPID == pid {
		t.Errorf("listener backend still %d after the kill", pid)
	}
	b.mu.Unlock()
	if err := a.Publish(t.Context(), delta(1, 1)); err != nil {
		t.Fatal(err)
	}
	if got := collect(t, sub, 1); string(got[0].Data) != `{"i":1}` {
		t.Fatalf("after the reconnect: %+v, want the new delta", got)
	}
}

// TestPGBroker_CloseEndsSubscriptionsAndPublish.
func TestPGBroker_CloseEndsSubscriptionsAndPublish(t *testing.T) {
	t.Parallel()
	a, _, _ := brokerPair(t)
	sub := a.Subscribe(1, 7)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	<-sub.Ready()
	if _, err := sub.Take(); err != chat.ErrClosed {
		t.Errorf("subscription after Close: %v, want ErrClosed", err)
	}
	if err := a.Publish(t.Context(), delta(1, 0)); err != chat.ErrClosed {
		t.Errorf("Publish after Close: %v, want ErrClosed", err)
	}
}

// TestPGBroker_PayloadLimits: the largest ephemeral event the contract
// allows fits in a NOTIFY; a payload that is not JSON is refused before
// anything is delivered.
func TestPGBroker_PayloadLimits(t *testing.T) {
	t.Parallel()
	a, b, _ := brokerPair(t)
	sub := b.Subscribe(1, 7)
	defer sub.Close()
	big := `{"text":"` + strings.Repeat("é", (chat.MaxDataSize-12)/2) + `"}`
	if len(big) > chat.MaxDataSize {
		t.Fatalf("test payload %d bytes, over MaxDataSize", len(big))
	}
	if err := a.Publish(t.Context(), chat.Event{Kind: chat.KindAssistantDelta, RoomID: 1, Data: []byte("not json")}); err == nil {
		t.Error("Publish of a non-JSON payload succeeded")
	}
	if err := a.Publish(t.Context(), chat.Event{Kind: chat.KindAssistantDelta, RoomID: 1, Data: []byte(big)}); err != nil {
		t.Fatalf("Publish of a %d-byte payload: %v", len(big), err)
	}
	if got := collect(t, sub, 1); string(got[0].Data) != big {
		t.Fatalf("payload changed in transit: %d bytes, want %d", len(got[0].Data), len(big))
	}
}

// TestBroker_SQLiteIsLocal: one SQLite instance needs no transport.
func TestBroker_SQLiteIsLocal(t *testing.T) {
	s := openSQLiteTest(t)
	br, err := s.Broker(t.Context(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer br.Close()
	if _, ok := br.(*chat.Local); !ok {
		t.Fatalf("SQLite broker is %T, want *chat.Local", br)
	}
}
