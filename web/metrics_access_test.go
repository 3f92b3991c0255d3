package web_test

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/toriihq/torii/app"
	"github.com/toriihq/torii/cli"

	"github.com/toriihq/torii/testserver"
)

// getMetrics fetches url with an optional Bearer token and returns the
// body of a 200 (failing the test otherwise).
func getMetrics(t *testing.T, url, token string) []byte {
	t.Helper()
	status, body := fetchMetrics(t, url, token)
	if status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, status, body)
	}
	return body
}

func fetchMetrics(t *testing.T, url, token string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body
}

func TestMetrics_MainListenerAnswers404WithoutAToken(t *testing.T) {
	srv := start(t, nil)
	r := srv.Client(t).Do("GET", "/metrics", nil)
	if r.Status != http.StatusNotFound || strings.Contains(string(r.Body), "torii_http_requests_total") {
		t.Fatalf("main /metrics without a token configured: %d %.200s", r.Status, r.Body)
	}
	// The separate (loopback) listener serves them.
	if m := getMetrics(t, srv.MetricsURL(t), ""); !strings.Contains(string(m), "torii_http_requests_total") {
		t.Fatalf("metrics listener: %.300s", m)
	}
}

func TestMetrics_MainListenerServesOnlyTheBearerToken(t *testing.T) {
	const token = "0123456789abcdef-metrics"
	srv := start(t, map[string]string{"TORII_METRICS_TOKEN": token, "TORII_METRICS_ADDR": "off"})
	if strings.Contains(srv.Logs.String(), "metrics listening") {
		t.Fatal("TORII_METRICS_ADDR=off still opened a metrics listener")
	}
	for _, bad := range []string{"", "wrong-token-0123456789", token + "x"} {
		status, body := fetchMetrics(t, srv.URL+"/metrics", bad)
		if status != http.StatusUnauthorized || !strings.Contains(string(body), `"UNAUTHORIZED"`) {
			t.Fatalf("token %q: %d %.200s", bad, status, body)
		}
	}
	if m := getMetrics(t, srv.URL+"/metrics", token); !strings.Contains(string(m), "torii_http_requests_total") {
		t.Fatalf("with the token: %.300s", m)
	}
	if strings.Contains(srv.Logs.String(), token) {
		t.Fatal("the metrics token was logged")
	}
}

func TestMetrics_TakenMetricsPortStopsStartUpNamingTheVariable(t *testing.T) {
	first := start(t, nil)
	addr := strings.TrimSuffix(strings.TrimPrefix(first.MetricsURL(t), "http://"), "/metrics")
	out, code := runServe(t, map[string]string{"TORII_METRICS_ADDR": addr})
	if code != 1 || !strings.Contains(out, "TORII_METRICS_ADDR: cannot listen on "+addr) {
		t.Fatalf("exit %d: %s", code, out)
	}
}

// runServe runs `torii serve` with env over a fresh database and returns
// its output and exit status; a server that starts is stopped at once.
func runServe(t *testing.T, env map[string]string) (string, int) {
	t.Helper()
	full := map[string]string{"TORII_DATABASE": filepath.Join(t.TempDir(), "torii.db"), "TORII_ADDR": "127.0.0.1:0"}
	for k, v := range env {
		full[k] = v
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	logs := &testserver.SyncBuffer{}
	code := cli.Run(ctx, []string{"serve"}, cli.Env{Stdout: logs, Stderr: logs,
		Getenv: func(k string) string { return full[k] }, Ready: func(string) { cancel() },
		AppOptions: app.Options{Hasher: testserver.FastHasher()}})
	return logs.String(), code
}
