package web_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/toriihq/torii/testserver"
)

// wantForwardAuthOK checks a 200 with the X-Auth-Request-* headers.
func wantForwardAuthOK(t *testing.T, r *testserver.Response, email string) {
	t.Helper()
	wantStatus(t, "verify", r, http.StatusOK)
	if got := r.Header.Get("X-Auth-Request-Email"); got != email {
		t.Errorf("X-Auth-Request-Email = %q, want %q", got, email)
	}
	if id, err := strconv.ParseInt(r.Header.Get("X-Auth-Request-User"), 10, 64); err != nil || id <= 0 {
		t.Errorf("X-Auth-Request-User = %q, want the user id", r.Header.Get("X-Auth-Request-User"))
	}
	if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q", cc)
	}
}

func TestVerify_WithCookie(t *testing.T) {
	srv, _ := startWithClock(t, nil)
	c := signedIn(t, srv, "ann@example.com")
	wantForwardAuthOK(t, c.Do("GET", "/api/v1/auth/verify", nil), "ann@example.com")
	// nginx and Caddy may probe with HEAD.
	wantStatus(t, "HEAD", c.Do("HEAD", "/api/v1/auth/verify", nil), http.StatusOK)
	wantStatus(t, "logout", c.Do("POST", "/api/v1/auth/logout", nil), http.StatusNoContent)
	wantError(t, c.Do("GET", "/api/v1/auth/verify", nil), http.StatusUnauthorized, "UNAUTHORIZED")
}

func TestVerify_WithBearer(t *testing.T) {
	srv, _ := startWithClock(t, nil)
	p := mint(t, signedIn(t, srv, "ann@example.com"), "")
	wantForwardAuthOK(t, bearer(srv, t, "GET", "/api/v1/auth/verify", p.AccessToken), "ann@example.com")
	wantError(t, bearer(srv, t, "GET", "/api/v1/auth/verify", p.AccessToken+"x"), http.StatusUnauthorized, "UNAUTHORIZED")
}

func TestVerify_WithNeither(t *testing.T) {
	srv, _ := startWithClock(t, nil)
	r := srv.Client(t).Do("GET", "/api/v1/auth/verify", nil)
	wantError(t, r, http.StatusUnauthorized, "UNAUTHORIZED")
	if r.Header.Get("X-Auth-Request-Email") != "" || r.Header.Get("X-Auth-Request-Redirect") != "" {
		t.Fatalf("headers on a bare 401: %v", r.Header)
	}
	wantError(t, srv.Client(t).Do("GET", "/api/v1/auth/verify", nil, "Cookie", "torii_session=forged"), http.StatusUnauthorized, "UNAUTHORIZED")
}

func TestVerify_AudienceParameter(t *testing.T) {
	srv, _ := startWithClock(t, map[string]string{"TORII_TOKEN_AUDIENCES": "https://dash.example.com"})
	c := signedIn(t, srv, "ann@example.com")
	dash := mint(t, c, "?audience=https://dash.example.com")
	own := mint(t, c, "")
	wantForwardAuthOK(t, bearer(srv, t, "GET", "/api/v1/auth/verify?audience=https://dash.example.com", dash.AccessToken), "ann@example.com")
	wantError(t, bearer(srv, t, "GET", "/api/v1/auth/verify?audience=https://dash.example.com", own.AccessToken), http.StatusUnauthorized, "UNAUTHORIZED")
	// A cookie is not a token: it passes whatever the audience.
	wantForwardAuthOK(t, c.Do("GET", "/api/v1/auth/verify?audience=https://dash.example.com", nil), "ann@example.com")
	wantError(t, c.Do("GET", "/api/v1/auth/verify?audience=https://evil.example.com", nil), http.StatusUnprocessableEntity, "VALIDATION_ERROR")
}

// The proxy tells which URI was asked for; the 401 says where to sign in,
// with that path as next (escaped, so its own query survives).
func TestVerify_401CarriesLoginRedirect(t *testing.T) {
	srv, _ := startWithClock(t, nil)
	base := srv.Env["TORII_BASE_URL"]
	cases := []struct{ header, uri, want string }{
		{"X-Original-URI", "/dash/report?a=1&b=2", base + "/login?next=%2Fdash%2Freport%3Fa%3D1%26b%3D2"},
		{"X-Forwarded-Uri", "/dash/", base + "/login?next=%2Fdash%2F"},
		{"X-Forwarded-Uri", "//evil.example.com/x", base + "/login"},
		{"X-Original-URI", "https://evil.example.com/", base + "/login"},
	}
	for _, tc := range cases {
		r := srv.Client(t).Do("GET", "/api/v1/auth/verify", nil, tc.header, tc.uri)
		wantError(t, r, http.StatusUnauthorized, "UNAUTHORIZED")
		if got := r.Header.Get("X-Auth-Request-Redirect"); got != tc.want {
			t.Errorf("%s: %s → X-Auth-Request-Redirect %q, want %q", tc.header, tc.uri, got, tc.want)
		}
	}
}

// ?redirect=true is for proxies that hand the auth answer to the browser as
// it is (Traefik, Caddy): a 302 to the login page instead of the 401.
func TestVerify_RedirectModeAnswers302ToLogin(t *testing.T) {
	srv, _ := startWithClock(t, nil)
	base := srv.Env["TORII_BASE_URL"]
	r := srv.Client(t).Do("GET", "/api/v1/auth/verify?redirect=true", nil, "X-Forwarded-Uri", "/dash/?tab=1")
	wantStatus(t, "redirect mode", r, http.StatusFound)
	if loc := r.Header.Get("Location"); loc != base+"/login?next=%2Fdash%2F%3Ftab%3D1" {
		t.Fatalf("Location = %q", loc)
	}
	// A signed-in browser still passes; a script with a bad token gets the
	// 401, not a login page.
	c := signedIn(t, srv, "ann@example.com")
	wantForwardAuthOK(t, c.Do("GET", "/api/v1/auth/verify?redirect=true", nil, "X-Forwarded-Uri", "/dash/"), "ann@example.com")
	wantError(t, bearer(srv, t, "GET", "/api/v1/auth/verify?redirect=true", "bad", "X-Forwarded-Uri", "/dash/"), http.StatusUnauthorized, "UNAUTHORIZED")
	// Without the proxy's URI there is nowhere to come back to: plain 401.
	wantError(t, srv.Client(t).Do("GET", "/api/v1/auth/verify?redirect=true", nil), http.StatusUnauthorized, "UNAUTHORIZED")
}

// Signed in but not let through: 403, never a login loop.
func TestVerify_SignedInButRefusedIs403(t *testing.T) {
	srv, _ := startWithClock(t, nil)
	c := signedIn(t, srv, "ann@example.com")
	p := mint(t, c, "")
	wantForwardAuthOK(t, c.Do("GET", "/api/v1/auth/verify", nil), "ann@example.com")
	if out, code := srv.CLI(t, "", "user", "set-status", "ann@example.com", "inactive"); code != 0 {
		t.Fatalf("set-status: %d %s", code, out)
	}
	wantError(t, bearer(srv, t, "GET", "/api/v1/auth/verify?redirect=true", p.AccessToken, "X-Forwarded-Uri", "/"), http.StatusForbidden, "USER_INACTIVE")
}

// With ?audience=, the upstream gets its own JWT, so it can verify the
// caller itself (seed 000's app checks iss and aud) instead of trusting a
// header; never a token for torii's own audience.
func TestVerify_HandsUpstreamATokenForItsAudience(t *testing.T) {
	srv, clock := startWithClock(t, map[string]string{"TORII_TOKEN_AUDIENCES": "https://dash.example.com"})
	c := signedIn(t, srv, "ann@example.com")
	r := c.Do("GET", "/api/v1/auth/verify?audience=https://dash.example.com", nil)
	wantForwardAuthOK(t, r, "ann@example.com")
	tok := r.Header.Get("X-Auth-Request-Access-Token")
	if tok == "" {
		t.Fatal("no X-Auth-Request-Access-Token")
	}
	if _, claims := claimsOf(t, tok); claims["aud"] != "https://dash.example.com" || claims["email"] != "ann@example.com" || claims["iss"] != srv.Env["TORII_BASE_URL"] {
		t.Fatalf("claims = %v", claims)
	}
	wantStatus(t, "the handed token, where its audience is expected",
		bearer(srv, t, "GET", "/api/v1/auth/verify?audience=https://dash.example.com", tok), http.StatusOK)
	wantError(t, bearer(srv, t, "GET", "/api/v1/me", tok), http.StatusUnauthorized, "UNAUTHORIZED")

	// Reused while more than half its life is left, then a fresh one.
	clock.Advance(7 * time.Minute)
	if again := c.Do("GET", "/api/v1/auth/verify?audience=https://dash.example.com", nil).Header.Get("X-Auth-Request-Access-Token"); again != tok {
		t.Error("a new token after 7 min, want the cached one")
	}
	clock.Advance(time.Minute)
	if again := c.Do("GET", "/api/v1/auth/verify?audience=https://dash.example.com", nil).Header.Get("X-Auth-Request-Access-Token"); again == tok {
		t.Error("the same token after 8 min, want a fresh one")
	}
	if own := c.Do("GET", "/api/v1/auth/verify", nil).Header.Get("X-Auth-Request-Access-Token"); own != "" {
		t.Error("verify without ?audience= handed out a token for torii's own API")
	}
}
