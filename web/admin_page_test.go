package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/toriihq/torii/testserver"
)

func TestAdminPage_ListsSearchesAndDeactivatesThroughForms(t *testing.T) {
	srv := start(t, adminEnv)
	boss := adminClient(t, srv)
	ann := signedIn(t, srv, "ann@example.com")
	annID := userID(t, ann)

	page := boss.Do("GET", "/admin", nil)
	wantPage(t, page, http.StatusOK, "ann@example.com", "boss@example.com", "everyone", fmt.Sprintf(`id="deactivate-%d"`, annID),
		"The allowlist is empty", "Audit log", "register")
	wantPage(t, boss.Do("GET", "/admin?q=ANN", nil), http.StatusOK, "ann@example.com")
	if body := string(boss.Do("GET", "/admin?q=ann", nil).Body); strings.Contains(body, "boss@example.com</span>") {
		t.Fatal("the search did not narrow the users")
	}

	r := postForm(boss, "/admin/users/status", url.Values{"id": {fmt.Sprint(annID)}, "status": {"inactive"}, "back": {"/admin?q=ann"}})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/admin?done=status&q=ann" {
		t.Fatalf("status form: %d %q", r.Status, r.Header.Get("Location"))
	}
	wantError(t, ann.Do("GET", "/api/v1/me", nil), http.StatusUnauthorized, "UNAUTHORIZED")
	wantPage(t, boss.Do("GET", "/admin?done=status&q=ann", nil), http.StatusOK, "status is saved", fmt.Sprintf(`id="activate-%d"`, annID))

	// An off-site `back` is ignored.
	r = postForm(boss, "/admin/users/status", url.Values{"id": {fmt.Sprint(annID)}, "status": {"active"}, "back": {"//evil.example/admin"}})
	if r.Header.Get("Location") != "/admin?done=status" {
		t.Fatalf("back: %q", r.Header.Get("Location"))
	}
	r = postForm(boss, "/admin/users/roles", url.Values{"id": {fmt.Sprint(annID)}, "admin": {"1"}})
	wantStatus(t, "grant form", r, http.StatusSeeOther)
	wantStatus(t, "ann is admin", loginAs(t, srv, "ann@example.com").Do("GET", "/api/v1/admin/users", nil), http.StatusOK)

	// Errors show on the page with their status; nothing changes.
	wantPage(t, postForm(boss, "/admin/users/status", url.Values{"id": {fmt.Sprint(userID(t, boss))}, "status": {"inactive"}}),
		http.StatusUnprocessableEntity, "cannot be changed on your own account")
	wantPage(t, postForm(boss, "/admin/allowlist/add", url.Values{"pattern": {"not a pattern"}}), http.StatusUnprocessableEntity, "pattern must be")
	wantStatus(t, "allow form", postForm(boss, "/admin/allowlist/add", url.Values{"pattern": {"@example.com"}}), http.StatusSeeOther)
	wantPage(t, boss.Do("GET", "/admin", nil), http.StatusOK, `data-pattern="@example.com"`)
	wantPage(t, boss.Do("GET", "/admin?event=allowlist.add", nil), http.StatusOK, "allowlist.add", "pattern=@example.com")
}

func loginAs(t *testing.T, srv *testserver.Server, email string) *testserver.Client {
	t.Helper()
	c := srv.Client(t)
	wantStatus(t, "login "+email, login(c, email, goodPassword), http.StatusOK)
	return c
}

func TestFirstRun_LogsHowToBecomeAdmin(t *testing.T) {
	srv := start(t, nil)
	if !strings.Contains(srv.Logs.String(), "no admin yet") || !strings.Contains(srv.Logs.String(), "torii user grant") {
		t.Fatalf("no hint in the start-up log:\n%s", srv.Logs.String())
	}
	if out, code := srv.CLI(t, "", "user", "create", "--email", "root@example.com", "--name", "Root", "--admin"); code != 0 {
		t.Fatal(out)
	}
	again := start(t, map[string]string{"TORII_DATABASE": srv.Database})
	if strings.Contains(again.Logs.String(), "no admin yet") {
		t.Fatalf("hint logged although an admin exists:\n%s", again.Logs.String())
	}
}
