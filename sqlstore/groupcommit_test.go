package sqlstore

import (
	"fmt"
	"testing"
	"time"

	"github.com/toriihq/torii"
)

// A group commit writes its batch in multi-row INSERTs of 16, 8, 4, 2 and
// 1 rows: every batch size must write each session and each audit event
// exactly once, with its own values.
func TestSQLite_SignInBatchOfAnySizeWritesEachRowOnce(t *testing.T) {
	s := openSQLiteTest(t)
	ctx := t.Context()
	u, err := s.CreateUser(ctx, torii.User{Email: "ann@example.com", Status: torii.StatusActive})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	total := 0
	for _, size := range []int{1, 2, 3, 7, 16, 17, 31, maxBatch} {
		var batch []*signInRows
		for i := range size {
			id := fmt.Sprintf("b%d-%d", size, i)
			at := t0.Add(time.Duration(total+i) * time.Second)
			batch = append(batch, &signInRows{
				ss: torii.Session{ID: id, UserID: u.ID, IP: "ip-" + id, UserAgent: "ua-" + id, CreatedAt: at, LastActivity: at, ExpiresAt: at.Add(time.Hour)},
				e:  torii.AuditEvent{At: at, Event: torii.AuditSignInSuccess, UserID: &u.ID, Email: u.Email, IP: "ip-" + id, Detail: map[string]any{"id": id}},
			})
		}
		if err := s.inTx(ctx, func(c conn) error { return s.insertSignIns(ctx, c, batch) }); err != nil {
			t.Fatalf("batch of %d: %v", size, err)
		}
		total += size
		for _, w := range batch {
			got, err := s.SessionByID(ctx, w.ss.ID)
			if err != nil || got.IP != w.ss.IP || got.UserAgent != w.ss.UserAgent || !got.CreatedAt.Equal(w.ss.CreatedAt) {
				t.Fatalf("batch of %d: session %s read back as %+v, %v", size, w.ss.ID, got, err)
			}
			var n int
			var ip string
			if err := s.read.QueryRowContext(ctx, `SELECT COUNT(*), MAX(ip) FROM audit_log WHERE json_extract(detail, '$.id') = ?`, w.ss.ID).Scan(&n, &ip); err != nil || n != 1 || ip != w.e.IP {
				t.Fatalf("batch of %d: %d audit events for %s (ip %q), want 1: %v", size, n, w.ss.ID, ip, err)
			}
		}
	}
	var sessions, events int
	if err := s.read.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM sessions), (SELECT COUNT(*) FROM audit_log)`).Scan(&sessions, &events); err != nil {
		t.Fatal(err)
	}
	if sessions != total || events != total {
		t.Fatalf("%d sessions and %d audit events, want %d of each", sessions, events, total)
	}
}
