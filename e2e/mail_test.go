package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/toriihq/torii/app"
	"github.com/toriihq/torii/testserver"
)

// TestBrowser_RegistrationMailLinkConfirmsAddress: a user registers in a
// real browser, the verification mail reaches a real SMTP server, and the
// browser opens its link and confirms the address with the page's button.
func TestBrowser_RegistrationMailLinkConfirmsAddress(t *testing.T) {
	ctx := newBrowser(t)
	smtp := testserver.StartSMTP(t, testserver.SMTPOptions{StartTLS: true, Username: "torii", Password: "smtp-pw"})
	srv := testserver.Start(t, testserver.Options{
		Env:        map[string]string{"TORII_SMTP_URL": smtp.URL(), "TORII_MAIL_FROM": "torii@example.com"},
		AppOptions: app.Options{MailTLSConfig: smtp.ClientTLS},
	})
	registerInBrowser(t, ctx, srv, "Ann Lee", "ann@example.com", goodPassword)
	open(t, ctx, srv.URL, "/account")
	do(t, ctx, "wait for the unconfirmed badge", chromedp.WaitVisible(chromedp.ID("email-unverified")))

	m := smtp.Next(t)
	if m.To[0] != "ann@example.com" || !m.TLS {
		t.Fatalf("mail to %v over TLS %v", m.To, m.TLS)
	}
	link := m.Link(t, "/verify-email?token=")
	if !strings.HasPrefix(link, srv.URL+"/") {
		t.Fatalf("link %q does not lead to the server", link)
	}
	do(t, ctx, "open the mail's link", chromedp.Navigate(link))
	do(t, ctx, "wait for the confirm button", chromedp.WaitVisible(chromedp.ID("verify-confirm")))
	screenshot(t, ctx, "confirm")
	if status := clickAndLoad(t, ctx, chromedp.ID("verify-confirm")); status != http.StatusOK {
		t.Fatalf("after Confirm: status %d", status)
	}
	wantText(t, ctx, "#verify-notice", "Your address ann@example.com is confirmed.")
	screenshot(t, ctx, "confirmed")
	open(t, ctx, srv.URL, "/account")
	do(t, ctx, "wait for the confirmed badge", chromedp.WaitVisible(chromedp.ID("email-verified")))
}
