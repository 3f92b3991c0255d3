package service

import (
	"testing"
	"time"

	"github.com/toriihq/torii"
)

// TestExport_PartsPastTheirBoundAreCutAndSaySo: an export keeps the
// oldest messages and audit events up to its bounds and says which part
// was cut; a part that fits exactly is not called cut. (The real bounds
// are 100,000 and 10,000: the same functions run with small ones here.)
func TestExport_PartsPastTheirBoundAreCutAndSaySo(t *testing.T) {
	st := migratedSQLite(t)
	ctx := t.Context()
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	s := New(Options{Store: st, Now: func() time.Time { return t0 }})
	u, err := st.CreateUser(ctx, torii.User{Email: "ann@example.com", Name: "Ann", Status: torii.StatusActive, CreatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	room, err := st.CreateRoom(ctx, torii.Room{Name: "r", Visibility: torii.RoomPublic, CreatedBy: &u.ID, CreatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	var first int64
	for i := range 3 {
		m, _, err := st.CreateMessage(ctx, torii.Message{RoomID: room.ID, UserID: &u.ID, Author: torii.AuthorUser, Body: "m", Status: torii.MessageComplete, CreatedAt: t0})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = m.ID
		}
		if _, err := st.AppendAudit(ctx, torii.AuditEvent{At: t0, Event: torii.AuditProfile, UserID: &u.ID, Email: u.Email}); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		limit int
		cut   bool
	}{{3, false}, {4, false}, {2, true}, {1, true}} {
		msgs, cut, err := s.exportMessages(ctx, u.ID, c.limit)
		if err != nil || cut != c.cut || len(msgs) != min(3, c.limit) || msgs[0].ID != first {
			t.Errorf("messages, limit %d: %d kept, cut %v, err %v; want %d from the oldest, cut %v", c.limit, len(msgs), cut, err, min(3, c.limit), c.cut)
		}
		audit, cut, err := s.exportAudit(ctx, u.ID, c.limit)
		if err != nil || cut != c.cut || len(audit) != min(3, c.limit) {
			t.Errorf("audit, limit %d: %d kept, cut %v, err %v; want %d, cut %v", c.limit, len(audit), cut, err, min(3, c.limit), c.cut)
		}
	}
}
