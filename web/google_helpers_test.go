package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/devidp"
	"github.com/toriihq/torii/sqlstore"
	"github.com/toriihq/torii/testserver"
)

// googleT0 is the shared clock's start for Google tests: the provider
// mints with it and torii verifies with it.
var googleT0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// Test users of the in-process provider.
var (
	ada   = devidp.User{Email: "ada@example.com", Name: "Ada Lovelace", EmailVerified: true}
	grace = devidp.User{Email: "grace@example.com", Name: "Grace Hopper", EmailVerified: true}
)

// googleEnv is a started torii that trusts an in-process dev-idp.
type googleEnv struct {
	srv   *testserver.Server
	idp   *testserver.IDP
	clock *testserver.Clock
}

// startGoogle starts a dev-idp and a torii that discovers it, sharing one
// clock; env adds variables.
func startGoogle(t *testing.T, env map[string]string) *googleEnv {
	t.Helper()
	clock := testserver.NewClock(googleT0)
	idp := testserver.StartIDP(t, devidp.Options{Now: clock.Now})
	all := idp.Env()
	for k, v := range env {
		all[k] = v
	}
	srv := testserver.Start(t, testserver.Options{Env: all, AppOptions: appOpts(clock)})
	return &googleEnv{srv: srv, idp: idp, clock: clock}
}

// claims returns valid claims for u, for a test to change before signing.
func (g *googleEnv) claims(u devidp.User) devidp.Claims {
	return g.idp.Claims(u, testserver.IDPClientID, "")
}

// signIn posts a GIS credential as the JS callback does.
func (g *googleEnv) signIn(c *testserver.Client, credential string) *testserver.Response {
	return c.Do("POST", "/api/v1/auth/google", map[string]string{"credential": credential})
}

// wantRejected asserts a refused sign-in: the status and code, no session
// cookie, and no user or identity written.
func (g *googleEnv) wantRejected(t *testing.T, r *testserver.Response, status int, code string) {
	t.Helper()
	wantError(t, r, status, code)
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if strings.HasSuffix(c.Name, "torii_session") && c.MaxAge >= 0 {
			t.Fatalf("a refused sign-in set a session cookie")
		}
	}
}

// store opens the server's database for assertions.
func (g *googleEnv) store(t *testing.T) *sqlstore.Store {
	t.Helper()
	st, err := sqlstore.Open(t.Context(), g.srv.Database)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// counts returns how many users and identities the database holds.
func (g *googleEnv) counts(t *testing.T) (users, identities int) {
	t.Helper()
	st := g.store(t)
	n, err := st.CountUsers(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	all, err := st.ListUsers(t.Context(), torii.UserFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range all {
		ids, err := st.IdentitiesByUser(t.Context(), u.ID)
		if err != nil {
			t.Fatal(err)
		}
		identities += len(ids)
	}
	return n, identities
}

// wantCounts fails unless the database holds that many users and identities.
func (g *googleEnv) wantCounts(t *testing.T, users, identities int) {
	t.Helper()
	if u, i := g.counts(t); u != users || i != identities {
		t.Fatalf("database holds %d users and %d identities, want %d and %d", u, i, users, identities)
	}
}

// startCodeFlow opens /auth/google/login?next= and returns the provider's
// authorization URL it redirects to.
func (g *googleEnv) startCodeFlow(t *testing.T, c *testserver.Client, next string) *url.URL {
	t.Helper()
	path := "/auth/google/login"
	if next != "" {
		path += "?next=" + url.QueryEscape(next)
	}
	r := c.Do("GET", path, nil)
	if r.Status != http.StatusFound {
		t.Fatalf("GET %s: %d %s", path, r.Status, r.Body)
	}
	u, err := url.Parse(r.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(u.String(), g.idp.URL+"/authorize?") {
		t.Fatalf("redirected to %q, want the provider's authorize endpoint", r.Header.Get("Location"))
	}
	return u
}

// pick submits the provider's authorize page as a person picking u (or
// cancelling, with action "cancel") and returns the callback path the
// provider redirects to.
func (g *googleEnv) pick(t *testing.T, c *testserver.Client, auth *url.URL, u devidp.User, action string) string {
	t.Helper()
	form := auth.Query()
	form.Set("email", u.Email)
	form.Set("name", u.Name)
	form.Set("sub", u.Subject)
	form.Set("hd", u.HostedDomain)
	if u.EmailVerified {
		form.Set("email_verified", "on")
	}
	form.Set("action", action)
	resp, err := c.HTTP.PostForm(g.idp.URL+"/authorize", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, g.srv.URL+"/auth/google/callback?") {
		t.Fatalf("provider answered %d, Location %q", resp.StatusCode, loc)
	}
	return strings.TrimPrefix(loc, g.srv.URL)
}

// codeFlow runs the whole code flow for u in c's browser and returns the
// callback's response.
func (g *googleEnv) codeFlow(t *testing.T, c *testserver.Client, next string, u devidp.User) *testserver.Response {
	t.Helper()
	return c.Do("GET", g.pick(t, c, g.startCodeFlow(t, c, next), u, "signin"), nil)
}

// wantPage asserts an HTML answer with the status that contains every
// fragment.
func wantPage(t *testing.T, r *testserver.Response, status int, fragments ...string) {
	t.Helper()
	if r.Status != status || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("got %d %s (%s), want an HTML page with %d", r.Status, r.Header.Get("Content-Type"), r.Body, status)
	}
	for _, f := range fragments {
		if !strings.Contains(string(r.Body), f) {
			t.Fatalf("page lacks %q:\n%s", f, r.Body)
		}
	}
}

// me returns GET /api/v1/me of a client, failing unless it is signed in.
func me(t *testing.T, c *testserver.Client) map[string]any {
	t.Helper()
	r := c.Do("GET", "/api/v1/me", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("/me: %d %s", r.Status, r.Body)
	}
	return r.JSON()
}

func authProvider(t *testing.T, c *testserver.Client) string {
	t.Helper()
	return me(t, c)["user"].(map[string]any)["authProvider"].(string)
}

// Short names for the provider's ways of signing badly.
type devidpSignOption = devidp.SignOption

const (
	algNone         = devidp.AlgNone
	algHS256        = devidp.AlgHS256
	tamperSignature = devidp.TamperSignature
	tamperPayload   = devidp.TamperPayload
	unknownKey      = devidp.UnknownKey
)
