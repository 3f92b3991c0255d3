package testserver

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/toriihq/torii/testserver/testenv"
)

// Nginx finds Debian's nginx, or skips the test loudly (fails instead when
// TORII_TEST_REQUIRE_NGINX is set, as CI does). what names the check that
// would not run.
func Nginx(t testing.TB, what string) string {
	t.Helper()
	if testing.Short() {
		testenv.Skip(t, "short-nginx", "-short: the checks behind nginx did NOT run")
	}
	for _, p := range []string{"/usr/sbin/nginx", "nginx"} {
		if found, err := exec.LookPath(p); err == nil {
			return found
		}
	}
	msg := "nginx not found: " + what + " was NOT checked (Debian: apt-get install nginx-light)"
	if os.Getenv("TORII_TEST_REQUIRE_NGINX") != "" {
		t.Fatal(msg)
	}
	testenv.Skip(t, "nginx "+what, msg)
	return ""
}

// RunNginx runs nginx (the path Nginx returned) in the foreground with
// httpBlock inside a minimal http {} context whose files all live in a
// temporary directory, waits until it accepts on port, and stops it when
// the test ends (printing its error log if the test failed).
func RunNginx(t testing.TB, nginx string, port int, httpBlock string) {
	t.Helper()
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
`, dir, httpBlock)
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
	// nginx says nothing when it is ready: it is once it accepts. Polling
	// the port is the only signal it gives.
	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			conn.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx did not listen on %d: %v", port, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
