package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// ListenMetrics binds the separate metrics listener (TORII_METRICS_ADDR)
// and returns its address, or "" when it is off. Serve then serves
// /metrics on it. A port already taken stops start-up with a line naming
// the variable: several instances on one host each need their own port
// (or off, with TORII_METRICS_TOKEN).
func (a *App) ListenMetrics() (string, error) {
	if a.Config.MetricsAddr == "" {
		return "", nil
	}
	ln, err := net.Listen("tcp", a.Config.MetricsAddr)
	if err != nil {
		return "", fmt.Errorf("TORII_METRICS_ADDR: cannot listen on %s: %w (choose another port, or off)", a.Config.MetricsAddr, err)
	}
	a.metricsLn = ln
	return ln.Addr().String(), nil
}

// serveMetrics serves the metrics listener, if bound, until ctx ends.
func (a *App) serveMetrics(ctx context.Context) {
	if a.metricsLn == nil {
		return
	}
	srv := &http.Server{
		Handler:           a.Web.MetricsHandler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		ErrorLog:          slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn),
	}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	if err := srv.Serve(a.metricsLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
		a.Log.Error("metrics listener failed", "err", err)
	}
}
