package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/toriihq/torii/testserver"
)

var catalogBlock = regexp.MustCompile(`(?s)<script type="application/json" id="torii-i18n">.*?</script>`)

// withoutCatalog drops the layout's JSON block of page strings.
func withoutCatalog(body string) string { return catalogBlock.ReplaceAllString(body, "") }

func TestGoogleOff_NoButtonAndEndpointsAnswer400(t *testing.T) {
	srv := start(t, nil)
	for _, page := range []string{"/login", "/register"} {
		// The page JavaScript's catalog (all js.* messages, Google's
		// included) is data, not something the page shows.
		body := withoutCatalog(string(srv.Client(t).Do("GET", page, nil).Body))
		for _, s := range []string{"google", "Google", "accounts.google.com"} {
			if strings.Contains(body, s) {
				t.Fatalf("%s mentions %q with Google off", page, s)
			}
		}
	}
	if cfg := srv.Client(t).Do("GET", "/api/v1/auth/config", nil).JSON(); cfg["google"] != nil {
		t.Fatalf("config google = %v", cfg["google"])
	}
	if csp := srv.Client(t).Do("GET", "/login", nil).Header.Get("Content-Security-Policy"); strings.Contains(csp, "google") {
		t.Fatalf("CSP allows Google with Google off: %s", csp)
	}
	c := srv.Client(t)
	registerUser(t, c, "ann@example.com", "Ann")
	for _, tc := range []struct{ method, path string }{
		{"POST", "/api/v1/auth/google"},
		{"POST", "/api/v1/auth/google/register"},
		{"POST", "/api/v1/me/identities"},
	} {
		wantError(t, c.Do(tc.method, tc.path, map[string]string{"credential": "x", "name": "Ann"}), http.StatusBadRequest, "GOOGLE_NOT_CONFIGURED")
	}
	for _, r := range []*testserver.Response{
		c.Do("GET", "/auth/google/login", nil),
		c.Do("GET", "/auth/google/callback?code=x&state=y", nil),
		c.Do("POST", "/auth/google/redirect", "credential=x&g_csrf_token=t", "Content-Type", "application/x-www-form-urlencoded", "Cookie", "g_csrf_token=t"),
		postForm(c, "/auth/google/link", url.Values{}),
	} {
		wantPage(t, r, http.StatusBadRequest, "not configured")
	}
}

func TestGoogleOn_PagesShowTheButtonWithoutLoadingGoogleForOtherProviders(t *testing.T) {
	g := startGoogle(t, nil)
	login := g.srv.Client(t).Do("GET", "/login?next=/account", nil)
	wantPage(t, login, http.StatusOK, `id="google-button"`, `href="/auth/google/login?next=%2faccount"`, "Sign in with Google", "/static/google-g.svg")
	wantPage(t, g.srv.Client(t).Do("GET", "/register", nil), http.StatusOK, "Sign up with Google")
	// Not Google's issuer: no GIS script, and the CSP does not open to Google.
	if strings.Contains(string(login.Body), "google.js") || strings.Contains(login.Header.Get("Content-Security-Policy"), "accounts.google.com") {
		t.Fatal("GIS is loaded for a provider that is not Google")
	}
	cfg := g.srv.Client(t).Do("GET", "/api/v1/auth/config", nil).JSON()["google"].(map[string]any)
	if cfg["clientId"] != "torii-test-client" || cfg["gis"] != false || cfg["codeFlow"] != true {
		t.Fatalf("config google = %v", cfg)
	}
}

func TestAccountPage_ListsIdentitiesAndLinksThroughTheCodeFlow(t *testing.T) {
	g := startGoogle(t, nil)
	c := g.srv.Client(t)
	registerUser(t, c, "ann@example.com", "Ann")
	wantPage(t, c.Do("GET", "/account", nil), http.StatusOK, "No Google account is linked", "Link a Google account", "Change your password")

	start := postForm(c, "/auth/google/link", url.Values{})
	if start.Status != http.StatusSeeOther || !strings.HasPrefix(start.Header.Get("Location"), g.idp.URL+"/authorize?") {
		t.Fatalf("link start: %d %s", start.Status, start.Header.Get("Location"))
	}
	auth, _ := url.Parse(start.Header.Get("Location"))
	r := c.Do("GET", g.pick(t, c, auth, grace, "signin"), nil)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/account?linked=1" {
		t.Fatalf("link callback: %d %q %s", r.Status, r.Header.Get("Location"), r.Body)
	}
	page := c.Do("GET", "/account?linked=1", nil)
	wantPage(t, page, http.StatusOK, "Your Google account is linked", "grace@example.com", "Unlink")
	if got := authProvider(t, c); got != "both" {
		t.Fatalf("authProvider = %q", got)
	}

	// Another browser cannot finish a link started by this one's session.
	other := g.srv.Client(t)
	registerUser(t, other, "bob@example.com", "Bob")
	start = postForm(c, "/auth/google/link", url.Values{})
	auth, _ = url.Parse(start.Header.Get("Location"))
	cb := g.pick(t, c, auth, ada, "signin")
	logout := c.Do("POST", "/api/v1/auth/logout", nil)
	if logout.Status != http.StatusNoContent {
		t.Fatalf("logout: %d", logout.Status)
	}
	wantPage(t, c.Do("GET", cb, nil), http.StatusUnauthorized, "Sign in again to link")
	g.wantCounts(t, 2, 1)
}

func TestAccountPage_SetPasswordAndUnlinkForms(t *testing.T) {
	g := startGoogle(t, nil)
	c := g.srv.Client(t)
	g.signIn(c, g.idp.Token(ada))
	page := c.Do("GET", "/account", nil)
	wantPage(t, page, http.StatusOK, "Set a password", "Your only way to sign in")
	short := postForm(c, "/account/password", url.Values{"newPassword": {"short"}})
	wantPage(t, short, http.StatusUnprocessableEntity, "New password must be at least 12 characters")
	done := postForm(c, "/account/password", url.Values{"newPassword": {goodPassword}})
	if done.Status != http.StatusSeeOther || done.Header.Get("Location") != "/account?password=1" {
		t.Fatalf("set password: %d %s", done.Status, done.Body)
	}
	page = c.Do("GET", "/account", nil)
	wantPage(t, page, http.StatusOK, "Change your password", "Unlink")
	id := strings.Split(strings.Split(string(page.Body), `id="unlink-`)[1], `"`)[0]
	if r := postForm(c, "/account/identities/unlink", url.Values{"id": {id}}); r.Status != http.StatusSeeOther {
		t.Fatalf("unlink: %d %s", r.Status, r.Body)
	}
	if got := authProvider(t, c); got != "local" {
		t.Fatalf("authProvider = %q", got)
	}
}
