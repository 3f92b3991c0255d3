package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/toriihq/torii"
)

type ctxKey int

const (
	principalKey ctxKey = iota
)

func requestID(ctx context.Context) string { return torii.RequestID(ctx) }

func newRequestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// statusRecorder remembers the status and size of a response. Unwrap lets
// http.ResponseController reach the real writer (flushing event streams).
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe gives each request an id, recovers panics, logs one line per
// request and records metrics. It logs the path without the query string
// and never a header, so cookies and tokens stay out of the logs.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := newRequestID()
		w.Header().Set("X-Request-Id", id)
		r = r.WithContext(torii.WithRequestID(r.Context(), id))
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.writeError(rec, r, fmt.Errorf("panic: %v", v))
			}
			route := r.Pattern
			if route == "" {
				route = "unmatched"
			}
			if rec.status == 0 {
				rec.status = http.StatusOK
			}
			elapsed := time.Since(start)
			s.metrics.observeRequest(route, rec.status, elapsed)
			s.log.LogAttrs(r.Context(), levelFor(rec.status), "request",
				slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.String("route", route),
				slog.Int("status", rec.status), slog.Duration("duration", elapsed), slog.Int64("bytes", rec.bytes),
				slog.String("ip", s.clientIP(r)), slog.String("request_id", id))
		}()
		next.ServeHTTP(rec, r)
	})
}

// cspExtras are the sources the CSP adds for Google sign-in.
type cspExtras struct {
	// gis allows Google Identity Services (the provider is Google).
	gis bool
	// formAction is the provider's origin, where forms may lead.
	formAction string
}

// securityHeaders sets the headers every answer carries. The CSP allows no
// inline script or style: every script is a file under /static/. With
// extra.gis (Google is the provider) it also allows what Google Identity Services
// needs, and nothing more of Google's: its client script, its stylesheet,
// and its frames and requests under /gsi/.
func securityHeaders(https bool, extra cspExtras, next http.Handler) http.Handler {
	script, style, connect, frame := "script-src 'self'", "style-src 'self'", "connect-src 'self'", ""
	form := "form-action 'self'"
	if extra.formAction != "" {
		form += " " + extra.formAction
	}
	if extra.gis {
		script += " https://accounts.google.com/gsi/client"
		style += " https://accounts.google.com/gsi/style"
		connect += " https://accounts.google.com/gsi/"
		frame = "frame-src https://accounts.google.com/gsi/"
	}
	directives := []string{
		"default-src 'self'",
		script,
		style,
		"img-src 'self' data: https:",
		connect,
	}
	if frame != "" {
		directives = append(directives, frame)
	}
	csp := strings.Join(append(directives,
		"object-src 'none'",
		"base-uri 'none'",
		form,
		"frame-ancestors 'none'",
	), "; ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin-allow-popups")
		if https {
			h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}

// clientIP is the address the request came from: the peer, or with
// TrustProxyHeaders the right-most X-Forwarded-For entry, which is the one
// the proxy in front of us appended (entries to its left are client-chosen).
func (s *Server) clientIP(r *http.Request) string {
	if s.opts.TrustProxyHeaders {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			parts := strings.Split(xff, ",")
			if ip := net.ParseIP(strings.TrimSpace(parts[len(parts)-1])); ip != nil {
				return ip.String()
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

var forbiddenCrossOrigin = torii.Errorf(torii.EForbidden, "Cross-origin request refused.")

func levelFor(status int) slog.Level {
	if status >= 500 {
		return slog.LevelError
	}
	return slog.LevelInfo
}
