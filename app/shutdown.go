package app

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/toriihq/torii/config"
	"github.com/toriihq/torii/web"
)

// Connection timeouts of the HTTP server (docs/api.md "Limits").
const (
	// ReadHeaderTimeout bounds receiving a request's headers.
	ReadHeaderTimeout = 10 * time.Second
	// IdleTimeout closes a kept-alive connection with no request.
	IdleTimeout = 120 * time.Second
)

// webLimits are the request and stream bounds of cfg for the web server.
func webLimits(cfg *config.Config) web.Limits {
	streams := cfg.MaxStreamsPerUser
	if streams == 0 {
		streams = -1 // TORII_MAX_STREAMS_PER_USER=0: no cap
	}
	return web.Limits{
		MaxStreamsPerUser: streams,
		StreamLifetime:    cfg.StreamLifetime,
		BodyTimeout:       cfg.BodyTimeout,
		RequestTimeout:    cfg.RequestTimeout,
	}
}

// shutdown stops srv within one deadline, TORII_SHUTDOWN_TIMEOUT from now,
// shared by everything still running. At once: the listener closes (no new
// connections), assistant replies in flight are cancelled (Gemini bills
// until the connection closes) and their text so far stored as incomplete
// and announced; then event streams end with a reconnect hint; meanwhile
// in-flight requests finish. What is still running at the deadline is cut:
// the stream connections and the requests' connections close, and a reply
// not yet stored is lost (its store write is cut at the deadline too).
// Reaching the deadline is logged, not an error: it is the bound doing its
// job.
func (a *App) shutdown(srv *http.Server, errc <-chan error) error {
	timeout := a.Config.ShutdownTimeout
	a.Log.Info("shutting down", "timeout", timeout)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	shut := make(chan error, 1)
	go func() { shut <- srv.Shutdown(ctx) }()
	// Replies get the deadline less a quarter, so that streams still have
	// time to send their reconnect hint after them.
	actx, acancel := context.WithTimeout(ctx, timeout-timeout/4)
	if err := a.Service.CloseAssistant(actx); err != nil {
		a.Log.Warn("shutdown: assistant replies still being stored were cut", "err", err)
	}
	acancel()
	if err := a.Web.CloseStreams(ctx); err != nil {
		a.Log.Warn("shutdown deadline passed: event streams still writing were cut", "err", err)
	}
	if err := <-shut; err != nil {
		a.Log.Warn("shutdown deadline passed: closing the connections of requests still running", "err", err)
		_ = srv.Close()
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
