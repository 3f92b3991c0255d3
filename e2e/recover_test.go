package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/toriihq/torii/app"
	"github.com/toriihq/torii/testserver"
)

// mailedServer starts torii with a real SMTP server behind it.
func mailedServer(t *testing.T, env map[string]string) (*testserver.Server, *testserver.SMTP) {
	t.Helper()
	smtp := testserver.StartSMTP(t, testserver.SMTPOptions{StartTLS: true, Username: "torii", Password: "smtp-pw"})
	all := map[string]string{"TORII_SMTP_URL": smtp.URL(), "TORII_MAIL_FROM": "torii@example.com"}
	for k, v := range env {
		all[k] = v
	}
	srv := testserver.Start(t, testserver.Options{Env: all, AppOptions: app.Options{MailTLSConfig: smtp.ClientTLS}})
	return srv, smtp
}

// resetInBrowser goes from /login's "Forgot password?" to a new password
// set from the mailed link, then signs in with it.
func resetInBrowser(t *testing.T, ctx context.Context, srv *testserver.Server, smtp *testserver.SMTP, email, password string) {
	t.Helper()
	open(t, ctx, srv.URL, "/login")
	if status := clickAndLoad(t, ctx, chromedp.ID("forgot-password")); status != http.StatusOK {
		t.Fatalf("Forgot password?: status %d", status)
	}
	fill(t, ctx, "email", email)
	if status := clickAndLoad(t, ctx, chromedp.ID("reset-request")); status != http.StatusOK {
		t.Fatalf("Send the link: status %d", status)
	}
	do(t, ctx, "wait for the notice", chromedp.WaitVisible(chromedp.ID("reset-notice")))
	screenshot(t, ctx, "reset-requested")
	m := smtp.Next(t)
	if m.To[0] != email {
		t.Fatalf("reset mail to %v", m.To)
	}
	link := m.Link(t, "/reset-password?token=")
	if !strings.HasPrefix(link, srv.URL+"/") {
		t.Fatalf("link %q does not lead to the server", link)
	}
	do(t, ctx, "open the mail's link", chromedp.Navigate(link))
	do(t, ctx, "wait for the form", chromedp.WaitVisible(chromedp.ID("reset-confirm")))
	wantText(t, ctx, "strong", email)
	screenshot(t, ctx, "reset-form")
	fill(t, ctx, "password", password)
	if status := clickAndLoad(t, ctx, chromedp.ID("reset-confirm")); status != http.StatusOK {
		t.Fatalf("Set the password: status %d", status)
	}
	do(t, ctx, "wait for the done notice", chromedp.WaitVisible(chromedp.ID("reset-notice")))
	screenshot(t, ctx, "reset-done")
	signInInBrowser(t, ctx, srv, email, password)
}

// TestBrowser_ForgottenPasswordResetFromMail: "Forgot password?" on
// /login, the mail's link, a new password, a sign-in with it; the old one
// no longer works.
func TestBrowser_ForgottenPasswordResetFromMail(t *testing.T) {
	ctx := newBrowser(t)
	srv, smtp := mailedServer(t, nil)
	seedVerifiedUser(t, srv, "Ann Lee", "ann@example.com", goodPassword)
	resetInBrowser(t, ctx, srv, smtp, "ann@example.com", "a new and long passphrase")
	if r := srv.Client(t).Do("POST", "/api/v1/auth/login", map[string]string{"email": "ann@example.com", "password": goodPassword}); r.Status != http.StatusUnauthorized {
		t.Fatalf("the old password still works: %d", r.Status)
	}
}

// TestBrowser_InvitedColleagueRegistersThenResetsAlone is issue 19's
// "done when": with signup closed, an admin invites a colleague from
// /admin/invitations, the colleague registers from the mail, and later
// resets a forgotten password alone.
func TestBrowser_InvitedColleagueRegistersThenResetsAlone(t *testing.T) {
	admin := newBrowser(t)
	srv, smtp := mailedServer(t, map[string]string{"TORII_SIGNUP": "closed", "TORII_ADMIN_EMAILS": "boss@example.com"})
	seedVerifiedUser(t, srv, "Boss", "boss@example.com", goodPassword)
	signInInBrowser(t, admin, srv, "boss@example.com", goodPassword)
	open(t, admin, srv.URL, "/admin")
	if status := clickAndLoad(t, admin, chromedp.ID("admin-invitations")); status != http.StatusOK {
		t.Fatalf("Invitations: status %d", status)
	}
	fill(t, admin, "invite-email", "cy@example.com")
	if status := clickAndLoad(t, admin, chromedp.ID("invite-send")); status != http.StatusOK {
		t.Fatalf("Invite: status %d", status)
	}
	shown := get(t, admin, "the link", chromedp.Value(chromedp.ID("admin-link")))
	screenshot(t, admin, "invitation-made")

	m := smtp.Next(t)
	link := m.Link(t, "/invite?token=")
	if m.To[0] != "cy@example.com" || link != shown {
		t.Fatalf("invitation mail to %v with %q; page showed %q", m.To, link, shown)
	}
	open(t, admin, srv.URL, "/admin/invitations")
	do(t, admin, "wait for the pending list", chromedp.WaitVisible(chromedp.ID("invitations")))

	cy := newBrowser(t)
	do(t, cy, "open the invitation", chromedp.Navigate(link))
	do(t, cy, "wait for the form", chromedp.WaitVisible(chromedp.ID("invite-accept")))
	screenshot(t, cy, "invite-form")
	fill(t, cy, "name", "Cy Colleague", "password", goodPassword)
	if status := clickAndLoad(t, cy, chromedp.ID("invite-accept")); status != http.StatusOK {
		t.Fatalf("Create account: status %d", status)
	}
	wantPath(t, cy, "/")
	do(t, cy, "wait for #hello", chromedp.WaitVisible(chromedp.ID("hello")))

	// A week later Cy has forgotten the password.
	later := newBrowser(t)
	resetInBrowser(t, later, srv, smtp, "cy@example.com", "cy's brand new passphrase")
}

// TestBrowser_EmailChangeConfirmedFromNewAddress: /account's form, the
// notice to the old address, the link to the new one, its button.
func TestBrowser_EmailChangeConfirmedFromNewAddress(t *testing.T) {
	ctx := newBrowser(t)
	srv, smtp := mailedServer(t, nil)
	seedVerifiedUser(t, srv, "Ann Lee", "ann@example.com", goodPassword)
	signInInBrowser(t, ctx, srv, "ann@example.com", goodPassword)
	open(t, ctx, srv.URL, "/account")
	fill(t, ctx, "profile-email", "ann.new@example.com")
	if status := clickAndLoad(t, ctx, chromedp.ID("profile-email-save")); status != http.StatusOK {
		t.Fatalf("Change the address: status %d", status)
	}
	do(t, ctx, "wait for the notice", chromedp.WaitVisible(chromedp.ID("account-notice")))
	screenshot(t, ctx, "email-change-sent")
	var link string
	for range 2 {
		m := smtp.Next(t)
		if m.To[0] == "ann.new@example.com" {
			link = m.Link(t, "/confirm-email?token=")
		} else if m.To[0] != "ann@example.com" {
			t.Fatalf("mail to %v", m.To)
		}
	}
	do(t, ctx, "open the mail's link", chromedp.Navigate(link))
	do(t, ctx, "wait for the button", chromedp.WaitVisible(chromedp.ID("confirm-email")))
	if status := clickAndLoad(t, ctx, chromedp.ID("confirm-email")); status != http.StatusOK {
		t.Fatalf("Confirm: status %d", status)
	}
	wantText(t, ctx, "#confirm-email-notice", "Your address is now ann.new@example.com.")
	screenshot(t, ctx, "email-changed")
	open(t, ctx, srv.URL, "/account")
	do(t, ctx, "wait for the confirmed badge", chromedp.WaitVisible(chromedp.ID("email-verified")))
	if got := text(t, ctx, "#email-verified"); got == "" {
		t.Fatal("no badge")
	}
}
