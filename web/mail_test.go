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

// mailServer starts torii sending through a real SMTP server that offers
// STARTTLS and requires a password.
func mailServer(t *testing.T, opts app.Options) (*testserver.Server, *testserver.SMTP) {
	t.Helper()
	smtp := testserver.StartSMTP(t, testserver.SMTPOptions{StartTLS: true, Username: "torii", Password: "smtp-secret-pw"})
	opts.MailTLSConfig = smtp.ClientTLS
	srv := testserver.Start(t, testserver.Options{
		Env:        map[string]string{"TORII_SMTP_URL": smtp.URL(), "TORII_MAIL_FROM": "Torii <torii@example.com>"},
		AppOptions: opts,
	})
	return srv, smtp
}

// tokenOf returns the token of a verification link.
func tokenOf(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil || u.Path != "/verify-email" || u.Query().Get("token") == "" {
		t.Fatalf("verification link %q", link)
	}
	return u.Query().Get("token")
}

// wantVerified checks the account page's verified badge.
func wantVerified(t *testing.T, c *testserver.Client, verified bool) {
	t.Helper()
	page := string(c.Do("GET", "/account", nil).Body)
	if got := strings.Contains(page, `id="email-verified"`); got != verified || strings.Contains(page, `id="email-unverified"`) == verified {
		t.Fatalf("account page: verified = %v, want %v", got, verified)
	}
}

func TestVerifyEmail_RegistrationMailLinkConfirmsAddress(t *testing.T) {
	srv, smtp := mailServer(t, app.Options{})
	if cfg := srv.Client(t).Do("GET", "/api/v1/auth/config", nil).JSON(); cfg["mail"] != true {
		t.Fatalf("auth config = %v, want mail: true", cfg)
	}
	c := signedIn(t, srv, "ann@example.com")
	wantVerified(t, c, false)

	m := smtp.Next(t)
	if len(m.To) != 1 || m.To[0] != "ann@example.com" || m.From != "torii@example.com" || !m.TLS {
		t.Fatalf("mail envelope: from %q to %v, TLS %v", m.From, m.To, m.TLS)
	}
	if s := m.Header(t, "Subject"); s != "Confirm your e-mail address" {
		t.Errorf("subject = %q", s)
	}
	link := m.Link(t, "/verify-email")
	if !strings.HasPrefix(link, srv.Env["TORII_BASE_URL"]+"/verify-email?token=") {
		t.Fatalf("link %q is not built from TORII_BASE_URL", link)
	}
	if html := m.Part(t, "text/html"); !strings.Contains(html, `href="`+strings.ReplaceAll(link, "&", "&amp;")+`"`) {
		t.Errorf("HTML part lacks the link:\n%s", html)
	}
	token := tokenOf(t, link)

	// Opening the link (as a mail scanner does) uses nothing.
	path := strings.TrimPrefix(link, srv.Env["TORII_BASE_URL"])
	for range 2 {
		wantPage(t, srv.Client(t).Do("GET", path, nil), http.StatusOK, `id="verify-confirm"`, token)
	}
	wantVerified(t, c, false)

	// The button posts the token; another browser works too.
	wantPage(t, postForm(srv.Client(t), "/verify-email", url.Values{"token": {token}}), http.StatusOK, "ann@example.com is confirmed")
	wantVerified(t, c, true)
	// The token was single-use.
	wantError(t, c.Do("POST", "/api/v1/auth/verify-email", map[string]string{"token": token}), http.StatusBadRequest, "TOKEN_INVALID")
	// A verified user asks for no more mail.
	wantError(t, c.Do("POST", "/api/v1/me/verify-email", nil), http.StatusConflict, "CONFLICT")

	audit := adminAudit(t, srv, "email.verify")
	if !strings.Contains(audit, `"how":"link"`) || !strings.Contains(audit, "ann@example.com") {
		t.Errorf("audit lacks email.verify how=link: %s", audit)
	}
	if logs := srv.Logs.String(); strings.Contains(logs, token) || strings.Contains(logs, "smtp-secret-pw") {
		t.Error("the logs hold the token or the SMTP password")
	}
}

func TestVerifyEmail_BadUsedOrExpiredTokenIsTokenInvalid(t *testing.T) {
	clock := testserver.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	srv, smtp := mailServer(t, app.Options{Now: clock.Now})
	c := signedIn(t, srv, "ann@example.com")
	expired := tokenOf(t, smtp.Next(t).Link(t, "/verify-email"))

	for name, body := range map[string]any{
		"unknown": map[string]string{"token": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
		"empty":   map[string]string{"token": ""},
		"huge":    map[string]string{"token": strings.Repeat("x", 1000)},
	} {
		t.Run(name, func(t *testing.T) {
			wantError(t, srv.Client(t).Do("POST", "/api/v1/auth/verify-email", body), http.StatusBadRequest, "TOKEN_INVALID")
		})
	}

	clock.Advance(24 * time.Hour) // valid strictly less than 24 h
	wantError(t, srv.Client(t).Do("POST", "/api/v1/auth/verify-email", map[string]string{"token": expired}), http.StatusBadRequest, "TOKEN_INVALID")
	wantPage(t, postForm(srv.Client(t), "/verify-email", url.Values{"token": {expired}}), http.StatusBadRequest, "invalid, already used or expired")
	wantVerified(t, c, false)

	if r := c.Do("POST", "/api/v1/me/verify-email", nil); r.Status != http.StatusAccepted {
		t.Fatalf("resend: %d %s", r.Status, r.Body)
	}
	fresh := tokenOf(t, smtp.Next(t).Link(t, "/verify-email"))
	if r := srv.Client(t).Do("POST", "/api/v1/auth/verify-email", map[string]string{"token": fresh}); r.Status != http.StatusNoContent {
		t.Fatalf("fresh token: %d %s", r.Status, r.Body)
	}
	wantVerified(t, c, true)
	wantError(t, srv.Client(t).Do("POST", "/api/v1/auth/verify-email", map[string]string{"token": fresh}), http.StatusBadRequest, "TOKEN_INVALID")
}

func TestResendVerification_RateLimitedPerUser(t *testing.T) {
	clock := testserver.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	srv, smtp := mailServer(t, app.Options{Now: clock.Now})
	ann := signedIn(t, srv, "ann@example.com")
	smtp.Next(t) // the registration's own mail is not counted
	for i := range 3 {
		if r := ann.Do("POST", "/api/v1/me/verify-email", nil); r.Status != http.StatusAccepted {
			t.Fatalf("resend %d: %d %s", i+1, r.Status, r.Body)
		}
		smtp.Next(t)
	}
	r := ann.Do("POST", "/api/v1/me/verify-email", nil)
	wantError(t, r, http.StatusTooManyRequests, "RATE_LIMITED")
	if ra := r.Header.Get("Retry-After"); ra == "" || ra == "0" {
		t.Errorf("Retry-After = %q", ra)
	}
	// Per user: Bob is not held back by Ann.
	bob := signedIn(t, srv, "bob@example.com")
	smtp.Next(t)
	if r := bob.Do("POST", "/api/v1/me/verify-email", nil); r.Status != http.StatusAccepted {
		t.Fatalf("bob's resend: %d %s", r.Status, r.Body)
	}
	clock.Advance(10 * time.Minute)
	if r := ann.Do("POST", "/api/v1/me/verify-email", nil); r.Status != http.StatusAccepted {
		t.Fatalf("resend after the window: %d %s", r.Status, r.Body)
	}
	wantError(t, srv.Client(t).Do("POST", "/api/v1/me/verify-email", nil), http.StatusUnauthorized, "UNAUTHORIZED")
}

// cliAdmin creates boss@example.com as an admin with the CLI (an account an
// admin made counts as verified) and signs it in.
func cliAdmin(t *testing.T, srv *testserver.Server) *testserver.Client {
	t.Helper()
	if out, code := srv.CLI(t, goodPassword+"\n", "user", "create", "--email", "boss@example.com", "--name", "Boss", "--admin", "--password-stdin"); code != 0 {
		t.Fatalf("user create: %d %s", code, out)
	}
	c := srv.Client(t)
	if r := c.Do("POST", "/api/v1/auth/login", map[string]string{"email": "boss@example.com", "password": goodPassword}); r.Status != http.StatusOK {
		t.Fatalf("admin login: %d %s", r.Status, r.Body)
	}
	return c
}

// adminAudit returns the audit log's events of one name, as JSON text.
func adminAudit(t *testing.T, srv *testserver.Server, event string) string {
	t.Helper()
	return auditJSON(t, cliAdminOnce(t, srv), event)
}

func auditJSON(t *testing.T, admin *testserver.Client, event string) string {
	t.Helper()
	r := admin.Do("GET", "/api/v1/admin/audit?event="+event, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("audit: %d %s", r.Status, r.Body)
	}
	return string(r.Body)
}

// cliAdminOnce returns the server's CLI-made admin, creating it on first
// use.
func cliAdminOnce(t *testing.T, srv *testserver.Server) *testserver.Client {
	t.Helper()
	c := srv.Client(t)
	if r := c.Do("POST", "/api/v1/auth/login", map[string]string{"email": "boss@example.com", "password": goodPassword}); r.Status == http.StatusOK {
		return c
	}
	return cliAdmin(t, srv)
}

func TestAdminVerify_WithoutMailThroughAPIPageAndCLI(t *testing.T) {
	srv := start(t, nil)
	if cfg := srv.Client(t).Do("GET", "/api/v1/auth/config", nil).JSON(); cfg["mail"] != false {
		t.Fatalf("auth config = %v, want mail: false", cfg)
	}
	// The pages say that no mail will come.
	wantPage(t, srv.Client(t).Do("GET", "/register", nil), http.StatusOK, "This server sends no mail")
	ann := signedIn(t, srv, "ann@example.com")
	wantPage(t, ann.Do("GET", "/account", nil), http.StatusOK, `id="mail-off"`, "ask an administrator")
	wantError(t, ann.Do("POST", "/api/v1/me/verify-email", nil), http.StatusBadRequest, "MAIL_NOT_CONFIGURED")
	// Only an admin may vouch for an address.
	annID := userID(t, ann)
	wantError(t, ann.Do("POST", fmt.Sprintf("/api/v1/admin/users/%d/verify-email", annID), nil), http.StatusForbidden, "FORBIDDEN")
	wantVerified(t, ann, false)

	admin := cliAdmin(t, srv)
	wantPage(t, admin.Do("GET", "/admin", nil), http.StatusOK, fmt.Sprintf(`id="verify-%d"`, annID))
	r := admin.Do("POST", fmt.Sprintf("/api/v1/admin/users/%d/verify-email", annID), nil)
	if r.Status != http.StatusOK || r.JSON()["user"].(map[string]any)["email"] != "ann@example.com" {
		t.Fatalf("admin verify: %d %s", r.Status, r.Body)
	}
	wantVerified(t, ann, true)
	if audit := auditJSON(t, admin, "email.verify"); !strings.Contains(audit, `"how":"admin"`) || !strings.Contains(audit, `"by":"boss@example.com"`) {
		t.Errorf("audit lacks email.verify how=admin: %s", audit)
	}
	wantError(t, admin.Do("POST", "/api/v1/admin/users/999999/verify-email", nil), http.StatusNotFound, "NOT_FOUND")

	// The page's button.
	bob := signedIn(t, srv, "bob@example.com")
	r = postForm(admin, "/admin/users/verify-email", url.Values{"id": {fmt.Sprint(userID(t, bob))}, "back": {"/admin"}})
	if r.Status != http.StatusSeeOther || !strings.Contains(r.Header.Get("Location"), "done=verified") {
		t.Fatalf("admin page verify: %d %s", r.Status, r.Header.Get("Location"))
	}
	wantVerified(t, bob, true)

	// The CLI.
	cat := signedIn(t, srv, "cat@example.com")
	if out, code := srv.CLI(t, "", "user", "verify", "CAT@example.com"); code != 0 || !strings.Contains(out, "cat@example.com is now verified") {
		t.Fatalf("torii user verify: %d %s", code, out)
	}
	wantVerified(t, cat, true)
	if out, code := srv.CLI(t, "", "user", "verify", "nobody@example.com"); code == 0 || !strings.Contains(out, "no user with email nobody@example.com") {
		t.Fatalf("torii user verify unknown: %d %s", code, out)
	}
	if audit := auditJSON(t, admin, "email.verify"); !strings.Contains(audit, `"by":"cli"`) {
		t.Errorf("audit lacks the CLI's email.verify: %s", audit)
	}
}

func TestAccountPage_ResendButtonQueuesAMail(t *testing.T) {
	srv, smtp := mailServer(t, app.Options{})
	ann := signedIn(t, srv, "ann@example.com")
	smtp.Next(t)
	wantPage(t, ann.Do("GET", "/account", nil), http.StatusOK, `id="resend-verification-button"`)
	r := postForm(ann, "/account/verify-email", url.Values{})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/account?mailed=1" {
		t.Fatalf("resend form: %d %s", r.Status, r.Header.Get("Location"))
	}
	if m := smtp.Next(t); m.To[0] != "ann@example.com" {
		t.Fatalf("mail to %v", m.To)
	}
	wantPage(t, ann.Do("GET", "/account?mailed=1", nil), http.StatusOK, "A confirmation mail is on its way")
}
