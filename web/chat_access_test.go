package web_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/app"
	"github.com/toriihq/torii/sqlstore"
	"github.com/toriihq/torii/testserver"
)

func TestChat_StreamEndsWhenSessionRevoked(t *testing.T) {
	srv := chatServer(t)
	laptop, phone := srv.Client(t), srv.Client(t)
	registerUser(t, laptop, "ann@example.com", "Ann")
	login(phone, "ann@example.com", goodPassword)
	g := general(t, laptop)
	onPhone := openStream(t, srv, phone, g, "")
	onLaptop := openStream(t, srv, laptop, g, "")
	// "Sign out every other device" from the laptop.
	if r := laptop.Do("DELETE", "/api/v1/me/sessions", nil); r.Status != http.StatusNoContent {
		t.Fatalf("revoke others: %d %s", r.Status, r.Body)
	}
	onPhone.wantEnded(t, "its session was revoked")
	m := send(t, laptop, g, "still here", "")
	if got := onLaptop.nextMessage(t); got.ID != m.ID {
		t.Errorf("the laptop's stream got %d, want %d", got.ID, m.ID)
	}
	wantError(t, phone.Do("GET", fmt.Sprintf("/api/v1/rooms/%d/messages", g), nil), http.StatusUnauthorized, "UNAUTHORIZED")
	// Logout ends the laptop's own stream too.
	laptop.Do("POST", "/api/v1/auth/logout", nil)
	onLaptop.wantEnded(t, "logout")
}

func TestChat_StreamEndsWhenUserDeactivated(t *testing.T) {
	srv := chatServer(t)
	ann := srv.Client(t)
	registerUser(t, ann, "ann@example.com", "Ann")
	g := general(t, ann)
	s := openStream(t, srv, ann, g, "")
	// The CLI is another process: the stream learns it at its next
	// heartbeat re-check, from the database.
	if out, code := srv.CLI(t, "", "user", "set-status", "ann@example.com", "inactive"); code != 0 {
		t.Fatalf("set-status: %d %s", code, out)
	}
	s.wantEnded(t, "the user was deactivated")
	// Deactivation revoked the session too.
	wantError(t, ann.Do("GET", fmt.Sprintf("/api/v1/rooms/%d/messages", g), nil), http.StatusUnauthorized, "UNAUTHORIZED")
}

func openStore(t *testing.T, srv *testserver.Server) *sqlstore.Store {
	t.Helper()
	st, err := sqlstore.Open(t.Context(), srv.Database)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestChat_GroupRoomOnlyForMembersAndStreamEndsOnRemoval(t *testing.T) {
	srv := chatServer(t)
	ann, bob := srv.Client(t), srv.Client(t)
	registerUser(t, ann, "ann@example.com", "Ann")
	registerUser(t, bob, "bob@example.com", "Bob")
	st := openStore(t, srv)
	ctx := t.Context()
	acme, err := st.CreateGroup(ctx, torii.Group{Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	annID := userID(t, ann)
	if err := st.SetGroupMember(ctx, torii.GroupMember{GroupID: acme.ID, UserID: annID, Role: torii.GroupRoleMember}); err != nil {
		t.Fatal(err)
	}
	// Only members create a group's rooms; an unknown group is 404.
	wantError(t, bob.Do("POST", "/api/v1/rooms", map[string]any{"name": "x", "visibility": "group", "groupId": acme.ID}), http.StatusForbidden, "FORBIDDEN")
	wantError(t, bob.Do("POST", "/api/v1/rooms", map[string]any{"name": "x", "visibility": "group", "groupId": 999999}), http.StatusNotFound, "NOT_FOUND")
	room := createRoom(t, ann, map[string]any{"name": "acme", "visibility": "group", "groupId": acme.ID})
	send(t, ann, room.ID, "members only", "")
	for _, path := range []string{"/messages", "/events"} {
		wantError(t, bob.Do("GET", fmt.Sprintf("/api/v1/rooms/%d%s", room.ID, path), nil), http.StatusNotFound, "NOT_FOUND")
	}
	s := openStream(t, srv, ann, room.ID, "0")
	if m := s.nextMessage(t); m.Body != "members only" {
		t.Fatalf("replayed %+v", m)
	}
	if err := st.RemoveGroupMember(ctx, acme.ID, annID); err != nil {
		t.Fatal(err)
	}
	s.wantEnded(t, "ann left the group")
	wantError(t, ann.Do("GET", fmt.Sprintf("/api/v1/rooms/%d/messages", room.ID), nil), http.StatusNotFound, "NOT_FOUND")
}

// TestChat_SlowSubscriberIsDisconnectedWithoutBlockingOthers: a client
// that stops reading is cut off after the write timeout, while senders and
// a reading subscriber carry on.
func TestChat_SlowSubscriberIsDisconnectedWithoutBlockingOthers(t *testing.T) {
	srv := chatServer(t)
	ann := srv.Client(t)
	cookie := sessionCookie(t, registerUser(t, ann, "ann@example.com", "Ann"))
	g := general(t, ann)
	// The slow client: a raw connection with a tiny receive buffer that
	// reads the headers and then nothing.
	conn := dialSlowReader(t, srv)
	fmt.Fprintf(conn, "GET /api/v1/rooms/%d/events HTTP/1.1\r\nHost: x\r\nCookie: %s=%s\r\n\r\n", g, cookie.Name, cookie.Value)
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("slow client's stream: %v %v", resp, err)
	}
	fast := openStream(t, srv, ann, g, "")
	const n = 800 // 800 × 8 KiB: far more than the socket buffers hold
	body := strings.Repeat("x", 8<<10)
	var last int64
	for i := range n {
		last = send(t, ann, g, body, fmt.Sprint(i)).ID
	}
	for {
		if m := fast.nextMessage(t); m.ID == last {
			break
		}
	}
	// The slow client now reads: it finds the stream ended by the server
	// (EOF or reset), not all n messages.
	conn.SetReadDeadline(time.Now().Add(streamWait))
	data, err := io.ReadAll(br)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("the slow client's stream is still open (read %d bytes, %d messages)", len(data), strings.Count(string(data), "event: message"))
	}
	if got := strings.Count(string(data), "event: message"); got >= n {
		t.Errorf("slow client received all %d messages; it was never cut off", got)
	}
}

func TestChat_ShutdownClosesStreamsWithReconnectHint(t *testing.T) {
	srv := chatServer(t)
	ann := srv.Client(t)
	registerUser(t, ann, "ann@example.com", "Ann")
	s := openStream(t, srv, ann, general(t, ann), "")
	stopped := make(chan struct{})
	go func() { srv.Stop(); close(stopped) }()
	var retry string
	timeout := time.After(streamWait)
	for retry == "" {
		e, ok := s.recv(t, timeout, "retry hint")
		if !ok {
			t.Fatal("stream ended without a retry hint")
		}
		retry = e.Retry
	}
	s.wantEnded(t, "shutdown")
	<-stopped
}

// An admin's deactivation reaches the stream through the broker, not the
// heartbeat: the heartbeat here is longer than the test's deadline.
func TestChat_StreamEndsAtOnceWhenAdminDeactivatesUser(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{Env: adminEnv, AppOptions: app.Options{
		Hasher: testserver.FastHasher(), ChatHeartbeat: time.Hour,
	}})
	boss := adminClient(t, srv)
	ann := srv.Client(t)
	registerUser(t, ann, "ann@example.com", "Ann")
	s := openStream(t, srv, ann, general(t, ann), "")
	if r := patchUser(boss, userID(t, ann), map[string]any{"status": "inactive"}); r.Status != http.StatusOK {
		t.Fatalf("deactivate: %d %s", r.Status, r.Body)
	}
	s.wantEnded(t, "an admin deactivated the user")
}
