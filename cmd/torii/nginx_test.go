package main_test

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/toriihq/torii/testserver"
)

// startNginx runs nginx in the foreground with deploy/nginx.conf, its
// upstreams pointed at the instances, and returns its URL.
func startNginx(t *testing.T, procs []*process) string {
	t.Helper()
	nginx := ""
	for _, p := range []string{"/usr/sbin/nginx", "nginx"} {
		if found, err := exec.LookPath(p); err == nil {
			nginx = found
			break
		}
	}
	if nginx == "" {
		msg := "*** nginx not found: deploy/nginx.conf was NOT checked (Debian: apt-get install nginx-light) ***"
		if os.Getenv("TORII_TEST_REQUIRE_NGINX") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
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
	dir := t.TempDir()
	conf := fmt.Sprintf(`daemon off;
master_process off;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log info;
events {}
http {
    access_log off;
    client_body_temp_path %[1]s/body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
%[2]s
}
`, dir, block)
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(nginx, "-t", "-p", dir, "-c", path, "-e", dir+"/error.log").CombinedOutput(); err != nil {
		t.Fatalf("nginx -t: %v\n%s", err, out)
	}
	cmd := exec.Command(nginx, "-p", dir, "-c", path, "-e", dir+"/error.log")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			b, _ := os.ReadFile(dir + "/error.log")
			t.Logf("nginx error log:\n%s", b)
		}
	})
	// nginx says nothing when it is ready: it is once it accepts.
	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			conn.Close()
			return fmt.Sprintf("http://127.0.0.1:%d", port)
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx did not listen on %d: %v", port, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestInstances_BehindNginxWithoutAffinity: with deploy/nginx.conf in
// front of two instances, a signed-in browser's requests are spread over
// both and every one of them succeeds.
func TestInstances_BehindNginxWithoutAffinity(t *testing.T) {
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
