package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/testserver"
	"github.com/toriihq/torii/web"
)

// adminEnv is a server whose boss@example.com becomes admin at sign-in.
var adminEnv = map[string]string{"TORII_ADMIN_EMAILS": "boss@example.com"}

// adminClient creates boss@example.com (verified, an admin through
// TORII_ADMIN_EMAILS at sign-in) and returns its browser.
func adminClient(t *testing.T, srv *testserver.Server) *testserver.Client {
	t.Helper()
	return verifiedClient(t, srv, "boss@example.com", "Boss")
}

// userID returns the id of a signed-in client's user.
func userID(t *testing.T, c *testserver.Client) int64 {
	t.Helper()
	return int64(me(t, c)["user"].(map[string]any)["id"].(float64))
}

func patchUser(c *testserver.Client, id int64, body any) *testserver.Response {
	return c.Do("PATCH", fmt.Sprintf("/api/v1/admin/users/%d", id), body)
}

func TestAdmin_NonAdminRefusedOnEveryAdminRoute(t *testing.T) {
	srv := start(t, adminEnv)
	adminClient(t, srv)
	member := signedIn(t, srv, "worker@example.com")
	anonymous := srv.Client(t)
	bodies := map[string]any{"PATCH": map[string]any{"status": "inactive"}, "POST": map[string]any{"pattern": "@evil.example"}}
	routes := web.AdminRoutes()
	if len(routes) < 6 {
		t.Fatalf("admin routes = %v", routes)
	}
	for _, rt := range routes {
		method, path, _ := strings.Cut(rt, " ")
		path = strings.ReplaceAll(path, "{id}", "1")
		t.Run(rt, func(t *testing.T) {
			wantError(t, member.Do(method, path, bodies[method]), http.StatusForbidden, "FORBIDDEN")
			wantError(t, anonymous.Do(method, path, bodies[method]), http.StatusUnauthorized, "UNAUTHORIZED")
		})
	}
	// The page and its forms: a plain 403 page, nothing changed.
	wantPage(t, member.Do("GET", "/admin", nil), http.StatusForbidden, "administrators")
	for _, form := range []string{"/admin/users/status", "/admin/users/roles", "/admin/allowlist/add", "/admin/allowlist/remove"} {
		wantPage(t, postForm(member, form, url.Values{"id": {"1"}, "status": {"inactive"}, "admin": {"0"}, "pattern": {"@evil.example"}}), http.StatusForbidden)
	}
	if r := anonymous.Do("GET", "/admin", nil); r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/login?next=%2Fadmin" {
		t.Fatalf("signed-out /admin: %d %q", r.Status, r.Header.Get("Location"))
	}
	if events := auditEvents(t, srv, torii.AuditUserStatus); len(events) != 0 {
		t.Fatalf("refused requests changed a status: %v", events)
	}
	if events := auditEvents(t, srv, torii.AuditAllowlistAdd); len(events) != 0 {
		t.Fatalf("refused requests changed the allowlist: %v", events)
	}
}

func TestAdmin_UsersSearchByEmailOrNameAndStatus(t *testing.T) {
	srv := start(t, adminEnv)
	boss := adminClient(t, srv)
	ann := signedIn(t, srv, "ann@example.com")
	registerUser(t, srv.Client(t), "zed@other.org", "Ann-Marie Zed")
	patchUser(boss, userID(t, ann), map[string]any{"status": "inactive"})

	emails := func(query string) []string {
		t.Helper()
		r := boss.Do("GET", "/api/v1/admin/users"+query, nil)
		wantStatus(t, query, r, http.StatusOK)
		var out []string
		for _, u := range r.JSON()["users"].([]any) {
			out = append(out, u.(map[string]any)["email"].(string))
		}
		return out
	}
	cases := []struct {
		query string
		want  []string
	}{
		{"", []string{"boss@example.com", "ann@example.com", "zed@other.org"}},
		{"?q=ANN", []string{"ann@example.com", "zed@other.org"}},
		{"?q=other.org", []string{"zed@other.org"}},
		{"?status=inactive", []string{"ann@example.com"}},
		{"?q=ann&status=active", []string{"zed@other.org"}},
		{"?q=%25", nil},
		{"?limit=1", []string{"boss@example.com"}},
		{"?after=1", []string{"ann@example.com", "zed@other.org"}},
	}
	for _, c := range cases {
		if got := emails(c.query); !slices.Equal(got, c.want) {
			t.Errorf("%q: %v, want %v", c.query, got, c.want)
		}
	}
	wantError(t, boss.Do("GET", "/api/v1/admin/users?status=gone", nil), http.StatusUnprocessableEntity, "VALIDATION_ERROR")
	wantError(t, boss.Do("GET", "/api/v1/admin/users?after=x", nil), http.StatusUnprocessableEntity, "VALIDATION_ERROR")

	// The shape: the user object plus roles, groups, lastLoginAt.
	u := boss.Do("GET", "/api/v1/admin/users?q=boss", nil).JSON()["users"].([]any)[0].(map[string]any)
	for _, k := range []string{"id", "email", "name", "avatarUrl", "status", "authProvider", "createdAt", "roles", "groups", "lastLoginAt"} {
		if _, ok := u[k]; !ok {
			t.Errorf("admin user lacks %q: %v", k, u)
		}
	}
	if u["authProvider"] != "local" || fmt.Sprint(u["roles"]) != "[admin]" || u["lastLoginAt"] == nil {
		t.Errorf("admin user = %v", u)
	}
	if g := u["groups"].([]any); len(g) != 1 || g[0].(map[string]any)["name"] != "everyone" || g[0].(map[string]any)["role"] != "member" {
		t.Errorf("groups = %v", g)
	}
}

func TestAdmin_DeactivationEndsEverySessionAndTokenAtOnce(t *testing.T) {
	srv, _ := startWithClock(t, adminEnv)
	boss := adminClient(t, srv)
	ann := signedIn(t, srv, "ann@example.com")
	phone := srv.Client(t)
	wantStatus(t, "second sign-in", login(phone, "ann@example.com", goodPassword), http.StatusOK)
	pair := mint(t, ann, "")
	me(t, ann) // the principal is cached now
	id := userID(t, ann)

	r := patchUser(boss, id, map[string]any{"status": "inactive"})
	wantStatus(t, "deactivate", r, http.StatusOK)
	if st := r.JSON()["user"].(map[string]any)["status"]; st != "inactive" {
		t.Fatalf("user after PATCH: %s", r.Body)
	}
	// No clock moves: the change is seen by the very next request.
	wantError(t, ann.Do("GET", "/api/v1/me", nil), http.StatusUnauthorized, "UNAUTHORIZED")
	wantError(t, phone.Do("GET", "/api/v1/me", nil), http.StatusUnauthorized, "UNAUTHORIZED")
	wantError(t, refresh(srv, t, pair.RefreshToken), http.StatusForbidden, "USER_INACTIVE")
	wantError(t, login(srv.Client(t), "ann@example.com", goodPassword), http.StatusForbidden, "USER_INACTIVE")

	wantStatus(t, "reactivate", patchUser(boss, id, map[string]any{"status": "active"}), http.StatusOK)
	// Reactivation brings back no session and no token.
	wantError(t, ann.Do("GET", "/api/v1/me", nil), http.StatusUnauthorized, "UNAUTHORIZED")
	wantError(t, refresh(srv, t, pair.RefreshToken), http.StatusUnauthorized, "UNAUTHORIZED")
	wantStatus(t, "sign-in after reactivation", login(srv.Client(t), "ann@example.com", goodPassword), http.StatusOK)
	events := auditEvents(t, srv, torii.AuditUserStatus)
	if len(events) != 2 || events[1].Detail["to"] != "inactive" || events[1].Detail["by"] != "boss@example.com" || events[1].IP == "" {
		t.Fatalf("status events = %+v", events)
	}
}

func TestAdmin_DeactivationFromTheCLIReachesTheServerWithinOneSecond(t *testing.T) {
	srv, clock := startWithClock(t, nil)
	ann := signedIn(t, srv, "ann@example.com")
	me(t, ann)
	if out, code := srv.CLI(t, "", "user", "set-status", "ann@example.com", "inactive"); code != 0 {
		t.Fatalf("set-status: %s", out)
	}
	// Another process changed the database: this server's principal
	// cache (1 s) is the only delay.
	clock.Advance(time.Second)
	wantError(t, ann.Do("GET", "/api/v1/me", nil), http.StatusUnauthorized, "UNAUTHORIZED")
}

func TestAdmin_RolesPatchIsTheFullListAndAppliesAtOnce(t *testing.T) {
	srv := start(t, adminEnv)
	boss := adminClient(t, srv)
	ann := signedIn(t, srv, "ann@example.com")
	id := userID(t, ann)
	wantError(t, ann.Do("GET", "/api/v1/admin/users", nil), http.StatusForbidden, "FORBIDDEN")

	r := patchUser(boss, id, map[string]any{"roles": []string{"admin"}})
	wantStatus(t, "grant", r, http.StatusOK)
	if fmt.Sprint(r.JSON()["user"].(map[string]any)["roles"]) != "[admin]" {
		t.Fatalf("after grant: %s", r.Body)
	}
	wantStatus(t, "admin API right after the grant", ann.Do("GET", "/api/v1/admin/users", nil), http.StatusOK)

	wantStatus(t, "revoke", patchUser(boss, id, map[string]any{"roles": []string{}}), http.StatusOK)
	wantError(t, ann.Do("GET", "/api/v1/admin/users", nil), http.StatusForbidden, "FORBIDDEN")

	// A bad role fails the whole PATCH: the status is not changed either.
	wantError(t, patchUser(boss, id, map[string]any{"status": "inactive", "roles": []string{"emperor"}}), http.StatusUnprocessableEntity, "VALIDATION_ERROR")
	me(t, ann)
	wantError(t, patchUser(boss, id, map[string]any{"status": "asleep"}), http.StatusUnprocessableEntity, "VALIDATION_ERROR")
	wantError(t, patchUser(boss, id, map[string]any{}), http.StatusUnprocessableEntity, "VALIDATION_ERROR")
	wantError(t, patchUser(boss, id, map[string]any{"roles": "admin"}), http.StatusUnprocessableEntity, "VALIDATION_ERROR")
	wantError(t, patchUser(boss, 1<<40, map[string]any{"status": "inactive"}), http.StatusNotFound, "NOT_FOUND")
	wantError(t, boss.Do("PATCH", "/api/v1/admin/users/x", map[string]any{"status": "inactive"}), http.StatusNotFound, "NOT_FOUND")
	me(t, ann)

	roles := auditEvents(t, srv, torii.AuditUserRoles)
	var byBoss int
	for _, e := range roles {
		if e.Detail["by"] == "boss@example.com" {
			byBoss++
		}
	}
	if byBoss != 2 {
		t.Fatalf("role events by the admin = %d, want 2 (grant, revoke): %+v", byBoss, roles)
	}
}

func TestAdmin_CannotShutThemselvesOut(t *testing.T) {
	srv := start(t, adminEnv)
	boss := adminClient(t, srv)
	id := userID(t, boss)
	wantError(t, patchUser(boss, id, map[string]any{"status": "inactive"}), http.StatusUnprocessableEntity, "VALIDATION_ERROR")
	wantError(t, patchUser(boss, id, map[string]any{"roles": []string{}}), http.StatusUnprocessableEntity, "VALIDATION_ERROR")
	wantStatus(t, "still admin", boss.Do("GET", "/api/v1/admin/users", nil), http.StatusOK)
}

func TestAdmin_AuditBrowseFiltersAndPages(t *testing.T) {
	srv := start(t, adminEnv)
	boss := adminClient(t, srv)
	ann := signedIn(t, srv, "ann@example.com")
	annID := userID(t, ann)
	login(srv.Client(t), "ann@example.com", "wrong password!!")
	login(srv.Client(t), "ann@example.com", goodPassword)

	r := boss.Do("GET", fmt.Sprintf("/api/v1/admin/audit?userId=%d", annID), nil)
	wantStatus(t, "audit", r, http.StatusOK)
	var page struct {
		Events []struct {
			ID        int64          `json:"id"`
			At        string         `json:"at"`
			Event     string         `json:"event"`
			UserID    *int64         `json:"userId"`
			Email     string         `json:"email"`
			IP        string         `json:"ip"`
			UserAgent string         `json:"userAgent"`
			Detail    map[string]any `json:"detail"`
		} `json:"events"`
		NextBefore *int64 `json:"nextBefore"`
	}
	r.Decode(t, &page)
	var names []string
	for _, e := range page.Events {
		names = append(names, e.Event)
		if e.UserID == nil || *e.UserID != annID || e.Email != "ann@example.com" || e.IP != "127.0.0.1" || e.UserAgent == "" || e.At == "" {
			t.Errorf("event %+v", e)
		}
	}
	// Newest first: the sign-in, the failed one, the registration's own
	// sign-in, the registration.
	if want := []string{"signin.success", "signin.failure", "signin.success", "register"}; !slices.Equal(names, want) {
		t.Fatalf("events = %v, want %v", names, want)
	}
	if page.Events[1].Detail["reason"] != "INVALID_CREDENTIALS" {
		t.Errorf("failure detail = %v", page.Events[1].Detail)
	}

	failures := boss.Do("GET", "/api/v1/admin/audit?event=signin.failure", nil).JSON()["events"].([]any)
	if len(failures) != 1 {
		t.Fatalf("signin.failure events = %v", failures)
	}

	// Pages of two, by `before`, with no gap and no repeat.
	var seen []float64
	before := ""
	for range 10 {
		r := boss.Do("GET", fmt.Sprintf("/api/v1/admin/audit?userId=%d&limit=2%s", annID, before), nil).JSON()
		for _, e := range r["events"].([]any) {
			seen = append(seen, e.(map[string]any)["id"].(float64))
		}
		if r["nextBefore"] == nil {
			break
		}
		before = fmt.Sprintf("&before=%.0f", r["nextBefore"].(float64))
	}
	if len(seen) != 4 || !slices.IsSortedFunc(seen, func(a, b float64) int { return int(b - a) }) || seen[0] != float64(page.Events[0].ID) {
		t.Fatalf("paged ids = %v", seen)
	}
	wantError(t, boss.Do("GET", "/api/v1/admin/audit?before=-1", nil), http.StatusUnprocessableEntity, "VALIDATION_ERROR")
}
