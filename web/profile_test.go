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

func TestProfile_PatchMeChangesTheNameOnly(t *testing.T) {
	srv := start(t, nil)
	ann := signedIn(t, srv, "ann@example.com")
	r := ann.Do("PATCH", "/api/v1/me", map[string]any{"name": "  Ann   Smith "})
	if r.Status != http.StatusOK || r.JSON()["user"].(map[string]any)["name"] != "Ann Smith" {
		t.Fatalf("PATCH name: %d %s", r.Status, r.Body)
	}
	if me(t, ann)["user"].(map[string]any)["name"] != "Ann Smith" {
		t.Error("the new name is not what /me shows")
	}
	wantFieldError(t, ann.Do("PATCH", "/api/v1/me", map[string]any{"name": ""}), "name")
	wantFieldError(t, ann.Do("PATCH", "/api/v1/me", map[string]any{"name": 5}), "name")
	wantFieldError(t, ann.Do("PATCH", "/api/v1/me", map[string]any{"email": "x@example.com"}), "email")
	wantFieldError(t, ann.Do("PATCH", "/api/v1/me", map[string]any{}), "name")
	wantError(t, srv.Client(t).Do("PATCH", "/api/v1/me", map[string]any{"name": "X"}), http.StatusUnauthorized, "UNAUTHORIZED")
	// The /account form does the same.
	wantPage(t, postForm(ann, "/account/name", url.Values{"name": {"Ann B"}}), http.StatusOK, "Your name is saved.", `value="Ann B"`)
	if a := adminAudit(t, srv, "profile.update"); !strings.Contains(a, `"to":"Ann B"`) {
		t.Errorf("audit: %s", a)
	}
}

// twoMails waits for two mails and returns them by recipient.
func twoMails(t *testing.T, smtp *testserver.SMTP) map[string]testserver.ReceivedMail {
	t.Helper()
	out := map[string]testserver.ReceivedMail{}
	for range 2 {
		m := smtp.Next(t)
		out[m.To[0]] = m
	}
	return out
}

func TestEmailChange_LinkToNewAddressConfirmsOldIsToldNeedsRecentSignIn(t *testing.T) {
	clock := testserver.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	srv, smtp := mailServer(t, app.Options{Now: clock.Now})
	ann := signedIn(t, srv, "ann@example.com")
	smtp.Next(t) // the registration's verification mail
	signedIn(t, srv, "taken@example.com")
	smtp.Next(t)

	wantError(t, srv.Client(t).Do("POST", "/api/v1/me/email", map[string]string{"email": "x@example.com"}, "Authorization", "Bearer "+mint(t, ann, "").AccessToken), http.StatusForbidden, "FORBIDDEN")
	wantError(t, ann.Do("POST", "/api/v1/me/email", map[string]string{"email": "taken@example.com"}), http.StatusConflict, "EMAIL_ALREADY_EXISTS")
	wantFieldError(t, ann.Do("POST", "/api/v1/me/email", map[string]string{"email": "ann@example.com"}), "email")
	if r := ann.Do("POST", "/api/v1/me/email", map[string]string{"email": "Ann.New@Example.com"}); r.Status != http.StatusAccepted {
		t.Fatalf("change: %d %s", r.Status, r.Body)
	}
	mails := twoMails(t, smtp)
	if s := mails["ann.new@example.com"].Header(t, "Subject"); s != "Confirm your new e-mail address" {
		t.Fatalf("mail to the new address: %q", s)
	}
	notice := mails["ann@example.com"]
	if s := notice.Header(t, "Subject"); s != "Your torii e-mail address is being changed" || !strings.Contains(notice.Part(t, "text/plain"), "ann.new@example.com") {
		t.Fatalf("notice to the old address: %q", s)
	}
	link := mails["ann.new@example.com"].Link(t, "/confirm-email")
	token := linkToken(t, link, "/confirm-email")
	// Nothing changes until the link is used; opening the page spends nothing.
	wantPage(t, srv.Client(t).Do("GET", "/confirm-email?token="+token, nil), http.StatusOK, `id="confirm-email"`)
	if me(t, ann)["user"].(map[string]any)["email"] != "ann@example.com" {
		t.Fatal("the address changed before the link was used")
	}
	wantStatus(t, "confirm", srv.Client(t).Do("POST", "/api/v1/auth/email-change/confirm", map[string]string{"token": token}), http.StatusNoContent)
	if u := me(t, ann)["user"].(map[string]any); u["email"] != "ann.new@example.com" || u["emailVerified"] != true {
		t.Fatalf("after confirm: %v", u)
	}
	wantError(t, srv.Client(t).Do("POST", "/api/v1/auth/email-change/confirm", map[string]string{"token": token}), http.StatusBadRequest, "TOKEN_INVALID")
	wantStatus(t, "login with the new address", login(srv.Client(t), "ann.new@example.com", goodPassword), http.StatusOK)
	wantError(t, login(srv.Client(t), "ann@example.com", goodPassword), http.StatusUnauthorized, "INVALID_CREDENTIALS")
	if a := adminAudit(t, srv, "email.change"); !strings.Contains(a, `"from":"ann@example.com"`) {
		t.Errorf("audit: %s", a)
	}

	// A lasting change: past ten minutes since sign-in it needs a re-authentication.
	clock.Advance(11 * time.Minute)
	wantError(t, ann.Do("POST", "/api/v1/me/email", map[string]string{"email": "third@example.com"}), http.StatusForbidden, "REAUTH_REQUIRED")
	wantPage(t, postForm(ann, "/account/email", url.Values{"email": {"third@example.com"}}), http.StatusForbidden, `id="reauth"`)
	// An expired link changes nothing.
	wantStatus(t, "reauth", ann.Do("POST", "/api/v1/me/reauth", map[string]string{"password": goodPassword}), http.StatusNoContent)
	wantStatus(t, "second change", ann.Do("POST", "/api/v1/me/email", map[string]string{"email": "third@example.com"}), http.StatusAccepted)
	expired := linkToken(t, twoMails(t, smtp)["third@example.com"].Link(t, "/confirm-email"), "/confirm-email")
	clock.Advance(24 * time.Hour)
	wantPage(t, postForm(srv.Client(t), "/confirm-email", url.Values{"token": {expired}}), http.StatusBadRequest, "invalid, already used or expired")
}

// With no mail, a change waits for an admin: the user asks on /account
// (or the API), the admin sees it on /admin and makes its link (page, API
// or `torii user email-link`, each making the earlier one dead), and
// opening it changes the address, verified by the admin's act. /account
// shows the waiting change, then the change itself in place of the
// notice mail; every step is audited.
func TestEmailChange_WithoutMailAnAdminMakesTheLink(t *testing.T) {
	srv := start(t, nil)
	ann := signedIn(t, srv, "ann@example.com")
	annID := userID(t, ann)
	boss := cliAdmin(t, srv)
	path := fmt.Sprintf("/api/v1/admin/users/%d/email-change", annID)

	// Nothing waits yet: no link to make.
	wantError(t, boss.Do("POST", path, nil), http.StatusNotFound, "NOT_FOUND")
	if _, code := srv.CLI(t, "", "user", "email-link", "ann@example.com"); code != 1 {
		t.Errorf("email-link with nothing waiting: exit %d", code)
	}
	wantPage(t, ann.Do("GET", "/account", nil), http.StatusOK, `id="profile-email"`, "This server sends no mail: an administrator makes the confirmation link")

	r := ann.Do("POST", "/api/v1/me/email", map[string]string{"email": "Ann.New@Example.com"})
	if r.Status != http.StatusAccepted || r.JSON()["mailed"] != false || r.JSON()["email"] != "ann.new@example.com" {
		t.Fatalf("change: %d %s", r.Status, r.Body)
	}
	wantPage(t, postForm(ann, "/account/email", url.Values{"email": {"ann.new@example.com"}}), http.StatusOK, "waiting for an administrator", `id="email-change-waiting"`)
	if me(t, ann)["user"].(map[string]any)["email"] != "ann@example.com" {
		t.Fatal("the address changed before any link")
	}
	wantError(t, ann.Do("POST", path, nil), http.StatusForbidden, "FORBIDDEN")
	wantError(t, boss.Do("POST", "/api/v1/admin/users/999999/email-change", nil), http.StatusNotFound, "NOT_FOUND")

	// The API lists it (no token), the admin page shows it with its button.
	list := boss.Do("GET", "/api/v1/admin/email-changes", nil)
	if list.Status != http.StatusOK {
		t.Fatalf("list: %d %s", list.Status, list.Body)
	}
	if l := list.JSON()["emailChanges"].([]any); len(l) != 1 || l[0].(map[string]any)["email"] != "ann.new@example.com" ||
		l[0].(map[string]any)["userId"] != float64(annID) || l[0].(map[string]any)["via"] != "admin" || strings.Contains(string(list.Body), "token") {
		t.Fatalf("waiting changes: %s", list.Body)
	}
	wantError(t, ann.Do("GET", "/api/v1/admin/email-changes", nil), http.StatusForbidden, "FORBIDDEN")
	wantPage(t, boss.Do("GET", "/admin", nil), http.StatusOK, fmt.Sprintf(`id="email-link-%d"`, annID), "→\u00a0ann.new@example.com")
	api := boss.Do("POST", path, nil)
	if api.Status != http.StatusCreated || api.JSON()["email"] != "ann.new@example.com" || api.JSON()["oldEmail"] != "ann@example.com" {
		t.Fatalf("admin link: %d %s", api.Status, api.Body)
	}
	page := postForm(boss, "/admin/users/email-link", url.Values{"id": {fmt.Sprint(annID)}})
	wantPage(t, page, http.StatusOK, `id="admin-link"`, srv.Env["TORII_BASE_URL"]+"/confirm-email?token=")
	out, code := srv.CLI(t, "", "user", "email-link", "ann@example.com")
	if code != 0 || strings.Count(out, "\n") != 2 || !strings.Contains(out, "ann.new@example.com") {
		t.Fatalf("torii user email-link: %d %q", code, out)
	}
	cliLink := strings.TrimSpace(out[strings.LastIndex(strings.TrimSpace(out), "\n")+1:])
	if !strings.HasPrefix(cliLink, srv.Env["TORII_BASE_URL"]+"/confirm-email?token=") {
		t.Fatalf("last line %q is not the link", cliLink)
	}
	// Each new link kills the one before: the API's is dead now.
	wantError(t, srv.Client(t).Do("POST", "/api/v1/auth/email-change/confirm", map[string]string{"token": linkToken(t, api.JSON()["url"].(string), "/confirm-email")}), http.StatusBadRequest, "TOKEN_INVALID")

	wantPage(t, postForm(srv.Client(t), "/confirm-email", url.Values{"token": {linkToken(t, cliLink, "/confirm-email")}}), http.StatusOK, "Your address is now ann.new@example.com.")
	if u := me(t, ann)["user"].(map[string]any); u["email"] != "ann.new@example.com" || u["emailVerified"] != true {
		t.Fatalf("after the admin's link: %v", u)
	}
	wantStatus(t, "login with the new address", login(srv.Client(t), "ann.new@example.com", goodPassword), http.StatusOK)
	// In place of the notice mail: /account tells of the change.
	wantPage(t, ann.Do("GET", "/account", nil), http.StatusOK, `id="email-changed"`, "changed from ann@example.com")
	if a := auditJSON(t, boss, "email.change"); !strings.Contains(a, `"via":"admin"`) || !strings.Contains(a, `"from":"ann@example.com"`) {
		t.Errorf("email.change audit: %s", a)
	}
	if a := auditJSON(t, boss, "email.change.request"); !strings.Contains(a, `"by":"cli"`) || !strings.Contains(a, `"via":"admin"`) {
		t.Errorf("email.change.request audit: %s", a)
	}
	if a := auditJSON(t, boss, "email.verify"); !strings.Contains(a, `"how":"admin-change"`) {
		t.Errorf("email.verify audit: %s", a)
	}
	if _, code := srv.CLI(t, "", "user", "email-link", "ann.new@example.com"); code != 1 {
		t.Errorf("email-link after the change: exit %d", code)
	}
	// Without mail's limit, the waiting changes of one account are bounded.
	for i := range 5 {
		wantStatus(t, "waiting change", ann.Do("POST", "/api/v1/me/email", map[string]string{"email": fmt.Sprintf("w%d@example.com", i)}), http.StatusAccepted)
	}
	wantError(t, ann.Do("POST", "/api/v1/me/email", map[string]string{"email": "w5@example.com"}), http.StatusTooManyRequests, "RATE_LIMITED")
}
