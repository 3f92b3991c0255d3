package e2e

import (
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/toriihq/torii/app"
	"github.com/toriihq/torii/testserver"
)

// TestBrowser_UnverifiedAllowlistedAccountSeesTheWaitingPage: with an
// allowlist, a password registration proves no address: the browser lands
// on "check your mail to confirm your address" (403) instead of the chat,
// /account and /admin show the same, the button asks for the link again
// and says what happened, and signing out works.
func TestBrowser_UnverifiedAllowlistedAccountSeesTheWaitingPage(t *testing.T) {
	smtp := testserver.StartSMTP(t, testserver.SMTPOptions{StartTLS: true})
	srv := testserver.Start(t, testserver.Options{
		Env: map[string]string{"TORII_ALLOWED_EMAILS": "@example.com",
			"TORII_SMTP_URL": smtp.URL(), "TORII_MAIL_FROM": "torii@example.com"},
		AppOptions: app.Options{MailTLSConfig: smtp.ClientTLS},
	})
	ctx := newBrowser(t)
	open(t, ctx, srv.URL, "/register")
	fill(t, ctx, "name", "Nobody Real", "email", "nobody-real@example.com", "password", goodPassword)
	if status := clickAndLoad(t, ctx, chromedp.ID("create-account")); status != http.StatusForbidden {
		t.Fatalf("after Create account: status %d, want the waiting page's 403", status)
	}
	wantPath(t, ctx, "/")
	do(t, ctx, "wait for the waiting page", chromedp.WaitVisible(chromedp.ID("waiting")))
	wantText(t, ctx, "#waiting h1", "Confirm your e-mail address")
	if n := count(t, ctx, "#hello"); n != 0 {
		t.Fatal("a waiting account sees the chat")
	}
	screenshot(t, ctx, "waiting")
	for _, path := range []string{"/account", "/admin"} {
		open(t, ctx, srv.URL, path)
		do(t, ctx, "wait for the waiting page on "+path, chromedp.WaitVisible(chromedp.ID("waiting")))
	}
	do(t, ctx, "ask for the link again", chromedp.Click(chromedp.ID("resend-verification")),
		chromedp.WaitVisible(chromedp.ID("waiting-status")))
	if text(t, ctx, "#waiting-status") == "" {
		t.Fatal("the resend button said nothing")
	}
	clickAndLoad(t, ctx, chromedp.ID("waiting-sign-out"))
	wantPath(t, ctx, "/login?signed_out=1")
}
