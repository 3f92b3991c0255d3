package web_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/app"
	"github.com/toriihq/torii/sqlstore"
	"github.com/toriihq/torii/testserver"
)

func TestAudit_OldEventsPrunedInTheBackgroundAfterTheRetention(t *testing.T) {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	path := filepath.Join(t.TempDir(), "torii.db")
	st, err := sqlstore.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, age := range []time.Duration{49 * time.Hour, 47 * time.Hour, time.Minute} {
		if _, err := st.AppendAudit(t.Context(), torii.AuditEvent{At: now.Add(-age), Event: torii.AuditLogout, Email: age.String()}); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()

	pruned := make(chan error, 10)
	clock := testserver.NewClock(now)
	srv := testserver.Start(t, testserver.Options{
		Env:        map[string]string{"TORII_DATABASE": path, "TORII_AUDIT_RETENTION": "48h"},
		AppOptions: app.Options{Now: clock.Now, Hasher: testserver.FastHasher(), AfterPrune: func(err error) { pruned <- err }},
	})
	if err := <-pruned; err != nil {
		t.Fatalf("prune: %v", err)
	}
	var kept []string
	for _, e := range auditEvents(t, srv, torii.AuditLogout) {
		kept = append(kept, e.Email)
	}
	if len(kept) != 2 || kept[0] != "1m0s" || kept[1] != "47h0m0s" {
		t.Fatalf("events kept = %v, want the two younger than 48h", kept)
	}
}
