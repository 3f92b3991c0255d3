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

	"github.com/toriihq/torii/gemini/geminitest"
	"github.com/toriihq/torii/testserver"
)

// TORII_SHUTDOWN_TIMEOUT bounds the whole shutdown: an assistant reply in
// flight (cancelled, stored as incomplete), an open event stream (ended
// with a reconnect hint) and a request still receiving its body (cut at
// the deadline) share one deadline, and torii exits cleanly (status 0,
// checked by Stop) within it.
func TestShutdown_OneDeadlineForRequestsStreamsAndReplies(t *testing.T) {
	const timeout = time.Second
	srv, fake := startAssistant(t, map[string]string{
		"TORII_SHUTDOWN_TIMEOUT": timeout.String(),
		"TORII_BODY_TIMEOUT":     "1m", // the upload below outlives the shutdown
		"TORII_REQUEST_TIMEOUT":  "1m",
	})
	ada := person(t, srv, "ada@example.com", "Ada Lovelace")
	room := makeRoom(t, ada, "Ask Gemini", "private", true)
	events := openStream(t, srv, ada, room, "")
	gate := geminitest.NewGate()
	defer gate.Release()
	fake.Enqueue(geminitest.Reply{Chunks: []string{"Partial"}, Gate: gate})
	said(t, ada, room, "A question")
	<-gate.Reached()
	for e := range drain(events) {
		if e.Event == "assistant.delta" {
			break // torii has the text that must be stored
		}
	}

	upload, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer upload.Close()
	fmt.Fprintf(upload, "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\nExpect: 100-continue\r\n\r\n")
	// The handler is reading the body once the server says continue.
	upload.SetReadDeadline(time.Now().Add(streamWait))
	if cont, err := readUntil(bufio.NewReader(upload), "\r\n\r\n"); err != nil || !strings.HasPrefix(cont, "HTTP/1.1 100") {
		t.Fatalf("upload: %q %v", cont, err)
	}
	fmt.Fprint(upload, "{")

	start := time.Now()
	srv.Stop()
	if took := time.Since(start); took > timeout+3*time.Second {
		t.Fatalf("shutdown took %v with TORII_SHUTDOWN_TIMEOUT=%v", took, timeout)
	}
	select {
	case <-gate.ClientGone(): // the request to Gemini was cancelled
	default:
		t.Fatal("the reply's request to Gemini is still open after shutdown")
	}
	var retry string
	for e := range drain(events) {
		if e.Retry != "" {
			retry = e.Retry
		}
	}
	if retry == "" {
		t.Error("the stream ended without a reconnect hint")
	}
	upload.SetReadDeadline(time.Now().Add(streamWait))
	if rest, err := io.ReadAll(upload); err != nil {
		t.Errorf("the upload's connection was not closed: %v (read %q)", err, rest)
	}
	if !strings.Contains(srv.Logs.String(), "shutdown deadline passed: closing the connections of requests still running") {
		t.Errorf("the cut at the deadline is not logged:\n%s", srv.Logs.String())
	}

	again := testserver.Start(t, testserver.Options{Env: map[string]string{"TORII_DATABASE": srv.Database}})
	c := again.Client(t)
	if r := c.Do("POST", "/api/v1/auth/login", map[string]string{"email": "ada@example.com", "password": goodPassword}); r.Status != http.StatusOK {
		t.Fatalf("login: %d %s", r.Status, r.Body)
	}
	h := roomHistory(t, c, room)
	if len(h) != 2 || h[1].Status != "incomplete" || h[1].Body != "Partial" {
		t.Fatalf("history after restart: %+v", h)
	}
}

// drain yields the events of a stream that has ended (or ends within the
// stream wait).
func drain(s *sseStream) func(func(sseEvent) bool) {
	return func(yield func(sseEvent) bool) {
		timeout := time.After(streamWait)
		for {
			select {
			case e := <-s.Events:
				if !yield(e) {
					return
				}
			case <-s.Done:
				for {
					select {
					case e := <-s.Events:
						if !yield(e) {
							return
						}
					default:
						return
					}
				}
			case <-timeout:
				return
			}
		}
	}
}
