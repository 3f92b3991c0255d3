package web_test

import (
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

func TestEmailChange_WithoutMailIsRefused(t *testing.T) {
	srv := start(t, nil)
	ann := signedIn(t, srv, "ann@example.com")
	wantError(t, ann.Do("POST", "/api/v1/me/email", map[string]string{"email": "new@example.com"}), http.StatusBadRequest, "MAIL_NOT_CONFIGURED")
	wantPage(t, ann.Do("GET", "/account", nil), http.StatusOK, `id="profile-email-off"`)
}
