package web

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/config"
)

// responseGrace is how long past its deadline a request may still write
// its answer (the 503 saying it ran out of time).
const responseGrace = 5 * time.Second

// Limits bound what one client can hold of the server (docs/api.md
// "Limits"). The zero value is the defaults, config's (their one home).
type Limits struct {
	// MaxStreamsPerUser caps a user's open event streams on this
	// instance: 0 means config.DefaultMaxStreamsPerUser, < 0 no cap.
	MaxStreamsPerUser int
	// StreamLifetime ends a stream with a reconnect hint (±10 %).
	StreamLifetime time.Duration
	// BodyTimeout bounds receiving a request body.
	BodyTimeout time.Duration
	// RequestTimeout bounds a request other than an event stream, from
	// its headers to the end of its answer.
	RequestTimeout time.Duration
}

func (l Limits) withDefaults() Limits {
	switch {
	case l.MaxStreamsPerUser == 0:
		l.MaxStreamsPerUser = config.DefaultMaxStreamsPerUser
	case l.MaxStreamsPerUser < 0:
		l.MaxStreamsPerUser = 0
	}
	if l.StreamLifetime <= 0 {
		l.StreamLifetime = config.DefaultStreamLifetime
	}
	if l.BodyTimeout <= 0 {
		l.BodyTimeout = config.DefaultBodyTimeout
	}
	if l.RequestTimeout <= 0 {
		l.RequestTimeout = config.DefaultRequestTimeout
	}
	return l
}

// isStream reports whether r asks for an event stream: a GET of a path
// ending in /events under /api/v1/ (the room streams, and the user stream
// /api/v1/events). Streams are bounded by their lifetime and a write
// timeout per write instead of a request deadline.
func isStream(r *http.Request) bool {
	return r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/api/v1/") && strings.HasSuffix(r.URL.Path, "/events")
}

// bounded puts deadlines on every request. A non-streaming request gets a
// context deadline (RequestTimeout: its work is cancelled and it answers
// 503) and a write deadline a little later (a client that does not read
// the answer is cut off); its body, if any, must arrive within BodyTimeout
// (and the request deadline), else the read fails, the answer is 400 and
// the connection closes. A stream's first write gets the stream write
// timeout (the connection may carry an earlier request's deadline:
// net/http resets read deadlines per request, not write deadlines).
//
// Unlike http.TimeoutHandler, nothing is buffered and streams are left
// alone; a handler stuck outside its context is cut by the write deadline.
func (s *Server) bounded(next http.Handler) http.Handler {
	lim := s.opts.Limits
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		now := time.Now()
		if isStream(r) {
			_ = rc.SetWriteDeadline(now.Add(s.opts.StreamWriteTimeout))
			next.ServeHTTP(w, r)
			return
		}
		deadline := now.Add(lim.RequestTimeout)
		_ = rc.SetWriteDeadline(deadline.Add(responseGrace))
		ctx, cancel := context.WithDeadline(r.Context(), deadline)
		defer cancel()
		if r.Body != nil && r.Body != http.NoBody {
			_ = rc.SetReadDeadline(now.Add(min(lim.BodyTimeout, lim.RequestTimeout)))
			b := &deadlineBody{ReadCloser: r.Body}
			ctx = context.WithValue(ctx, slowBodyKey{}, b)
			r.Body = b
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// deadlineBody remembers that a read of the body hit its deadline.
type deadlineBody struct {
	io.ReadCloser
	timedOut atomic.Bool
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	var ne net.Error
	if err != nil && errors.As(err, &ne) && ne.Timeout() {
		b.timedOut.Store(true)
	}
	return n, err
}

type slowBodyKey struct{}

var (
	errSlowBody = torii.Errorf(torii.EBadRequest, "The request body did not arrive in time.")
	errTooLong  = torii.Errorf(torii.EServiceUnavailable, "The request took too long. Try again.")
)

// boundError is the error to answer for err given r's bounds: a body that
// did not arrive in time is BAD_REQUEST whatever the handler made of the
// failed read; work cut by the request deadline is SERVICE_UNAVAILABLE,
// not an internal error.
func (s *Server) boundError(r *http.Request, err error) error {
	if b, ok := r.Context().Value(slowBodyKey{}).(*deadlineBody); ok && b.timedOut.Load() {
		return errSlowBody
	}
	if torii.ErrorCode(err) == torii.EInternal && errors.Is(r.Context().Err(), context.DeadlineExceeded) {
		s.log.WarnContext(r.Context(), "request deadline passed", "err", err, "request_id", requestID(r.Context()))
		return errTooLong
	}
	return err
}
