package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/service"
)

// Event stream defaults (docs/api.md "Chat").
const (
	// defaultHeartbeat keeps proxies from closing an idle stream and lets
	// the server notice a vanished client; api.md fixes it at 15 s.
	defaultHeartbeat = 15 * time.Second
	// reconnectMillis is the SSE retry hint sent when the server shuts
	// down.
	reconnectMillis = 1000
)

// roomEvents serves GET /api/v1/rooms/{id}/events (api.md): the room's
// messages as SSE events with their id, replayed after Last-Event-ID or
// ?after=, then live; assistant events without id; a heartbeat comment.
// Errors before the stream starts are JSON; after, the stream just ends.
// Over HTTP/1.1 the stream is detached once its headers are out: it runs
// on a goroutine of its own and the handler returns
// (api_events_detached.go); otherwise (HTTP/1.0, HTTP/2) it is served here.
// Each stream holds one of its user's stream slots until it ends
// (stream_bounds.go).
func (s *Server) roomEvents(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	release, err := s.streamSlots.acquire(p.User.ID)
	if err != nil {
		return err
	}
	st, err := s.openEvents(r, p)
	if err != nil {
		release()
		return err
	}
	s.serveStream(w, r, st, release)
	return nil
}

// serveStream sends an opened stream's headers and runs it to its end:
// detached over HTTP/1.1 (api_events_detached.go), else pumped here. Room
// and user streams alike; it closes st and releases its stream slot.
func (s *Server) serveStream(w http.ResponseWriter, r *http.Request, st eventStream, release func()) {
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	if r.ProtoMajor == 1 {
		// Over HTTP/1.1 the stream will be detached and its connection
		// closed when it ends: the client must not pool it
		// (api_events_detached.go). HTTP/1.0 closes anyway.
		h.Set("Connection", "close")
	}
	// The first write's deadline counts from now, not from the request's
	// start: opening the stream (database reads) must not eat into it.
	_ = rc.SetWriteDeadline(time.Now().Add(s.opts.StreamWriteTimeout))
	w.WriteHeader(http.StatusOK)
	if err := rc.Flush(); err != nil {
		st.Close()
		release()
		return
	}
	if s.detach(rc, r, st, release) {
		return
	}
	defer release()
	defer st.Close()
	s.metrics.streams.Inc()
	defer s.metrics.streams.Dec()
	reason := s.pump(r.Context(), func(b []byte) error { return s.writeStream(rc, w, b) }, st)
	s.log.DebugContext(r.Context(), "event stream ended", "room", streamRoom(st), "user", st.UserID(), "reason", reason, "request_id", requestID(r.Context()))
}

// openEvents opens the room stream the request names (its {id} and
// Last-Event-ID or ?after=).
func (s *Server) openEvents(r *http.Request, p service.Principal) (*service.Stream, error) {
	id, err := roomID(r)
	if err != nil {
		return nil, err
	}
	after, err := lastEventID(r)
	if err != nil {
		return nil, err
	}
	auth := func(ctx context.Context) (service.Principal, error) {
		return s.principalFor(r.WithContext(ctx), s.svc.Issuer())
	}
	return s.svc.OpenStream(r.Context(), p, id, after, auth)
}

// lastEventID reads where a replay starts: the Last-Event-ID header, else
// ?after=, else -1 (no replay).
func lastEventID(r *http.Request) (int64, error) {
	v := r.Header.Get("Last-Event-ID")
	if v == "" {
		v = r.URL.Query().Get("after")
	}
	if v == "" {
		return -1, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, errBadLastEventID
	}
	return n, nil
}

var errBadLastEventID = torii.Invalid(map[string]string{"after": "must be a message id"})

// pump sends the stream's events with write (which gives up after the
// stream write timeout) until the stream ends, and returns why. A stream
// ends by itself after its lifetime, once everything due has been sent,
// with a reconnect hint: the client resumes from the last id it received.
func (s *Server) pump(ctx context.Context, send func([]byte) error, st eventStream) string {
	write := func(b []byte) error {
		streamWriteHook(ctx)
		return send(b)
	}
	// The first heartbeat comes after a random part of the interval, the
	// others a whole interval apart: streams opened together (a server's
	// restart, a load test) do not all re-check at the same moment.
	hb := time.NewTicker(firstHeartbeat(s.opts.Heartbeat))
	defer hb.Stop()
	first := true
	end := time.NewTimer(s.lifetime())
	defer end.Stop()
	var buf bytes.Buffer
	for {
		evs, more, err := st.Next(ctx)
		if errors.Is(err, service.ErrStreamClosed) {
			write([]byte("retry: " + strconv.Itoa(reconnectMillis) + "\n: server shutting down\n\n"))
			return "shutdown"
		}
		if err != nil {
			return err.Error()
		}
		if len(evs) > 0 {
			buf.Reset()
			for _, e := range evs {
				writeEvent(&buf, e)
			}
			if err := write(buf.Bytes()); err != nil {
				return "write: " + err.Error()
			}
		}
		if more {
			continue
		}
		select {
		case <-st.Ready():
		case <-hb.C:
			if first {
				hb.Reset(s.opts.Heartbeat)
				first = false
			}
			var err error
			offStack(func() { err = st.Recheck(ctx) })
			if err != nil {
				return err.Error()
			}
			if err := write([]byte(": ping\n\n")); err != nil {
				return "write: " + err.Error()
			}
		case <-end.C:
			write([]byte("retry: " + strconv.Itoa(reconnectMillis) + "\n: stream lifetime reached, reconnect\n\n"))
			return "lifetime"
		case <-s.closing:
			write([]byte("retry: " + strconv.Itoa(reconnectMillis) + "\n: server shutting down\n\n"))
			return "shutdown"
		case <-ctx.Done():
			return "client gone"
		}
	}
}

// firstHeartbeat is a random delay in (0, every].
func firstHeartbeat(every time.Duration) time.Duration {
	return time.Duration(rand.Int64N(int64(every))) + 1
}

// offStack runs f on a new goroutine and waits for it: f's deep calls
// (database reads) then grow that goroutine's stack, freed when it ends,
// not the caller's. A stream's goroutine lives as long as the stream, and a
// stack shrinks only at garbage collections (by half, while less than a
// quarter of it is in use), so each heartbeat's re-check runs off it. A
// panic in f is raised again in the caller.
func offStack(f func()) {
	var p any
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() { p = recover() }()
		f()
	}()
	<-done
	if p != nil {
		panic(p)
	}
}

// writeStream writes and flushes b, giving up after the write timeout.
func (s *Server) writeStream(rc *http.ResponseController, w http.ResponseWriter, b []byte) error {
	_ = rc.SetWriteDeadline(time.Now().Add(s.opts.StreamWriteTimeout))
	if _, err := w.Write(b); err != nil {
		return err
	}
	return rc.Flush()
}

// writeEvent formats one SSE event. JSON never holds a raw newline, so
// each data fits one line.
func writeEvent(buf *bytes.Buffer, e service.StreamEvent) {
	if e.ID != 0 {
		buf.WriteString("id: ")
		buf.WriteString(strconv.FormatInt(e.ID, 10))
		buf.WriteString("\n")
	}
	buf.WriteString("event: ")
	buf.WriteString(e.Kind)
	buf.WriteString("\ndata: ")
	switch {
	case e.Message != nil:
		b, _ := json.Marshal(messageOf(*e.Message))
		buf.Write(b)
	case e.Room != nil:
		b, _ := json.Marshal(roomEventOf(*e.Room))
		buf.Write(b)
	default:
		buf.Write(e.Data)
	}
	buf.WriteString("\n\n")
}
