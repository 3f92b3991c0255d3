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
// in-flight requests finish; then background (the outbox sender, whose
// send under way is cut, and the reset requests already answered) is
// waited for. What is still running at the deadline is cut: the stream
// connections and the requests' connections close, and a reply, mail
// result or reset link not yet stored is lost (its store write is cut
// when the store closes; a mail cut mid-send is sent again later).
// Reaching the deadline is logged, not an error: it is the bound doing
// its job.
func (a *App) shutdown(srv *http.Server, errc <-chan error, background func(context.Context)) error {
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
	background(ctx)
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// waitBackground waits, until ctx's deadline, for the outbox sender to
// stop (outboxDone) and for the password reset requests already answered
// to have queued their mail. Call it once no request runs any more (a
// reset request starts a job).
func (a *App) waitBackground(ctx context.Context, outboxDone <-chan struct{}) {
	resets := make(chan struct{})
	go func() { a.Service.WaitResetJobs(); close(resets) }()
	for _, w := range []struct {
		what string
		done <-chan struct{}
	}{{"the mail being sent", outboxDone}, {"password reset requests being queued", resets}} {
		select {
		case <-w.done:
		case <-ctx.Done():
			a.Log.Warn("shutdown deadline passed: " + w.what + " cut")
		}
	}
}
