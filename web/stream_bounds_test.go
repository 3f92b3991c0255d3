package web_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/app"
	"github.com/toriihq/torii/sqlstore"
	"github.com/toriihq/torii/testserver"
	"github.com/toriihq/torii/web"
)

// boundedChatServer is chatServer with extra variables.
func boundedChatServer(t *testing.T, env map[string]string) *testserver.Server {
	t.Helper()
	return testserver.Start(t, testserver.Options{Env: env, AppOptions: app.Options{
		Hasher: testserver.FastHasher(), ChatHeartbeat: 50 * time.Millisecond, StreamWriteTimeout: 200 * time.Millisecond,
	}})
}

// nginx speaks HTTP/1.0 to its upstream by default: the stream's body
// must be the bare event stream, ended by closing the connection, never
// HTTP/1.1 chunk framing that an HTTP/1.0 client would pass on as data.
func TestStreams_HTTP10ClientGetsNoChunkFraming(t *testing.T) {
	srv := chatServer(t)
	ann := srv.Client(t)
	cookie := sessionCookie(t, registerUser(t, ann, "ann@example.com", "Ann"))
	g := general(t, ann)
	sent := send(t, ann, g, "over HTTP/1.0", "c1")

	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(streamWait))
	fmt.Fprintf(conn, "GET /api/v1/rooms/%d/events?after=0 HTTP/1.0\r\nHost: x\r\nCookie: %s=%s\r\n\r\n", g, cookie.Name, cookie.Value)
	br := bufio.NewReader(conn)
	head, err := readUntil(br, "\r\n\r\n")
	if err != nil {
		t.Fatalf("headers: %v (%q)", err, head)
	}
	if !strings.HasPrefix(head, "HTTP/1.0 200") || !strings.Contains(head, "Content-Type: text/event-stream") {
		t.Fatalf("response head %q", head)
	}
	if strings.Contains(strings.ToLower(head), "transfer-encoding") {
		t.Fatalf("HTTP/1.0 answer announces a transfer encoding: %q", head)
	}
	// The first event, read raw: it must start the body (a chunk would
	// start with its hex length and CRLF).
	body, err := readUntil(br, "\n\n")
	if err != nil {
		t.Fatalf("first event: %v (%q)", err, body)
	}
	if strings.Contains(body, "\r") || !strings.HasPrefix(body, "id: ") {
		t.Fatalf("body is not a bare event stream: %q", body)
	}
	var ev sseEvent
	for _, line := range strings.Split(strings.TrimSpace(body), "\n") {
		k, v, _ := strings.Cut(line, ": ")
		switch k {
		case "id":
			ev.ID = v
		case "event":
			ev.Event = v
		case "data":
			ev.Data = v
		}
	}
	var m chatMessage
	if err := json.Unmarshal([]byte(ev.Data), &m); err != nil || ev.Event != "message" || ev.ID != strconv.FormatInt(sent.ID, 10) || m.Body != "over HTTP/1.0" {
		t.Fatalf("event %+v (%v), want message %d", ev, err, sent.ID)
	}
	// Live events and heartbeats come bare too.
	live := send(t, ann, g, "live", "c2")
	rest, err := readUntil(br, `"body":"live"`)
	if err != nil {
		t.Fatalf("live event: %v (%q)", err, rest)
	}
	if strings.Contains(rest, "\r") || !strings.Contains(rest, "id: "+strconv.FormatInt(live.ID, 10)+"\n") {
		t.Fatalf("live part of the body is not a bare event stream: %q", rest)
	}
}

// readUntil reads from br until the data read ends with sep.
func readUntil(br *bufio.Reader, sep string) (string, error) {
	var b bytes.Buffer
	for !bytes.HasSuffix(b.Bytes(), []byte(sep)) {
		c, err := br.ReadByte()
		if err != nil {
			return b.String(), err
		}
		b.WriteByte(c)
	}
	return b.String(), nil
}

// A panic in the goroutine writing a detached stream ends that stream,
// is logged with the request id, and leaves the server answering.
func TestStreams_PanicInStreamWriterIsLoggedAndServerGoesOn(t *testing.T) {
	srv := chatServer(t)
	ann := srv.Client(t)
	registerUser(t, ann, "ann@example.com", "Ann")
	g := general(t, ann)
	// Only this stream's writer panics (other tests' streams may run).
	var target atomic.Value
	target.Store("")
	var fired atomic.Bool
	web.SetStreamWriteHook(func(requestID string) {
		if requestID == target.Load() && fired.CompareAndSwap(false, true) {
			panic("injected stream panic")
		}
	})
	t.Cleanup(func() { web.SetStreamWriteHook(nil) })

	s := openStream(t, srv, ann, g, "")
	if s.Resp.ProtoMajor != 1 || s.Resp.ProtoMinor != 1 {
		t.Fatalf("stream over %s, want HTTP/1.1 (the detached path)", s.Resp.Proto)
	}
	id := s.Resp.Header.Get("X-Request-Id")
	target.Store(id)
	s.wantEnded(t, "its writer panicked") // the next heartbeat's write panics
	if !fired.Load() {
		t.Fatal("the hook never ran")
	}
	logs := srv.Logs.String()
	var line string
	for l := range strings.Lines(logs) {
		if strings.Contains(l, "panic serving a client") {
			line = l
		}
	}
	if !strings.Contains(line, "injected stream panic") || !strings.Contains(line, "request_id="+id) || !strings.Contains(line, "event stream writer") {
		t.Fatalf("no panic log line with the request id %s; logs:\n%s", id, logs)
	}
	if r := ann.Do("GET", "/healthz", nil); r.Status != http.StatusOK {
		t.Fatalf("healthz after the panic: %d", r.Status)
	}
	again := openStream(t, srv, ann, g, "")
	m := send(t, ann, g, "still live", "c1")
	if got := again.nextMessage(t); got.ID != m.ID {
		t.Fatalf("stream after the panic got %+v", got)
	}
}

// One user may hold TORII_MAX_STREAMS_PER_USER streams; the next is 429
// RATE_LIMITED with Retry-After, other users are unaffected, and a closed
// stream frees its slot.
func TestStreams_PerUserCapAnswersRateLimited(t *testing.T) {
	srv := boundedChatServer(t, map[string]string{"TORII_MAX_STREAMS_PER_USER": "2"})
	ann := srv.Client(t)
	registerUser(t, ann, "ann@example.com", "Ann")
	bob := srv.Client(t)
	registerUser(t, bob, "bob@example.com", "Bob")
	g := general(t, ann)
	first := openStream(t, srv, ann, g, "")
	openStream(t, srv, ann, g, "")

	over := openStream(t, srv, ann, g, "")
	if over.Resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("third stream: %d, want 429", over.Resp.StatusCode)
	}
	body, _ := io.ReadAll(over.Resp.Body)
	if !strings.Contains(string(body), `"code":"RATE_LIMITED"`) || !strings.Contains(string(body), "at most 2 per user") {
		t.Fatalf("third stream's answer: %s", body)
	}
	if ra := over.Resp.Header.Get("Retry-After"); ra != "15" {
		t.Fatalf("Retry-After %q, want 15", ra)
	}
	if s := openStream(t, srv, bob, g, ""); s.Resp.StatusCode != http.StatusOK {
		t.Fatalf("another user's stream: %d", s.Resp.StatusCode)
	}
	// Ann closes a tab: the server notices and frees the slot. Retry
	// until it has (the effect is observable only by asking).
	first.Close()
	deadline := time.Now().Add(streamWait)
	for {
		s := openStream(t, srv, ann, g, "")
		if s.Resp.StatusCode == http.StatusOK {
			break
		}
		s.Close()
		if time.Now().After(deadline) {
			t.Fatal("closing a stream never freed its slot")
		}
	}
}

// A stream ends after its lifetime with a retry hint, once everything due
// was sent; the client resumes with Last-Event-ID, missing nothing and
// receiving nothing twice.
func TestStreams_LifetimeEndsWithRetryHintAndResumesWithoutLoss(t *testing.T) {
	// A generous write timeout: this test is about the lifetime, and on a
	// loaded machine a 200 ms write deadline could end the stream first.
	srv := testserver.Start(t, testserver.Options{Env: map[string]string{"TORII_STREAM_LIFETIME": "500ms"}, AppOptions: app.Options{
		Hasher: testserver.FastHasher(), ChatHeartbeat: 50 * time.Millisecond, StreamWriteTimeout: 10 * time.Second,
	}})
	ann := srv.Client(t)
	registerUser(t, ann, "ann@example.com", "Ann")
	g := general(t, ann)
	m1 := send(t, ann, g, "before", "c1")
	s := openStream(t, srv, ann, g, "0")
	if got := s.nextMessage(t); got.ID != m1.ID {
		t.Fatalf("replayed %+v, want %d", got, m1.ID)
	}
	timeout := time.After(streamWait)
	var hint sseEvent
	for hint.Retry == "" {
		e, ok := s.recv(t, timeout, "retry hint: the stream outlived its lifetime")
		if !ok {
			t.Fatal("stream ended without a retry hint")
		}
		if e.Event == "message" {
			t.Fatalf("unexpected message %+v", e)
		}
		hint = e
	}
	if hint.Retry != "1000" || !strings.Contains(hint.Comment, "lifetime") {
		t.Fatalf("hint %+v", hint)
	}
	s.wantEnded(t, "its lifetime")

	m2 := send(t, ann, g, "while away", "c2")
	again := openStream(t, srv, ann, g, strconv.FormatInt(m1.ID, 10))
	if got := again.nextMessage(t); got.ID != m2.ID {
		t.Fatalf("after reconnecting got %+v, want %d exactly once", got, m2.ID)
	}
}

// A client that never reads (its TCP window full) is dropped after
// TORII_STREAM_WRITE_TIMEOUT on the HTTP/1.0 path too, where the stream is
// served in its handler (the HTTP/1.1 detached path:
// TestChat_SlowSubscriberIsDisconnectedWithoutBlockingOthers).
func TestStreams_HTTP10ClientThatNeverReadsIsDropped(t *testing.T) {
	srv := chatServer(t) // stream write timeout 200ms
	ann := srv.Client(t)
	cookie := sessionCookie(t, registerUser(t, ann, "ann@example.com", "Ann"))
	g := general(t, ann)
	var me struct{ User struct{ ID int64 } }
	ann.Do("GET", "/api/v1/me", nil).Decode(t, &me)
	// Far more than the socket buffers hold, stored directly (the HTTP
	// path is not what this test is about).
	st, err := sqlstore.Open(t.Context(), srv.Database)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const n = 800
	body := strings.Repeat("x", 8<<10)
	for i := range n {
		if _, _, err := st.CreateMessage(t.Context(), torii.Message{RoomID: g, UserID: &me.User.ID, Author: torii.AuthorUser,
			Body: body, ClientID: fmt.Sprint(i), Status: torii.MessageComplete, CreatedAt: time.Now().UTC()}); err != nil {
			t.Fatal(err)
		}
	}
	conn := dialSlowReader(t, srv)
	fmt.Fprintf(conn, "GET /api/v1/rooms/%d/events?after=0 HTTP/1.0\r\nHost: x\r\nCookie: %s=%s\r\n\r\n", g, cookie.Name, cookie.Value)
	// The client reads nothing. The server gives up on its write and
	// says so in its log; wait for that.
	deadline := time.Now().Add(streamWait)
	for !strings.Contains(srv.Logs.String(), `msg="event stream ended"`) || !strings.Contains(srv.Logs.String(), "reason=\"write: ") {
		if time.Now().After(deadline) {
			t.Fatalf("the stream of a client that never reads is still open:\n%s", srv.Logs.String())
		}
		time.Sleep(20 * time.Millisecond) // polling the log: the only signal of a cut the client cannot see
	}
	conn.SetReadDeadline(time.Now().Add(streamWait))
	data, err := io.ReadAll(conn)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("the connection is still open after the stream ended (read %d bytes)", len(data))
	}
	if got := strings.Count(string(data), "event: message"); got >= n {
		t.Errorf("the client received all %d messages; it was never cut off", got)
	}
}
