package web_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/testserver"
)

var setupURLLine = regexp.MustCompile(`setup_url=(\S+)`)

// setupPath returns the path and query of the first-run link the server
// logged, or "" if it logged none.
func setupPath(t *testing.T, srv *testserver.Server) string {
	t.Helper()
	m := setupURLLine.FindStringSubmatch(srv.Logs.String())
	if m == nil {
		return ""
	}
	u, err := url.Parse(strings.Trim(m[1], `"`))
	if err != nil {
		t.Fatal(err)
	}
	return u.RequestURI()
}

func postSetup(t *testing.T, srv *testserver.Server, c *testserver.Client, token string) (int, string, string) {
	t.Helper()
	resp, err := c.HTTP.PostForm(srv.URL+"/setup", url.Values{"token": {token}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(body)
}

func isAdmin(c *testserver.Client) bool {
	return c.Do("GET", "/api/v1/admin/users", nil).Status == http.StatusOK
}

func TestSetup_FirstRunLinkMakesTheSignedInUserTheFirstAdminOnce(t *testing.T) {
	eachBackend(t, nil, func(t *testing.T, srv *testserver.Server) {
		link := setupPath(t, srv)
		if !strings.HasPrefix(link, "/setup?token=") {
			t.Fatalf("no first-run link in the start-up log:\n%s", srv.Logs.String())
		}
		token, _ := url.ParseQuery(strings.TrimPrefix(link, "/setup?"))
		anon := srv.Client(t)
		r := anon.Do("GET", link, nil)
		if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `id="setup-login"`) || strings.Contains(string(r.Body), "setup-confirm") {
			t.Fatalf("signed-out visit: %d %s", r.Status, r.Body)
		}
		// Signed out, the POST changes nothing and asks to sign in.
		if status, loc, _ := postSetup(t, srv, anon, token.Get("token")); status != http.StatusSeeOther || !strings.HasPrefix(loc, "/login?next=") {
			t.Fatalf("signed-out POST: %d %s", status, loc)
		}

		ann, bob := srv.Client(t), srv.Client(t)
		registerUser(t, ann, "ann@example.com", "Ann")
		registerUser(t, bob, "bob@example.com", "Bob")
		r = ann.Do("GET", link, nil)
		if r.Status != http.StatusOK || !strings.Contains(string(r.Body), "ann@example.com") || !strings.Contains(string(r.Body), "setup-confirm") {
			t.Fatalf("signed-in visit: %d %s", r.Status, r.Body)
		}
		if isAdmin(ann) {
			t.Fatal("opening the link (GET) made ann admin")
		}
		// A wrong token is refused, and makes nobody admin.
		wrong := strings.Repeat("A", 43)
		if status, _, _ := postSetup(t, srv, bob, wrong); status != http.StatusNotFound || isAdmin(bob) {
			t.Fatalf("wrong token: %d, bob admin %v", status, isAdmin(bob))
		}
		if status, loc, body := postSetup(t, srv, ann, token.Get("token")); status != http.StatusSeeOther || loc != "/admin" {
			t.Fatalf("confirm: %d %s %s", status, loc, body)
		}
		if !isAdmin(ann) {
			t.Fatal("ann is not admin after confirming")
		}
		rows := auditRows(t, srv, torii.AuditUserRoles)
		if len(rows) != 1 || rows[0].Email != "ann@example.com" || rows[0].Detail["by"] != "setup link" {
			t.Fatalf("audit: %+v", rows)
		}
		// The link is spent: "already set up", for anyone.
		if status, _, body := postSetup(t, srv, bob, token.Get("token")); status != http.StatusConflict || !strings.Contains(body, "already set up") || isAdmin(bob) {
			t.Fatalf("second use: %d %s", status, body)
		}
		if r := bob.Do("GET", link, nil); r.Status != http.StatusConflict || !strings.Contains(string(r.Body), "already set up") {
			t.Fatalf("visit after setup: %d %s", r.Status, r.Body)
		}
		// A restart with an admin logs no link.
		srv.Stop()
		again := testserver.Start(t, testserver.Options{Env: map[string]string{"TORII_DATABASE": srv.Database}})
		if p := setupPath(t, again); p != "" {
			t.Fatalf("a server with an admin logged a setup link %s", p)
		}
	})
}
