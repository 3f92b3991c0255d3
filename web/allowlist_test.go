package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/devidp"
	"github.com/toriihq/torii/testserver"
)

func allow(t *testing.T, c *testserver.Client, pattern string) int64 {
	t.Helper()
	r := c.Do("POST", "/api/v1/admin/allowlist", map[string]string{"pattern": pattern})
	wantStatus(t, "allow "+pattern, r, http.StatusCreated)
	return int64(r.JSON()["entry"].(map[string]any)["id"].(float64))
}

func tryRegister(c *testserver.Client, email string) *testserver.Response {
	return c.Do("POST", "/api/v1/auth/register", map[string]string{"email": email, "password": goodPassword, "name": "X"})
}

func TestAllowlist_EmptyEnvAndDatabaseAdmitEveryone(t *testing.T) {
	srv := start(t, adminEnv)
	boss := adminClient(t, srv)
	if e := boss.Do("GET", "/api/v1/admin/allowlist", nil).JSON()["entries"].([]any); len(e) != 0 {
		t.Fatalf("entries = %v", e)
	}
	registerUser(t, srv.Client(t), "anyone@anywhere.example", "Anyone")
}

func TestAllowlist_DatabaseEntriesAdmitByEmailAndDomainWhateverTheCase(t *testing.T) {
	srv := start(t, adminEnv)
	boss := adminClient(t, srv)
	allow(t, boss, "Boss@Example.com")
	allow(t, boss, "@Corp.Example")
	allow(t, boss, "guest@other.org")
	registerUser(t, srv.Client(t), "staff@CORP.example", "Staff")
	registerUser(t, srv.Client(t), "GUEST@other.org", "Guest")
	for _, email := range []string{"someone@other.org", "x@sub.corp.example", "x@corp.example.evil.com", "x@example.com"} {
		wantError(t, tryRegister(srv.Client(t), email), http.StatusForbidden, "NOT_ALLOWED")
	}
	wantError(t, boss.Do("POST", "/api/v1/admin/allowlist", map[string]string{"pattern": "@CORP.example"}), http.StatusConflict, "CONFLICT")
	for _, bad := range []string{"", "corp.example", "@", "@nodot", "a@b@c.example", "x@"} {
		wantError(t, boss.Do("POST", "/api/v1/admin/allowlist", map[string]string{"pattern": bad}), http.StatusUnprocessableEntity, "VALIDATION_ERROR")
	}
	wantError(t, boss.Do("DELETE", "/api/v1/admin/allowlist/999999", nil), http.StatusNotFound, "NOT_FOUND")
}

func TestAllowlist_EnvironmentAndDatabaseTogether(t *testing.T) {
	srv := start(t, map[string]string{"TORII_ADMIN_EMAILS": "boss@example.com", "TORII_ALLOWED_EMAILS": `["@example.com"]`})
	boss := adminClient(t, srv)
	wantError(t, tryRegister(srv.Client(t), "guest@other.org"), http.StatusForbidden, "NOT_ALLOWED")
	id := allow(t, boss, "Guest@Other.ORG")
	registerUser(t, srv.Client(t), "guest@other.org", "Guest")

	var list struct {
		Entries []struct {
			ID        *int64  `json:"id"`
			Pattern   string  `json:"pattern"`
			AddedBy   *int64  `json:"addedBy"`
			CreatedAt *string `json:"createdAt"`
			Source    string  `json:"source"`
		} `json:"entries"`
	}
	boss.Do("GET", "/api/v1/admin/allowlist", nil).Decode(t, &list)
	if len(list.Entries) != 2 {
		t.Fatalf("entries = %+v", list.Entries)
	}
	env, db := list.Entries[0], list.Entries[1]
	if env.Source != "env" || env.Pattern != "@example.com" || env.ID != nil {
		t.Errorf("env entry = %+v", env)
	}
	if db.Source != "db" || db.Pattern != "guest@other.org" || db.ID == nil || *db.ID != id || db.AddedBy == nil || *db.AddedBy != userID(t, boss) || db.CreatedAt == nil {
		t.Errorf("db entry = %+v", db)
	}
	// The environment's entries are not the database's to change.
	wantError(t, boss.Do("POST", "/api/v1/admin/allowlist", map[string]string{"pattern": "@EXAMPLE.com"}), http.StatusConflict, "CONFLICT")
}

func TestAllowlist_RemovingAnEntryEndsTheAccessItGaveAtTheNextRequest(t *testing.T) {
	srv := start(t, adminEnv)
	boss := adminClient(t, srv)
	allow(t, boss, "boss@example.com")
	corp := allow(t, boss, "@corp.example")
	staff := signedIn(t, srv, "staff@corp.example")
	me(t, staff)

	wantStatus(t, "remove", boss.Do("DELETE", fmt.Sprintf("/api/v1/admin/allowlist/%d", corp), nil), http.StatusNoContent)
	// No clock moves: the next request is refused.
	wantError(t, staff.Do("GET", "/api/v1/me", nil), http.StatusForbidden, "NOT_ALLOWED")
	wantError(t, login(srv.Client(t), "staff@corp.example", goodPassword), http.StatusForbidden, "NOT_ALLOWED")
	me(t, boss)

	add, remove := auditEvents(t, srv, torii.AuditAllowlistAdd), auditEvents(t, srv, torii.AuditAllowlistRemove)
	if len(add) != 2 || len(remove) != 1 || remove[0].Detail["pattern"] != "@corp.example" || remove[0].Email != "boss@example.com" || remove[0].UserAgent == "" {
		t.Fatalf("audit: add %+v remove %+v", add, remove)
	}
}

func TestAllowlist_AnAdminCannotShutThemselvesOut(t *testing.T) {
	srv := start(t, adminEnv)
	boss := adminClient(t, srv)
	// The first entry restricts sign-in to the list: without the admin's
	// own address it would lock them out.
	wantError(t, boss.Do("POST", "/api/v1/admin/allowlist", map[string]string{"pattern": "@corp.example"}), http.StatusUnprocessableEntity, "VALIDATION_ERROR")
	own := allow(t, boss, "@example.com")
	allow(t, boss, "@corp.example")
	wantError(t, boss.Do("DELETE", fmt.Sprintf("/api/v1/admin/allowlist/%d", own), nil), http.StatusUnprocessableEntity, "VALIDATION_ERROR")
	me(t, boss)
}

func TestAllowlist_CommandLineChangesReachTheServerWithinOneSecond(t *testing.T) {
	srv, clock := startWithClock(t, nil)
	staff := signedIn(t, srv, "staff@corp.example")
	out, code := srv.CLI(t, "", "allow", "add", "@Other.example", "boss@example.com")
	if code != 0 || !strings.Contains(out, "allowed @other.example") {
		t.Fatalf("allow add: %d %s", code, out)
	}
	clock.Advance(time.Second)
	wantError(t, staff.Do("GET", "/api/v1/me", nil), http.StatusForbidden, "NOT_ALLOWED")
	registerUser(t, srv.Client(t), "new@other.example", "New")

	out, code = srv.CLI(t, "", "allow", "list")
	if code != 0 || !strings.Contains(out, "@other.example") || !strings.Contains(out, "boss@example.com") || !strings.Contains(out, "db") {
		t.Fatalf("allow list: %d %s", code, out)
	}
	if out, code := srv.CLI(t, "", "allow", "rm", "@OTHER.example", "boss@example.com"); code != 0 || !strings.Contains(out, "removed @other.example") {
		t.Fatalf("allow rm: %d %s", code, out)
	}
	clock.Advance(time.Second)
	me(t, staff)
	if out, code := srv.CLI(t, "", "allow", "list"); code != 0 || !strings.Contains(out, "everyone may sign in") {
		t.Fatalf("allow list when empty: %d %s", code, out)
	}
	for _, args := range [][]string{{"allow", "rm", "nobody@example.com"}, {"allow", "add", "not-an-email"}} {
		if out, code := srv.CLI(t, "", args...); code != 1 {
			t.Errorf("%v: %d %s", args, code, out)
		}
	}
	if out, code := srv.CLI(t, "", "allow"); code != 2 {
		t.Errorf("allow without subcommand: %d %s", code, out)
	}
	events := auditEvents(t, srv, torii.AuditAllowlistAdd)
	if len(events) != 2 || events[0].Detail["pattern"] == nil || events[0].UserAgent != "torii-cli" {
		t.Fatalf("audit of the CLI: %+v", events)
	}
}

func TestAllowlist_GoogleSignInChecksTheDatabaseAllowlist(t *testing.T) {
	g := startGoogle(t, adminEnv)
	boss := adminClient(t, g.srv)
	allow(t, boss, "boss@example.com")
	outsider := devidp.User{Email: "eve@elsewhere.org", Name: "Eve", EmailVerified: true}
	g.wantRejected(t, g.signIn(g.srv.Client(t), g.idp.Token(outsider)), http.StatusForbidden, "NOT_ALLOWED")
	g.wantRejected(t, g.signIn(g.srv.Client(t), g.idp.Token(ada)), http.StatusForbidden, "NOT_ALLOWED")
	id := allow(t, boss, "ADA@example.com")
	c := g.srv.Client(t)
	if r := g.signIn(c, g.idp.Token(ada)); r.Status != http.StatusCreated {
		t.Fatalf("allowed Google user: %d %s", r.Status, r.Body)
	}
	wantStatus(t, "remove", boss.Do("DELETE", fmt.Sprintf("/api/v1/admin/allowlist/%d", id), nil), http.StatusNoContent)
	wantError(t, c.Do("GET", "/api/v1/me", nil), http.StatusForbidden, "NOT_ALLOWED")
	g.wantRejected(t, g.signIn(g.srv.Client(t), g.idp.Token(ada)), http.StatusForbidden, "NOT_ALLOWED")
}
