// Package web serves torii over HTTP: the JSON API under /api/v1, the
// server-rendered pages, and the operational endpoints. Handlers are thin:
// they decode, call the service, and encode; the rules live in package
// service.
package web

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/toriihq/torii/config"
	"github.com/toriihq/torii/oidcop"
	"github.com/toriihq/torii/service"
)

// Options configures a Server.
type Options struct {
	Service *service.Service
	Logger  *slog.Logger
	// BaseURL is the public URL (TORII_BASE_URL); its origin is trusted by
	// the cross-origin protection.
	BaseURL *url.URL
	// CookieName is torii_session, or __Host-torii_session over https.
	CookieName string
	// SecureCookies sets the Secure attribute (base URL is https).
	SecureCookies bool
	// SessionMax is the cookie's Max-Age; the server enforces the real
	// idle and absolute limits.
	SessionMax time.Duration
	// TrustProxyHeaders takes the client IP from X-Forwarded-For.
	TrustProxyHeaders bool
	// Heartbeat is the interval of event streams' heartbeat comments
	// (default 15 s; tests shorten it).
	Heartbeat time.Duration
	// StreamWriteTimeout bounds one write to an event stream (default
	// config.DefaultStreamWriteTimeout): a client that stops reading is
	// disconnected, and replays on reconnect.
	StreamWriteTimeout time.Duration
	// Registry receives the server's metrics (default: a new registry).
	Registry *prometheus.Registry
	// MetricsToken opens /metrics on this handler to `Authorization:
	// Bearer <MetricsToken>`; empty: /metrics answers 404 here
	// (metrics_access.go).
	MetricsToken string
	// Limits bounds requests and streams (docs/api.md "Limits").
	Limits Limits
}

// Server is torii's HTTP front.
type Server struct {
	opts    Options
	svc     *service.Service
	log     *slog.Logger
	pages   *pages
	metrics *metrics
	handler http.Handler
	// closing is closed by CloseStreams: event streams end with a
	// reconnect hint.
	closing   chan struct{}
	closeOnce sync.Once
	// detached counts the streams running on their own goroutines
	// (api_events_detached.go); detachMu orders their start with
	// CloseStreams.
	detachMu sync.Mutex
	detached sync.WaitGroup
	// detachedConns are the detached streams' connections, cut by
	// CloseStreams when its deadline passes.
	detachedConnsMu sync.Mutex
	detachedConns   map[net.Conn]struct{}
	// streamSlots counts each user's open streams (stream_bounds.go).
	streamSlots streamSlots
	// op is torii's OpenID Provider (page_oauth.go, package oidcop).
	op *oidcop.Provider
}

// New builds the server and its routes.
func New(opts Options) (*Server, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Registry == nil {
		opts.Registry = prometheus.NewRegistry()
	}
	if opts.BaseURL == nil {
		opts.BaseURL = &url.URL{Scheme: "http", Host: "localhost:8080"}
	}
	if opts.Heartbeat <= 0 {
		opts.Heartbeat = defaultHeartbeat
	}
	if opts.StreamWriteTimeout <= 0 {
		opts.StreamWriteTimeout = config.DefaultStreamWriteTimeout
	}
	if opts.CookieName == "" {
		opts.CookieName = "torii_session"
	}
	opts.Limits = opts.Limits.withDefaults()
	pg, err := sharedPages()
	if err != nil {
		return nil, err
	}
	s := &Server{
		opts:    opts,
		svc:     opts.Service,
		log:     opts.Logger,
		pages:   pg,
		metrics: newMetrics(opts.Registry),
		closing: make(chan struct{}),
	}
	s.streamSlots.max = opts.Limits.MaxStreamsPerUser
	if s.op, err = oidcop.New(opts.Service, opts.Service.Issuer(), opts.Logger); err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	s.routes(mux)
	cop := http.NewCrossOriginProtection()
	if err := cop.AddTrustedOrigin(opts.BaseURL.Scheme + "://" + opts.BaseURL.Host); err != nil {
		return nil, err
	}
	// Google posts GIS redirect-mode credentials from its own origin; that
	// route checks Google's double-submit token instead (security.md C.17).
	cop.AddInsecureBypassPattern(googleRedirectRoute)
	// The OpenID Provider's endpoints are called by apps, not by torii's
	// pages: single-page apps post from their own origin (CORS), and
	// the client or the token authenticates the call.
	for _, rt := range oauthMachineRoutes {
		cop.AddInsecureBypassPattern(rt)
	}
	cop.SetDenyHandler(http.HandlerFunc(s.crossOriginDenied))
	var csp cspExtras
	if g := opts.Service.PublicConfig().Google; g != nil {
		csp.gis = g.GIS
		if g.CodeFlow {
			// "Link a Google account" is a form whose answer redirects to
			// the provider; browsers apply form-action to that redirect.
			if u, err := url.Parse(g.Issuer); err == nil {
				csp.formAction = u.Scheme + "://" + u.Host
			}
		}
	}
	// rememberLanguage is outermost: it gives the request a new context, and
	// nothing between observe and the mux may copy the request (the mux sets
	// its Pattern for observe's metrics).
	s.handler = s.rememberLanguage(s.bounded(s.observe(securityHeaders(opts.SecureCookies, csp, cop.Handler(s.textQuery(s.waitingPages(mux)))))))
	return s, nil
}

// CloseStreams ends every event stream with a reconnect hint; the server
// calls it when it shuts down, since streams never finish on their own. It
// returns once the detached streams (which http.Server.Shutdown does not
// see) have ended, each within the stream write timeout; when ctx ends
// first, it cuts the connections of those still writing and returns
// ctx's error once they have ended.
func (s *Server) CloseStreams(ctx context.Context) error {
	s.detachMu.Lock()
	s.closeOnce.Do(func() { close(s.closing) })
	s.detachMu.Unlock()
	done := make(chan struct{})
	go func() { s.detached.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	s.detachedConnsMu.Lock()
	for c := range s.detachedConns {
		c.Close() // the stream's write fails at once
	}
	s.detachedConnsMu.Unlock()
	<-done
	return ctx.Err()
}

// googleRedirectRoute is GIS redirect mode's login_uri.
const googleRedirectRoute = "POST /auth/google/redirect"

// ServeHTTP makes the server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

func (s *Server) crossOriginDenied(w http.ResponseWriter, r *http.Request) {
	s.writeError(w, r, forbiddenCrossOrigin)
}
