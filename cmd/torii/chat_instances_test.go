package main_test

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/toriihq/torii/testserver"
)

// stream is an open SSE stream: message events arrive on Messages, and
// Done is closed when the server ends it.
type stream struct {
	Messages chan sseMessage
	Done     chan struct{}
}

type sseMessage struct{ ID, Data string }

// openStream opens room's event stream on base with jar's cookies.
func openStream(t *testing.T, base string, jar http.CookieJar, room int64) *stream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("%s/api/v1/rooms/%d/events", base, room), nil)
	resp, err := (&http.Client{Jar: jar}).Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		cancel()
		t.Fatalf("open stream: %s", resp.Status)
	}
	s := &stream{Messages: make(chan sseMessage, 1024), Done: make(chan struct{})}
	t.Cleanup(func() { cancel(); <-s.Done })
	go func() {
		defer close(s.Done)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		var m sseMessage
		var event string
		for sc.Scan() {
			line := sc.Text()
			k, v, _ := strings.Cut(line, ":")
			v = strings.TrimPrefix(v, " ")
			switch {
			case line == "":
				if event == "message" {
					s.Messages <- m
				}
				m, event = sseMessage{}, ""
			case k == "id":
				m.ID = v
			case k == "data":
				m.Data = v
			case k == "event":
				event = v
			}
		}
	}()
	return s
}

func generalRoom(t *testing.T, c *testserver.Client) int64 {
	t.Helper()
	var out struct {
		Rooms []struct {
			ID   int64
			Name string
		}
	}
	c.Do("GET", "/api/v1/rooms", nil).Decode(t, &out)
	for _, r := range out.Rooms {
		if r.Name == "general" {
			return r.ID
		}
	}
	t.Fatal("no general room")
	return 0
}

func register(t *testing.T, c *testserver.Client, email string) int64 {
	t.Helper()
	want(t, "register "+email, c.Do("POST", "/api/v1/auth/register",
		map[string]string{"email": email, "password": "a long enough password", "name": email}), http.StatusCreated)
	var me struct{ User struct{ ID int64 } }
	c.Do("GET", "/api/v1/me", nil).Decode(t, &me)
	return me.User.ID
}

// post sends n messages "prefix-i" and returns their ids in order.
func post(t *testing.T, c *testserver.Client, room int64, prefix string, n int) []string {
	t.Helper()
	var ids []string
	for i := range n {
		r := c.Do("POST", fmt.Sprintf("/api/v1/rooms/%d/messages", room),
			map[string]string{"body": fmt.Sprintf("%s-%d", prefix, i), "clientId": fmt.Sprintf("%s-%d", prefix, i)})
		want(t, "post", r, http.StatusCreated)
		var out struct{ Message struct{ ID int64 } }
		r.Decode(t, &out)
		ids = append(ids, fmt.Sprint(out.Message.ID))
	}
	return ids
}

// receive reads len(ids) messages from s and checks they are exactly ids,
// in order: no gap, no duplicate.
func receive(t *testing.T, s *stream, ids []string) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for i, id := range ids {
		select {
		case m := <-s.Messages:
			if m.ID != id {
				t.Fatalf("message %d on the stream has id %s, want %s (all: %v)", i, m.ID, id, ids)
			}
		case <-s.Done:
			t.Fatalf("stream ended after %d of %d messages", i, len(ids))
		case <-deadline:
			t.Fatalf("received %d of %d messages", i, len(ids))
		}
	}
}

// TestInstances_ChatAcrossInstances: with two processes on one PostgreSQL
// database, messages posted on A reach a stream on B in order; when the
// listeners' connections are killed, they reconnect and the stream
// catches up from the database with no gap or duplicate; deactivating the
// stream's user on A closes the stream on B.
func TestInstances_ChatAcrossInstances(t *testing.T) {
	t.Parallel()
	database := testserver.PostgresDatabase(t)
	bin := buildBinary(t)
	procs := startProcesses(t, bin, database, 2,
		map[string]string{"TORII_ADMIN_EMAILS": "boss@example.com"})
	ann, boss := browser(t, procs), browser(t, procs)
	annID := register(t, ann[0], "ann@example.com")
	// The admin's address must be verified (issue 12): created by the
	// operator, not registered.
	create := exec.CommandContext(t.Context(), bin, "user", "create", "--email", "boss@example.com", "--name", "Boss", "--password-stdin")
	create.Env = []string{"TORII_DATABASE=" + database}
	create.Stdin = strings.NewReader("a long enough password\n")
	if out, err := create.CombinedOutput(); err != nil {
		t.Fatalf("torii user create: %v\n%s", err, out)
	}
	want(t, "boss signs in", boss[0].Do("POST", "/api/v1/auth/login",
		map[string]string{"email": "boss@example.com", "password": "a long enough password"}), http.StatusOK)
	room := generalRoom(t, ann[0])

	onB := openStream(t, procs[1].URL, ann[1].HTTP.Jar, room)
	receive(t, onB, post(t, boss[0], room, "before", 20))

	t.Run("listeners killed: reconnect, catch up from the database", func(t *testing.T) {
		u, err := url.Parse(database)
		if err != nil {
			t.Fatal(err)
		}
		db, err := sql.Open("pgx", database)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		channel := "torii_chat:" + u.Query().Get("search_path")
		var killed int
		err = db.QueryRowContext(t.Context(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE query = $1`, `LISTEN "`+channel+`"`).Scan(&killed)
		if err != nil || killed != 2 {
			t.Fatalf("killed %d listeners (%v), want 2 (one per instance)", killed, err)
		}
		// Posted at once: their notifications are sent while no one
		// listens, so B's stream gets them only by re-reading.
		receive(t, onB, post(t, boss[0], room, "during", 20))
		for i, p := range procs {
			eventually(t, fmt.Sprintf("instance %c reconnected", 'A'+i), func() string {
				if !strings.Contains(p.logs.String(), "chat listener reconnected") {
					return "no reconnect logged"
				}
				return ""
			})
		}
		receive(t, onB, post(t, boss[0], room, "after", 5))
	})

	t.Run("deactivation on A closes the stream on B", func(t *testing.T) {
		// A fresh stream: its first heartbeat re-check is 15 s away, so
		// only the access event from A can close it within the deadline.
		fresh := openStream(t, procs[1].URL, ann[1].HTTP.Jar, room)
		want(t, "deactivate ann on A", boss[0].Do("PATCH", fmt.Sprintf("/api/v1/admin/users/%d", annID),
			map[string]string{"status": "inactive"}), http.StatusOK)
		for name, s := range map[string]*stream{"fresh stream": fresh, "first stream": onB} {
			select {
			case <-s.Done:
			case <-time.After(10 * time.Second):
				t.Fatalf("%s on B still open 10 s after the deactivation on A", name)
			}
		}
	})
}
