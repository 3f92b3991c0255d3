package web_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/toriihq/torii/app"
	"github.com/toriihq/torii/testserver"
)

// quietServer starts torii with a heartbeat far beyond any test, so a
// stream that ends was ended by the access change, not by the periodic
// re-check. watch is the audit log watch's interval: short for the
// TestAccessWatch_ tests, which prove it; beyond any test for the others,
// so that only the in-process broker can end their streams.
func quietServer(t *testing.T, env map[string]string, watch time.Duration) *testserver.Server {
	t.Helper()
	return testserver.Start(t, testserver.Options{Env: env, AppOptions: app.Options{
		Hasher: testserver.FastHasher(), ChatHeartbeat: time.Hour, AccessWatchInterval: watch,
	}})
}

// watchNever and watchOften are quietServer's two audit log watches.
const (
	watchNever = time.Hour
	watchOften = 100 * time.Millisecond
)

func TestAdmin_DeactivationEndsLiveEventStreams(t *testing.T) {
	srv := quietServer(t, adminEnv, watchNever)
	boss := adminClient(t, srv)
	ann := signedIn(t, srv, "ann@example.com")
	room := general(t, ann)
	stream := openStream(t, srv, ann, room, "")
	if stream.Resp.StatusCode != http.StatusOK {
		t.Fatalf("stream: %d", stream.Resp.StatusCode)
	}
	bystander := openStream(t, srv, boss, room, "")
	send(t, boss, room, "hello", "c1")
	stream.nextMessage(t) // the stream is live

	wantStatus(t, "deactivate", patchUser(boss, userID(t, ann), map[string]any{"status": "inactive"}), http.StatusOK)
	stream.wantEnded(t, "the user was deactivated")
	// Other users' streams go on.
	send(t, boss, room, "still here", "c2")
	for m := bystander.nextMessage(t); m.Body != "still here"; m = bystander.nextMessage(t) {
	}
}

func TestAllowlist_RemovalEndsLiveEventStreamsOfTheUsersItAdmitted(t *testing.T) {
	srv := quietServer(t, adminEnv, watchNever)
	boss := adminClient(t, srv)
	allow(t, boss, "boss@example.com")
	corp := allow(t, boss, "@corp.example")
	staff := verifiedClient(t, srv, "staff@corp.example", "Staff")
	stream := openStream(t, srv, staff, general(t, staff), "")
	if stream.Resp.StatusCode != http.StatusOK {
		t.Fatalf("stream: %d", stream.Resp.StatusCode)
	}
	wantStatus(t, "remove", boss.Do("DELETE", fmt.Sprintf("/api/v1/admin/allowlist/%d", corp), nil), http.StatusNoContent)
	stream.wantEnded(t, "the allowlist entry that admitted the user was removed")
}

// The CLI is another process: on SQLite its changes reach this server's
// streams through the audit log watcher, not the in-process broker. The
// streams' heartbeat is an hour, so only the watcher can end them.
func TestAccessWatch_CLIDeactivationEndsLiveEventStreams(t *testing.T) {
	srv := quietServer(t, nil, watchOften)
	ann := signedIn(t, srv, "ann@example.com")
	bob := signedIn(t, srv, "bob@example.com")
	room := general(t, ann)
	stream := openStream(t, srv, ann, room, "")
	bystander := openStream(t, srv, bob, room, "")
	send(t, bob, room, "hello", "c1")
	stream.nextMessage(t) // the stream is live

	if out, code := srv.CLI(t, "", "user", "set-status", "ann@example.com", "inactive"); code != 0 {
		t.Fatalf("set-status: %s", out)
	}
	stream.wantEnded(t, "the CLI deactivated the user")
	send(t, bob, room, "still here", "c2")
	for m := bystander.nextMessage(t); m.Body != "still here"; m = bystander.nextMessage(t) {
	}
}

func TestAccessWatch_CLIAllowlistRemovalEndsLiveEventStreams(t *testing.T) {
	srv := quietServer(t, nil, watchOften)
	for _, pattern := range []string{"ann@example.com", "@corp.example"} {
		if out, code := srv.CLI(t, "", "allow", "add", pattern); code != 0 {
			t.Fatalf("allow add %s: %s", pattern, out)
		}
	}
	staff := verifiedClient(t, srv, "staff@corp.example", "Staff")
	stream := openStream(t, srv, staff, general(t, staff), "")
	if stream.Resp.StatusCode != http.StatusOK {
		t.Fatalf("stream: %d", stream.Resp.StatusCode)
	}
	if out, code := srv.CLI(t, "", "allow", "rm", "@corp.example"); code != 0 {
		t.Fatalf("allow rm: %s", out)
	}
	stream.wantEnded(t, "the CLI removed the allowlist entry that admitted the user")
}
