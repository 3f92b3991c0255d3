package chat

import (
	"errors"
	"fmt"
	"testing"
)

func delta(room int64, i int) Event {
	return Event{Kind: KindAssistantDelta, RoomID: room, Data: []byte(fmt.Sprintf(`{"text":"%d"}`, i))}
}

func TestBroker_SlowSubscriberIsEndedWithoutBlockingOthers(t *testing.T) {
	b := NewLocal()
	defer b.Close()
	slow := b.Subscribe(1, 10)
	defer slow.Close()
	fast := b.Subscribe(1, 11)
	defer fast.Close()
	var got int
	// Publish returns at once however far behind slow is: were it to
	// block, this loop would never end.
	for i := range 10 * QueueLimit {
		if err := b.Publish(t.Context(), delta(1, i)); err != nil {
			t.Fatal(err)
		}
		evs, err := fast.Take()
		if err != nil {
			t.Fatalf("the fast subscriber was ended: %v", err)
		}
		got += len(evs)
	}
	if got != 10*QueueLimit {
		t.Errorf("fast subscriber got %d events, want %d", got, 10*QueueLimit)
	}
	evs, err := slow.Take()
	if !errors.Is(err, ErrSlow) || len(evs) != 0 {
		t.Errorf("slow subscriber: %d events, err %v; want none and ErrSlow", len(evs), err)
	}
}

func TestBroker_MessageWakeUpsMergeSoMemoryStaysBounded(t *testing.T) {
	b := NewLocal()
	defer b.Close()
	s := b.Subscribe(1, 10)
	defer s.Close()
	for i := range int64(100 * QueueLimit) {
		b.Publish(t.Context(), Event{Kind: KindMessage, RoomID: 1, MessageID: i + 1})
	}
	evs, err := s.Take()
	if err != nil || len(evs) != 1 || evs[0].MessageID != 100*QueueLimit {
		t.Errorf("Take = %+v, %v; want one wake-up up to %d", evs, err, 100*QueueLimit)
	}
}

func TestBroker_KeepsOrderOfDeltasAndWakeUps(t *testing.T) {
	b := NewLocal()
	defer b.Close()
	s := b.Subscribe(1, 10)
	defer s.Close()
	b.Publish(t.Context(), delta(1, 0))
	b.Publish(t.Context(), Event{Kind: KindMessage, RoomID: 1, MessageID: 5})
	b.Publish(t.Context(), Event{Kind: KindAssistantDone, RoomID: 1})
	evs, _ := s.Take()
	var kinds []string
	for _, e := range evs {
		kinds = append(kinds, e.Kind)
	}
	if fmt.Sprint(kinds) != fmt.Sprint([]string{KindAssistantDelta, KindMessage, KindAssistantDone}) {
		t.Errorf("kinds = %v", kinds)
	}
}

func TestBroker_DeliversOnlyToTheRoomAndAccessOnlyToTheUser(t *testing.T) {
	b := NewLocal()
	defer b.Close()
	a := b.Subscribe(1, 10)
	other := b.Subscribe(2, 11)
	b.Publish(t.Context(), Event{Kind: KindMessage, RoomID: 1, MessageID: 1})
	b.Publish(t.Context(), Event{Kind: KindAccess, UserID: 11})
	if evs, _ := a.Take(); len(evs) != 1 || evs[0].Kind != KindMessage {
		t.Errorf("room 1 subscriber got %+v", evs)
	}
	if evs, _ := other.Take(); len(evs) != 1 || evs[0].Kind != KindAccess {
		t.Errorf("user 11's subscriber got %+v", evs)
	}
	a.Close()
	a.Close() // twice is fine
	other.Close()
	if n := b.Len(); n != 0 {
		t.Errorf("%d subscriptions left after Close", n)
	}
}

func TestBroker_CloseEndsSubscriptionsAndResyncWakesAll(t *testing.T) {
	b := NewLocal()
	s := b.Subscribe(1, 10)
	b.Resync()
	<-s.Ready()
	evs, err := s.Take()
	if err != nil || len(evs) != 2 || evs[0].Kind != KindMessage || evs[1].Kind != KindAccess {
		t.Errorf("after Resync: %+v, %v", evs, err)
	}
	b.Close()
	<-s.Ready()
	if _, err := s.Take(); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: err %v, want ErrClosed", err)
	}
	if err := b.Publish(t.Context(), delta(1, 0)); !errors.Is(err, ErrClosed) {
		t.Errorf("Publish after Close: %v", err)
	}
	if _, err := b.Subscribe(1, 10).Take(); !errors.Is(err, ErrClosed) {
		t.Errorf("Subscribe after Close: %v", err)
	}
}
