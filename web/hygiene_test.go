package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestCrossOriginStateChangingRequestsRefused(t *testing.T) {
	srv := start(t, nil)
	registerUser(t, srv.Client(t), "ann@example.com", "Ann")
	body := map[string]string{"email": "ann@example.com", "password": goodPassword}
	cases := []struct {
		name    string
		headers []string
		status  int
	}{
		{"cross-site fetch", []string{"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"}, http.StatusForbidden},
		{"foreign Origin only", []string{"Origin", "https://evil.example"}, http.StatusForbidden},
		{"same-origin fetch", []string{"Sec-Fetch-Site", "same-origin", "Origin", srv.URL}, http.StatusOK},
		{"non-browser client", nil, http.StatusOK},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := srv.Client(t).Do("POST", "/api/v1/auth/login", body, tc.headers...)
			if r.Status != tc.status {
				t.Fatalf("status %d %s, want %d", r.Status, r.Body, tc.status)
			}
			if tc.status == http.StatusForbidden {
				wantError(t, r, http.StatusForbidden, "FORBIDDEN")
				if r.Header.Get("Set-Cookie") != "" {
					t.Fatal("a refused request set a cookie")
				}
			}
		})
	}
	// Reads are not state-changing and stay allowed.
	if r := srv.Client(t).Do("GET", "/api/v1/auth/config", nil, "Sec-Fetch-Site", "cross-site"); r.Status != http.StatusOK {
		t.Fatalf("cross-site GET: %d", r.Status)
	}
}

func TestSecurityHeadersOnEveryAnswer(t *testing.T) {
	srv := start(t, nil)
	for _, path := range []string{"/login", "/api/v1/auth/config", "/no-such-page"} {
		r := srv.Client(t).Do("GET", path, nil)
		csp := r.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("%s: CSP = %q", path, csp)
		}
		if r.Header.Get("X-Content-Type-Options") != "nosniff" || r.Header.Get("Referrer-Policy") == "" {
			t.Errorf("%s: headers = %v", path, r.Header)
		}
	}
}

func TestUnknownAPIPathIsJSONNotFound(t *testing.T) {
	srv := start(t, nil)
	wantError(t, srv.Client(t).Do("GET", "/api/v1/nothing-here", nil), http.StatusNotFound, "NOT_FOUND")
}

func TestAuthConfigReportsWhatIsOn(t *testing.T) {
	srv := start(t, nil)
	cfg := srv.Client(t).Do("GET", "/api/v1/auth/config", nil).JSON()
	if _, present := cfg["google"]; !present || cfg["google"] != nil || cfg["passwordLogin"] != true || cfg["signup"] != "auto" || cfg["assistant"] != false {
		t.Fatalf("config = %v", cfg)
	}
}

func TestHealthAndReadiness(t *testing.T) {
	srv := start(t, nil)
	for _, path := range []string{"/healthz", "/readyz"} {
		if r := srv.Client(t).Do("GET", path, nil); r.Status != http.StatusOK {
			t.Errorf("%s: %d %s", path, r.Status, r.Body)
		}
	}
}

func TestMetricsCountRequestsAndSignIns(t *testing.T) {
	srv := start(t, nil)
	registerUser(t, srv.Client(t), "ann@example.com", "Ann")
	login(srv.Client(t), "ann@example.com", "wrong password!!")
	m := string(getMetrics(t, srv.MetricsURL(t), ""))
	for _, want := range []string{
		`torii_http_requests_total{code="201",route="POST /api/v1/auth/register"} 1`,
		`torii_signins_total{method="password",result="INVALID_CREDENTIALS"} 1`,
		`torii_signins_total{method="register",result="success"} 1`,
		`torii_http_request_duration_seconds_bucket{route="POST /api/v1/auth/login"`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestLogsNeverHoldPasswordsOrTokens(t *testing.T) {
	srv := start(t, nil)
	c := srv.Client(t)
	cookie := sessionCookie(t, registerUser(t, c, "ann@example.com", "Ann"))
	login(srv.Client(t), "ann@example.com", "a wrong password here")
	c.Do("GET", "/api/v1/me?token="+url.QueryEscape("query-secret"), nil)
	logs := srv.Logs.String()
	for _, secret := range []string{goodPassword, "a wrong password here", cookie.Value, "query-secret"} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain %q", secret)
		}
	}
	if !strings.Contains(logs, `route="GET /api/v1/me"`) {
		t.Error("requests are not logged")
	}
}
