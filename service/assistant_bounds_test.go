package service_test

import (
	"context"
	"iter"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/chat"
	"github.com/toriihq/torii/service"
	"github.com/toriihq/torii/sqlstore"
	"github.com/toriihq/torii/testserver"
)

// panicModel is a model whose reply panics mid-way: a fault injected into
// the reply goroutine (nothing real panics on demand).
type panicModel struct{}

func (panicModel) Stream(context.Context, []service.AssistantTurn) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		if yield("half an answer", nil) {
			panic("injected reply panic")
		}
	}
}

// A panic in an assistant reply's goroutine is logged with the asking
// request's id, the room hears assistant.error, the room may ask again,
// and the process goes on.
func TestAssistant_PanicInReplyIsLoggedAndTheRoomRecovers(t *testing.T) {
	ctx := t.Context()
	st, err := sqlstore.Open(ctx, filepath.Join(t.TempDir(), "torii.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	broker := chat.NewLocal()
	t.Cleanup(func() { broker.Close() })
	logs := &testserver.SyncBuffer{}
	s := service.New(service.Options{Store: st, Broker: broker, Hasher: testserver.FastHasher(), Now: time.Now,
		Logger: slog.New(slog.NewTextHandler(logs, nil)), PasswordLogin: true, Signup: "auto", DefaultGroup: "everyone",
		Issuer: "http://torii.test", Assistant: panicModel{}})
	si, err := s.Register(ctx, service.RegisterInput{Email: "ada@example.com", Password: "correct horse battery staple", Name: "Ada"}, service.Meta{IP: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.Authenticate(ctx, si.Token)
	if err != nil {
		t.Fatal(err)
	}
	room, err := s.CreateRoom(ctx, p, service.RoomInput{Name: "Ask", Visibility: "private", Assistant: true})
	if err != nil {
		t.Fatal(err)
	}
	sub := broker.Subscribe(room.ID, p.User.ID)
	defer sub.Close()

	for i, id := range []string{"req-panic-1", "req-panic-2"} {
		// The second message proves the room's reply slot was freed.
		if _, _, err := s.PostMessage(torii.WithRequestID(ctx, id), p, room.ID, "hello", id); err != nil {
			t.Fatalf("message %d: %v", i+1, err)
		}
		ev := waitForKind(t, sub, chat.KindAssistantError)
		if !strings.Contains(string(ev.Data), `"code":"`+torii.AssistantFailed+`"`) {
			t.Fatalf("assistant.error %s", ev.Data)
		}
		line := ""
		for l := range strings.Lines(logs.String()) {
			if strings.Contains(l, "panic in assistant reply") && strings.Contains(l, "request_id="+id) {
				line = l
			}
		}
		if !strings.Contains(line, "injected reply panic") {
			t.Fatalf("no panic log line for %s:\n%s", id, logs.String())
		}
	}
	// Every reply goroutine has ended and released its run.
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := s.CloseAssistant(cctx); err != nil {
		t.Fatalf("replies still running: %v", err)
	}
}

func waitForKind(t *testing.T, sub *chat.Subscription, kind string) chat.Event {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		evs, err := sub.Take()
		for _, e := range evs {
			if e.Kind == kind {
				return e
			}
		}
		if err != nil {
			t.Fatalf("subscription ended: %v", err)
		}
		select {
		case <-sub.Ready():
		case <-timeout:
			t.Fatalf("no %s event", kind)
		}
	}
}
