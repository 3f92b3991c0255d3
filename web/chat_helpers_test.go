package web_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/toriihq/torii/app"
	"github.com/toriihq/torii/testserver"
)

// chatServer starts torii with a short heartbeat and stream write timeout,
// so that re-checks and slow-client cut-offs happen within a test.
func chatServer(t *testing.T) *testserver.Server {
	t.Helper()
	// Chat tests post bursts (hundreds of messages a second) to prove
	// ordering and back-pressure; the message rate limit has its own tests
	// (creation_test.go).
	return testserver.Start(t, testserver.Options{Env: map[string]string{"TORII_RATE_MESSAGES_USER": "off"}, AppOptions: app.Options{
		Hasher: testserver.FastHasher(), ChatHeartbeat: 50 * time.Millisecond, StreamWriteTimeout: 200 * time.Millisecond,
	}})
}

type chatMessage struct {
	ID       int64  `json:"id"`
	RoomID   int64  `json:"roomId"`
	Author   string `json:"author"`
	Body     string `json:"body"`
	ClientID string `json:"clientId"`
	Status   string `json:"status"`
	User     *struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
	} `json:"user"`
}

type chatRoom struct {
	ID         int64  `json:"id"`
	Name       string `json:"name"`
	Visibility string `json:"visibility"`
}

// general returns the default room's id.
func general(t *testing.T, c *testserver.Client) int64 {
	t.Helper()
	var out struct{ Rooms []chatRoom }
	r := c.Do("GET", "/api/v1/rooms", nil)
	r.Decode(t, &out)
	for _, x := range out.Rooms {
		if x.Name == "general" {
			return x.ID
		}
	}
	t.Fatalf("no general room in %s", r.Body)
	return 0
}

func createRoom(t *testing.T, c *testserver.Client, body map[string]any) chatRoom {
	t.Helper()
	r := c.Do("POST", "/api/v1/rooms", body)
	if r.Status != http.StatusCreated {
		t.Fatalf("create room: %d %s", r.Status, r.Body)
	}
	var out struct{ Room chatRoom }
	r.Decode(t, &out)
	return out.Room
}

func send(t testing.TB, c *testserver.Client, room int64, body, clientID string) chatMessage {
	t.Helper()
	r := c.Do("POST", fmt.Sprintf("/api/v1/rooms/%d/messages", room), map[string]string{"body": body, "clientId": clientID})
	if r.Status != http.StatusCreated {
		t.Fatalf("send: %d %s", r.Status, r.Body)
	}
	var out struct{ Message chatMessage }
	r.Decode(t, &out)
	return out.Message
}

// sseEvent is one parsed server-sent event (or comment).
type sseEvent struct {
	ID, Event, Data, Comment, Retry string
}

// sseStream is an open event stream read by a goroutine.
type sseStream struct {
	Resp   *http.Response
	Events chan sseEvent
	// Done is closed when the server ends the stream (or Close is called).
	Done   chan struct{}
	cancel context.CancelFunc
}

// openStream opens room's event stream with c's cookies; lastID "" means
// no Last-Event-ID. The stream is closed when the test ends.
func openStream(t *testing.T, srv *testserver.Server, c *testserver.Client, room int64, lastID string) *sseStream {
	t.Helper()
	return openStreamPath(t, srv, c, fmt.Sprintf("/api/v1/rooms/%d/events", room), "Last-Event-ID", lastID)
}

// openStreamPath opens the stream at path with extra headers (in pairs;
// empty values are left out).
func openStreamPath(t *testing.T, srv *testserver.Server, c *testserver.Client, path string, headers ...string) *sseStream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+path, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] != "" {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	resp, err := (&http.Client{Jar: c.HTTP.Jar}).Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	s := &sseStream{Resp: resp, Events: make(chan sseEvent, 4096), Done: make(chan struct{}), cancel: cancel}
	t.Cleanup(s.Close)
	if resp.StatusCode != http.StatusOK {
		close(s.Done)
		return s
	}
	go func() {
		defer close(s.Done)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		var e sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if e != (sseEvent{}) {
					select {
					case s.Events <- e:
					case <-ctx.Done():
						return
					}
				}
				e = sseEvent{}
			case strings.HasPrefix(line, ":"):
				e.Comment = strings.TrimSpace(line[1:])
			default:
				k, v, _ := strings.Cut(line, ":")
				v = strings.TrimPrefix(v, " ")
				switch k {
				case "id":
					e.ID = v
				case "event":
					e.Event = v
				case "data":
					e.Data = v
				case "retry":
					e.Retry = v
				}
			}
		}
	}()
	return s
}

// Close drops the connection (a client going away).
func (s *sseStream) Close() {
	s.cancel()
	<-s.Done
}

const streamWait = 20 * time.Second

// recv returns the next event, or false once the server has ended the
// stream and every event it sent has been read. Events and Done can both
// be ready (the reader queues the last events, then closes Done); a bare
// select between them picks at random and would lose those last events,
// the retry hint of an ending stream among them. It fails the test at
// timeout.
func (s *sseStream) recv(t testing.TB, timeout <-chan time.Time, what string) (sseEvent, bool) {
	t.Helper()
	select {
	case e := <-s.Events:
		return e, true
	case <-s.Done:
		select {
		case e := <-s.Events:
			return e, true
		default:
			return sseEvent{}, false
		}
	case <-timeout:
		t.Fatalf("no %s within the deadline", what)
		return sseEvent{}, false
	}
}

// nextMessage returns the next message event, skipping comments.
func (s *sseStream) nextMessage(t *testing.T) chatMessage {
	t.Helper()
	timeout := time.After(streamWait)
	for {
		e, ok := s.recv(t, timeout, "message")
		if !ok {
			t.Fatal("stream ended while a message was expected")
		}
		if e.Event != "message" {
			continue
		}
		var m chatMessage
		if err := json.Unmarshal([]byte(e.Data), &m); err != nil {
			t.Fatalf("message data %q: %v", e.Data, err)
		}
		if e.ID != strconv.FormatInt(m.ID, 10) {
			t.Fatalf("event id %q for message %d", e.ID, m.ID)
		}
		return m
	}
}

// wantEnded waits for the server to end the stream.
func (s *sseStream) wantEnded(t *testing.T, why string) {
	t.Helper()
	timeout := time.After(streamWait)
	for {
		select {
		case <-s.Events:
		case <-s.Done:
			return
		case <-timeout:
			t.Fatalf("stream still open after %s", why)
		}
	}
}

// dialSlowReader opens a raw TCP connection to srv whose receive buffer is
// tiny (set before connect, so the window is small from the start): a
// client that fills up after a few KiB when it stops reading. It is closed
// when the test ends.
func dialSlowReader(t *testing.T, srv *testserver.Server) net.Conn {
	t.Helper()
	d := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		return c.Control(func(fd uintptr) {
			syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
		})
	}}
	conn, err := d.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}
