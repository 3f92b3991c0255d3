package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/service"
)

// Event stream defaults (docs/api.md "Chat").
const (
	// DefaultHeartbeat keeps proxies from closing an idle stream and lets
	// the server notice a vanished client; api.md fixes it at 15 s.
	DefaultHeartbeat = 15 * time.Second
	// DefaultStreamWriteTimeout is how long one write to a stream may
	// block: a client that stops reading is disconnected after it, and
	// replays on reconnect.
	DefaultStreamWriteTimeout = 10 * time.Second
	// reconnectMillis is the SSE retry hint sent when the server shuts
	// down.
	reconnectMillis = 1000
)

// roomEvents serves GET /api/v1/rooms/{id}/events (api.md): the room's
// messages as SSE events with their id, replayed after Last-Event-ID or
// ?after=, then live; assistant events without id; a heartbeat comment.
// Errors before the stream starts are JSON; after, the stream just ends.
func (s *Server) roomEvents(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	id, err := roomID(r)
	if err != nil {
		return err
	}
	after, err := lastEventID(r)
	if err != nil {
		return err
	}
	auth := func(ctx context.Context) (service.Principal, error) {
		return s.principalFor(r.WithContext(ctx), s.svc.Issuer())
	}
	st, err := s.svc.OpenStream(r.Context(), p, id, after, auth)
	if err != nil {
		return err
	}
	defer st.Close()
	s.metrics.streams.Inc()
	defer s.metrics.streams.Dec()
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if err := rc.Flush(); err != nil {
		return nil
	}
	reason := s.pump(r.Context(), w, rc, st)
	s.log.DebugContext(r.Context(), "event stream ended", "room", id, "user", p.User.ID, "reason", reason, "request_id", requestID(r.Context()))
	return nil
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

// pump sends the stream's events until it ends, and returns why.
func (s *Server) pump(ctx context.Context, w http.ResponseWriter, rc *http.ResponseController, st *service.Stream) string {
	hb := time.NewTicker(s.opts.Heartbeat)
	defer hb.Stop()
	var buf bytes.Buffer
	for {
		evs, more, err := st.Next(ctx)
		if errors.Is(err, service.ErrStreamClosed) {
			s.writeStream(rc, w, []byte("retry: "+strconv.Itoa(reconnectMillis)+"\n: server shutting down\n\n"))
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
			if err := s.writeStream(rc, w, buf.Bytes()); err != nil {
				return "write: " + err.Error()
			}
		}
		if more {
			continue
		}
		select {
		case <-st.Ready():
		case <-hb.C:
			if err := st.Recheck(ctx); err != nil {
				return err.Error()
			}
			if err := s.writeStream(rc, w, []byte(": ping\n\n")); err != nil {
				return "write: " + err.Error()
			}
		case <-s.closing:
			s.writeStream(rc, w, []byte("retry: "+strconv.Itoa(reconnectMillis)+"\n: server shutting down\n\n"))
			return "shutdown"
		case <-ctx.Done():
			return "client gone"
		}
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
	if e.Message != nil {
		buf.WriteString("id: ")
		buf.WriteString(strconv.FormatInt(e.Message.ID, 10))
		buf.WriteString("\nevent: message\ndata: ")
		b, _ := json.Marshal(messageOf(*e.Message))
		buf.Write(b)
		buf.WriteString("\n\n")
		return
	}
	buf.WriteString("event: ")
	buf.WriteString(e.Kind)
	buf.WriteString("\ndata: ")
	buf.Write(e.Data)
	buf.WriteString("\n\n")
}
