package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/toriihq/torii/app"
	"github.com/toriihq/torii/testserver"
)

func deleteMe(c *testserver.Client, body any) *testserver.Response {
	return c.Do("DELETE", "/api/v1/me", body)
}

func TestDeleteMe_NeedsPasswordOrRecentSignInThenMessagesShowDeletedUser(t *testing.T) {
	clock := testserver.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	srv := testserver.Start(t, testserver.Options{AppOptions: app.Options{Now: clock.Now, Hasher: testserver.FastHasher()}})
	ann := signedIn(t, srv, "ann@example.com")
	bob := signedIn(t, srv, "bob@example.com")
	room := general(t, ann)
	send(t, ann, room, "hello from ann", "c1")
	access := mint(t, ann, "").AccessToken

	wantError(t, srv.Client(t).Do("DELETE", "/api/v1/me", map[string]string{}, "Authorization", "Bearer "+access), http.StatusForbidden, "FORBIDDEN")
	clock.Advance(11 * time.Minute)
	wantError(t, deleteMe(ann, nil), http.StatusForbidden, "REAUTH_REQUIRED")
	wantFieldError(t, deleteMe(ann, map[string]string{"password": "wrong password here"}), "password")
	r := deleteMe(ann, map[string]string{"password": goodPassword})
	if r.Status != http.StatusNoContent || !strings.Contains(r.Header.Get("Set-Cookie"), "Max-Age=0") {
		t.Fatalf("delete: %d %s (Set-Cookie %q)", r.Status, r.Body, r.Header.Get("Set-Cookie"))
	}
	wantError(t, ann.Do("GET", "/api/v1/me", nil), http.StatusUnauthorized, "UNAUTHORIZED")
	wantError(t, login(srv.Client(t), "ann@example.com", goodPassword), http.StatusUnauthorized, "INVALID_CREDENTIALS")
	if r := bearer(srv, t, "GET", "/api/v1/me", access); r.Status != http.StatusUnauthorized {
		t.Errorf("access token after deletion: %d", r.Status)
	}
	msgs := history(t, bob, room, "")
	if len(msgs) != 1 || msgs[0].User != nil || msgs[0].Body != "hello from ann" {
		t.Fatalf("bob sees %+v, want the kept text with no author (deleted user)", msgs)
	}
	// The address is free again.
	signedIn(t, srv, "ann@example.com")
	if a := adminAudit(t, srv, "user.delete"); !strings.Contains(a, `"by":"self"`) || !strings.Contains(a, `"messages":"keep"`) {
		t.Errorf("audit: %s", a)
	}
}

func TestDeleteMe_EraseModeBlanksTheMessages(t *testing.T) {
	srv := start(t, map[string]string{"TORII_DELETED_MESSAGES": "erase"})
	ann := signedIn(t, srv, "ann@example.com")
	bob := signedIn(t, srv, "bob@example.com")
	room := general(t, ann)
	send(t, ann, room, "secret words", "c1")
	wantStatus(t, "delete with a recent sign-in", deleteMe(ann, nil), http.StatusNoContent)
	if msgs := history(t, bob, room, ""); len(msgs) != 1 || msgs[0].Body != "" || msgs[0].User != nil {
		t.Fatalf("after erase: %+v", msgs)
	}
}

func TestExport_GivesTheUsersOwnData(t *testing.T) {
	srv := start(t, nil)
	ann := signedIn(t, srv, "ann@example.com")
	send(t, ann, general(t, ann), "my words", "c1")
	r := ann.Do("GET", "/api/v1/me/export", nil)
	if r.Status != http.StatusOK || !strings.Contains(r.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("export: %d %s", r.Status, r.Body)
	}
	e := r.JSON()
	if e["user"].(map[string]any)["email"] != "ann@example.com" {
		t.Errorf("user: %v", e["user"])
	}
	if m := e["messages"].([]any); len(m) != 1 || m[0].(map[string]any)["body"] != "my words" {
		t.Errorf("messages: %v", m)
	}
	if s := e["sessions"].([]any); len(s) != 1 || s[0].(map[string]any)["id"] != nil {
		t.Errorf("sessions (no ids): %v", s)
	}
	if e["truncated"] != false || e["messagesTruncated"] != false || e["auditTruncated"] != false ||
		e["limits"].(map[string]any)["messages"] != float64(100_000) || e["limits"].(map[string]any)["audit"] != float64(10_000) {
		t.Errorf("bounds: truncated %v %v %v, limits %v", e["truncated"], e["messagesTruncated"], e["auditTruncated"], e["limits"])
	}
	if !strings.Contains(string(r.Body), `"event":"register"`) {
		t.Errorf("no audit of the registration: %s", r.Body)
	}
	wantError(t, srv.Client(t).Do("GET", "/api/v1/me/export", nil), http.StatusUnauthorized, "UNAUTHORIZED")
}

func TestAdminDelete_APIPageCLIAndTheLastAdmin(t *testing.T) {
	srv := start(t, nil)
	boss := cliAdmin(t, srv)
	bob := signedIn(t, srv, "bob@example.com")
	bobID := userID(t, bob)
	wantError(t, bob.Do("DELETE", fmt.Sprintf("/api/v1/admin/users/%d", userID(t, boss)), nil), http.StatusForbidden, "FORBIDDEN")
	wantFieldError(t, boss.Do("DELETE", fmt.Sprintf("/api/v1/admin/users/%d", userID(t, boss)), nil), "id")
	// The last admin cannot leave.
	wantFieldError(t, deleteMe(boss, map[string]string{"password": goodPassword}), "account")
	wantStatus(t, "admin deletes bob", boss.Do("DELETE", fmt.Sprintf("/api/v1/admin/users/%d", bobID), nil), http.StatusNoContent)
	wantError(t, bob.Do("GET", "/api/v1/me", nil), http.StatusUnauthorized, "UNAUTHORIZED")
	wantError(t, boss.Do("DELETE", fmt.Sprintf("/api/v1/admin/users/%d", bobID), nil), http.StatusNotFound, "NOT_FOUND")

	cy := signedIn(t, srv, "cy@example.com")
	r := postForm(boss, "/admin/users/delete", url.Values{"id": {fmt.Sprint(userID(t, cy))}})
	if r.Status != http.StatusSeeOther || !strings.Contains(r.Header.Get("Location"), "done=deleted") {
		t.Fatalf("admin page delete: %d %s", r.Status, r.Header.Get("Location"))
	}
	signedIn(t, srv, "dee@example.com")
	if out, code := srv.CLI(t, "", "user", "delete", "dee@example.com"); code != 0 || !strings.Contains(out, "deleted") {
		t.Fatalf("torii user delete: %d %s", code, out)
	}
	if out, code := srv.CLI(t, "", "user", "delete", "dee@example.com"); code != 1 {
		t.Errorf("deleting twice: %d %s", code, out)
	}
}

func TestDeleteMe_AccountPageFormSignsOut(t *testing.T) {
	srv := start(t, nil)
	ann := signedIn(t, srv, "ann@example.com")
	wantPage(t, ann.Do("GET", "/account", nil), http.StatusOK, `id="delete-account"`, `href="/api/v1/me/export"`)
	r := postForm(ann, "/account/delete", url.Values{"password": {goodPassword}})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/login?deleted=1" {
		t.Fatalf("form: %d %s", r.Status, r.Header.Get("Location"))
	}
	wantPage(t, srv.Client(t).Do("GET", "/login?deleted=1", nil), http.StatusOK, "Your account is deleted.")
}
