package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/toriihq/torii/testserver"
)

func postForm(c *testserver.Client, path string, form url.Values) *testserver.Response {
	return c.Do("POST", path, []byte(form.Encode()), "Content-Type", "application/x-www-form-urlencoded")
}

func TestPages_SignedOutHomeGoesToLogin(t *testing.T) {
	srv := start(t, nil)
	r := srv.Client(t).Do("GET", "/", nil)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/login" {
		t.Fatalf("GET /: %d %s", r.Status, r.Header.Get("Location"))
	}
}

func TestPages_RegisterFormSignsInAndGreets(t *testing.T) {
	srv := start(t, nil)
	c := srv.Client(t)
	r := postForm(c, "/register", url.Values{"name": {"Ann <b>Lee</b>"}, "email": {"ann@example.com"}, "password": {goodPassword}, "next": {"/"}})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/" {
		t.Fatalf("register form: %d %s", r.Status, r.Body)
	}
	home := c.Do("GET", "/", nil)
	if home.Status != http.StatusOK || !strings.Contains(string(home.Body), "Hello, Ann &lt;b&gt;Lee&lt;/b&gt;") {
		t.Fatalf("home: %d %s", home.Status, home.Body)
	}
}

func TestPages_LoginErrorShownWithTheRightStatus(t *testing.T) {
	srv := start(t, nil)
	registerUser(t, srv.Client(t), "ann@example.com", "Ann")
	r := postForm(srv.Client(t), "/login", url.Values{"email": {"ann@example.com"}, "password": {"wrong password!!"}})
	if r.Status != http.StatusUnauthorized || !strings.Contains(string(r.Body), "Wrong email or password.") || !strings.Contains(string(r.Body), `value="ann@example.com"`) {
		t.Fatalf("login form error: %d %s", r.Status, r.Body)
	}
	r = postForm(srv.Client(t), "/register", url.Values{"name": {"B"}, "email": {"b@example.com"}, "password": {"short"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), `id="password-error"`) {
		t.Fatalf("register form error: %d %s", r.Status, r.Body)
	}
}

func TestPages_NextParameterOnlyFollowsSameOriginPaths(t *testing.T) {
	srv := start(t, nil)
	registerUser(t, srv.Client(t), "ann@example.com", "Ann")
	cases := map[string]string{
		"/account":               "/account",
		"/account?tab=sessions":  "/account?tab=sessions",
		"//evil.com":             "/",
		"https://evil.com":       "/",
		`/\evil.com`:             "/",
		"javascript:alert(1)":    "/",
		"/%2F%2Fevil.com":        "/",
		"/%5Cevil.com":           "/",
		"%2F%2Fevil.com":         "/",
		"/\t/evil.com":           "/",
		"http:/evil.com":         "/",
		"":                       "/",
		"/ok/../../still-a-path": "/still-a-path", // http.Redirect cleans dot segments
	}
	for next, want := range cases {
		r := postForm(srv.Client(t), "/login", url.Values{"email": {"ann@example.com"}, "password": {goodPassword}, "next": {next}})
		if r.Status != http.StatusSeeOther || r.Header.Get("Location") != want {
			t.Errorf("next=%q: %d → %q, want %q", next, r.Status, r.Header.Get("Location"), want)
		}
	}
}

func TestPages_AccountListsSessionsAndSignsOutOthers(t *testing.T) {
	srv := start(t, nil)
	a, b := srv.Client(t), srv.Client(t)
	registerUser(t, a, "ann@example.com", "Ann")
	login(b, "ann@example.com", goodPassword)
	page := string(a.Do("GET", "/account", nil).Body)
	if strings.Count(page, `<li class="session`) != 2 || !strings.Contains(page, "This device") {
		t.Fatalf("account page: %s", page)
	}
	if r := postForm(a, "/account/sessions/revoke-others", url.Values{}); r.Status != http.StatusSeeOther {
		t.Fatalf("revoke others: %d", r.Status)
	}
	wantError(t, b.Do("GET", "/api/v1/me", nil), http.StatusUnauthorized, "UNAUTHORIZED")
}

func TestPages_LogoutFormRevokesAndClearsCookie(t *testing.T) {
	srv := start(t, nil)
	c := srv.Client(t)
	cookie := sessionCookie(t, registerUser(t, c, "ann@example.com", "Ann"))
	r := postForm(c, "/logout", url.Values{})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/login?signed_out=1" {
		t.Fatalf("logout: %d %s", r.Status, r.Header.Get("Location"))
	}
	wantError(t, withCookie(srv, t, cookie, "GET", "/api/v1/me"), http.StatusUnauthorized, "UNAUTHORIZED")
}

func TestPages_CrossSiteFormPostRefused(t *testing.T) {
	srv := start(t, nil)
	registerUser(t, srv.Client(t), "ann@example.com", "Ann")
	r := srv.Client(t).Do("POST", "/login", []byte("email=ann%40example.com&password="+url.QueryEscape(goodPassword)),
		"Content-Type", "application/x-www-form-urlencoded", "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example")
	if r.Status != http.StatusForbidden || r.Header.Get("Set-Cookie") != "" {
		t.Fatalf("cross-site login form: %d %v", r.Status, r.Header)
	}
}

func TestPages_UnknownPageIs404(t *testing.T) {
	srv := start(t, nil)
	r := srv.Client(t).Do("GET", "/no/such/page", nil)
	if r.Status != http.StatusNotFound || !strings.Contains(string(r.Body), "Page not found") {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
}
