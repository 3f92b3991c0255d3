package cli_test

import (
	"net"
	"strings"
	"testing"

	"github.com/toriihq/torii/testserver"
)

// TestHealthcheck_ExitsZeroOnlyWhenTheServerAnswers: the container's
// HEALTHCHECK command finds the server from TORII_ADDR or PORT, as serve
// does, and fails when nothing answers there.
func TestHealthcheck_ExitsZeroOnlyWhenTheServerAnswers(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	_, port, err := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	cases := []struct {
		name     string
		env      map[string]string
		args     []string
		wantCode int
		want     string
	}{
		{"TORII_ADDR", map[string]string{"TORII_ADDR": "127.0.0.1:" + port}, nil, 0, "/healthz: ok"},
		{"PORT, any host dialled on loopback", map[string]string{"PORT": port}, nil, 0, "127.0.0.1:" + port + "/healthz: ok"},
		{"ready", map[string]string{"TORII_ADDR": "0.0.0.0:" + port}, []string{"--ready"}, 0, "/readyz: ok"},
		{"nothing listening", map[string]string{"TORII_ADDR": closed}, nil, 1, "connection refused"},
		{"bad flag", map[string]string{"PORT": port}, []string{"--nope"}, 2, "flag provided but not defined"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, errOut, code := run(t, c.env, "", append([]string{"healthcheck"}, c.args...)...)
			if code != c.wantCode || !strings.Contains(out+errOut, c.want) {
				t.Fatalf("healthcheck = %d, stdout %q, stderr %q; want %d and %q", code, out, errOut, c.wantCode, c.want)
			}
		})
	}
}
