package web_test

import (
	"testing"
	"time"

	"github.com/toriihq/torii"
)

// TestTeamChat_HeartbeatEndsTheUserStreamOfASessionRevokedWithoutAnEvent:
// a user stream's heartbeat re-reads its session from the database (not
// only the principal cache), so a revocation that published no access
// event (written straight to the store, as another process would) still
// ends the stream at the next heartbeat.
func TestTeamChat_HeartbeatEndsTheUserStreamOfASessionRevokedWithoutAnEvent(t *testing.T) {
	srv := teamServer(t, "")
	ann, annID := teamMember(t, srv, "ann@example.com", "Ann")
	events := openEvents(t, srv, ann, "")
	st := openStore(t, srv)
	ctx := t.Context()
	sessions, err := st.ListUserSessions(ctx, annID, time.Now().UTC())
	if err != nil || len(sessions) == 0 {
		t.Fatalf("sessions: %v, %d", err, len(sessions))
	}
	for _, s := range sessions {
		if err := st.RevokeSession(ctx, annID, s.ID, time.Now().UTC()); err != nil {
			t.Fatal(err)
		}
	}
	events.wantEnded(t, "the session was revoked in the database")
}

// TestTeamChat_HeartbeatEndsTheUserStreamOfAUserDeactivatedWithoutAnEvent:
// the heartbeat re-reads the user too.
func TestTeamChat_HeartbeatEndsTheUserStreamOfAUserDeactivatedWithoutAnEvent(t *testing.T) {
	srv := teamServer(t, "")
	ann, annID := teamMember(t, srv, "ann@example.com", "Ann")
	events := openEvents(t, srv, ann, "")
	st := openStore(t, srv)
	if _, err := st.SetUserStatus(t.Context(), annID, torii.StatusInactive, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	events.wantEnded(t, "the user was deactivated in the database")
}
