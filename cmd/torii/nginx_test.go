package main_test

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/toriihq/torii/testserver"
)

// startNginx runs nginx in the foreground with deploy/nginx.conf, its
// upstreams pointed at the instances, and returns its URL.
func startNginx(t *testing.T, procs []*process) string {
	t.Helper()
	nginx := testserver.Nginx(t, "deploy/nginx.conf")
	b, err := os.ReadFile("../../deploy/nginx.conf")
	if err != nil {
		t.Fatal(err)
	}
	block := string(b)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	for from, to := range map[string]string{
		"listen 80;":          fmt.Sprintf("listen 127.0.0.1:%d;", port),
		"server torii-a:8080": "server " + strings.TrimPrefix(procs[0].URL, "http://"),
		"server torii-b:8080": "server " + strings.TrimPrefix(procs[1].URL, "http://"),
	} {
		if !strings.Contains(block, from) {
			t.Fatalf("deploy/nginx.conf no longer contains %q", from)
		}
		block = strings.ReplaceAll(block, from, to)
	}
	testserver.RunNginx(t, nginx, port, block)
	return fmt.Sprintf("http://127.0.0.1:%d", port)
}

// TestInstances_BehindNginxWithoutAffinity: with deploy/nginx.conf in
// front of two instances, a signed-in browser's requests are spread over
// both and every one of them succeeds.
func TestInstances_BehindNginxWithoutAffinity(t *testing.T) {
	t.Parallel()
	database := testserver.PostgresDatabase(t)
	procs := startProcesses(t, buildBinary(t), database, 2, map[string]string{"TORII_TRUST_PROXY_HEADERS": "true"})
	proxy := (&testserver.Server{URL: startNginx(t, procs)}).Client(t)
	want(t, "register through nginx", proxy.Do("POST", "/api/v1/auth/register",
		map[string]string{"email": "ann@example.com", "password": "a long enough password", "name": "Ann"}), http.StatusCreated)
	for i := range 10 {
		want(t, fmt.Sprintf("/me #%d through nginx", i), proxy.Do("GET", "/api/v1/me", nil), http.StatusOK)
	}
	for i, p := range procs {
		if !strings.Contains(p.logs.String(), `"route":"GET /api/v1/me","status":200`) {
			t.Errorf("instance %c answered no /api/v1/me: nginx did not spread the requests", 'A'+i)
		}
	}
}
