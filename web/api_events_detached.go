package web

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"time"
)

// Detached event streams. Once an HTTP/1.1 stream's headers are out, the
// handler takes the connection over (http.ResponseController.Hijack) and
// returns, and the stream runs on a goroutine of its own that writes the
// response's chunks itself. Why: an idle stream served inside its handler
// keeps what net/http holds for a request in progress — the connection's
// 4 KiB read and write buffers, the response's 2 KiB buffer, the serving
// goroutine with the stack the request grew and a second goroutine
// watching for the client to go — about 30 KiB in all, most of what 10,000
// idle streams cost (docs/benchmarks.md "Chat"). Detached, a stream keeps
// its subscription, a goroutine that starts small and one blocked in a
// one-byte read that notices the client leaving. Where the connection
// cannot be taken over (HTTP/2), the stream is served in the handler.
//
// HTTP/1.0 streams are never detached: an HTTP/1.0 client (nginx's default
// upstream protocol) knows no chunked encoding, and net/http serves it a
// plain body ended by closing the connection. Detaching is kept for
// HTTP/1.1 for the memory above; HTTP/1.0 clients are few (proxies), so
// the handler's cost for them does not matter.

// detach takes the connection of st's response over and serves st on its
// own goroutine, which calls release when the stream ends. It returns false
// if it could not (the caller then serves the stream itself, and releases).
func (s *Server) detach(rc *http.ResponseController, r *http.Request, st eventStream, release func()) bool {
	if !r.ProtoAtLeast(1, 1) {
		return false // HTTP/1.0: no chunked framing (see above)
	}
	s.detachMu.Lock()
	defer s.detachMu.Unlock()
	select {
	case <-s.closing:
		return false // shutting down: the handler ends the stream at once
	default:
	}
	conn, brw, err := rc.Hijack()
	if err != nil {
		return false
	}
	if brw.Reader.Buffered() > 0 {
		// The client sent more after its request, which an event stream's
		// client never does: end the stream (it reconnects).
		conn.Close()
		st.Close()
		release()
		return true
	}
	s.detached.Add(1)
	s.trackDetached(conn, true)
	s.metrics.streams.Inc()
	// The request's context ends when the handler returns; the stream's
	// ends when the client goes (or the stream does).
	ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
	go func() {
		defer s.recoverClient(ctx, "event stream reader")
		defer cancel()
		var b [1]byte
		_, _ = conn.Read(b[:]) // returns when the client closes, or the stream does
	}()
	go func() {
		defer s.detached.Done()
		defer release()
		defer s.metrics.streams.Dec()
		defer st.Close()
		defer s.trackDetached(conn, false)
		defer conn.Close()
		defer cancel()
		// First of the deferred calls to run: a panic is logged before
		// the connection closes.
		defer s.recoverClient(ctx, "event stream writer")
		reason := s.pump(ctx, func(b []byte) error { return s.writeChunk(conn, b) }, st)
		_ = s.writeChunk(conn, nil) // the response's last chunk
		s.log.DebugContext(ctx, "event stream ended", "room", streamRoom(st), "user", st.UserID(), "reason", reason, "request_id", requestID(ctx))
	}()
	return true
}

// writeChunk writes b as one HTTP/1.1 chunk (nil: the last, empty chunk)
// in one system call, giving up after the stream write timeout.
func (s *Server) writeChunk(conn net.Conn, b []byte) error {
	_ = conn.SetWriteDeadline(time.Now().Add(s.opts.StreamWriteTimeout))
	head := strconv.AppendInt(make([]byte, 0, 20), int64(len(b)), 16)
	head = append(head, '\r', '\n')
	bufs := net.Buffers{head, b, crlf}
	if len(b) == 0 {
		bufs = net.Buffers{head, crlf}
	}
	_, err := bufs.WriteTo(conn)
	return err
}

var crlf = []byte("\r\n")

// trackDetached adds (or removes) a detached stream's connection to the set
// that CloseStreams cuts when the shutdown deadline passes.
func (s *Server) trackDetached(conn net.Conn, add bool) {
	s.detachedConnsMu.Lock()
	defer s.detachedConnsMu.Unlock()
	if !add {
		delete(s.detachedConns, conn)
		return
	}
	if s.detachedConns == nil {
		s.detachedConns = map[net.Conn]struct{}{}
	}
	s.detachedConns[conn] = struct{}{}
}
