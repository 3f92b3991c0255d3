package testserver

import (
	"regexp"
	"testing"
)

var metricsLine = regexp.MustCompile(`msg="metrics listening" url=(\S+)`)

// MetricsURL returns the URL of the server's separate metrics listener
// (TORII_METRICS_ADDR, 127.0.0.1:0 by default in tests), read from the
// line serve logs before it is ready.
func (s *Server) MetricsURL(t testing.TB) string {
	t.Helper()
	m := metricsLine.FindStringSubmatch(s.Logs.String())
	if m == nil {
		t.Fatalf("no metrics listener in the logs:\n%s", s.Logs.String())
	}
	return m[1]
}
