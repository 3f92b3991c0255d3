package web

import (
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/toriihq/torii"
)

// The main listener does not publish metrics to the world (issue 13): its
// /metrics answers only a request carrying Options.MetricsToken as a
// Bearer token, and 404 when no token is configured, as if the route did
// not exist. Prometheus scrapes the separate listener (TORII_METRICS_ADDR,
// MetricsHandler) or, where only one port is reachable (Cloud Run), the
// main one with the token.

// MetricsHandler serves the Prometheus metrics to anyone who reaches it:
// mount it only on the separate metrics listener.
func (s *Server) MetricsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.opts.Registry, promhttp.HandlerOpts{}))
	return mux
}

// metricsOnMain is GET /metrics on the main listener.
func (s *Server) metricsOnMain() http.Handler {
	prom := promhttp.HandlerFor(s.opts.Registry, promhttp.HandlerOpts{})
	token := []byte(s.opts.MetricsToken)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(token) == 0 {
			s.notFoundPage(w, r)
			return
		}
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), token) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="torii metrics"`)
			s.writeError(w, r, torii.Errorf(torii.EUnauthorized, "A metrics token is required."))
			return
		}
		prom.ServeHTTP(w, r)
	})
}
