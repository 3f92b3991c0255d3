package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/toriihq/torii/testserver"
)

// setPasswordFromLink opens a reset link (mailed or handed over), sets
// password with its form and signs in with it.
func setPasswordFromLink(t *testing.T, ctx context.Context, srv *testserver.Server, link, email, password string) {
	t.Helper()
	do(t, ctx, "open the reset link", chromedp.Navigate(link))
	do(t, ctx, "wait for the form", chromedp.WaitVisible(chromedp.ID("reset-confirm")))
	wantText(t, ctx, "strong", email)
	fill(t, ctx, "password", password)
	if status := clickAndLoad(t, ctx, chromedp.ID("reset-confirm")); status != http.StatusOK {
		t.Fatalf("Set the password: status %d", status)
	}
	do(t, ctx, "wait for the done notice", chromedp.WaitVisible(chromedp.ID("reset-notice")))
	signInInBrowser(t, ctx, srv, email, password)
}

// cliLink runs a torii command that prints one link and returns it (the
// output's last line: stderr may explain it above).
func cliLink(t *testing.T, srv *testserver.Server, args ...string) string {
	t.Helper()
	out, code := srv.CLI(t, "", args...)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	link := lines[len(lines)-1]
	if code != 0 || !strings.HasPrefix(link, srv.URL+"/") {
		t.Fatalf("torii %v: %d %q", args, code, out)
	}
	return link
}

// TestBrowser_WithoutMailAdminHandsOverCLILinksToInviteAndReset is issue
// 19's "done when" with no mail server: registration is closed, the admin
// invites a colleague with `torii user invite` and hands the link over;
// the colleague registers from it; a week later the password is
// forgotten, /forgot-password says to ask an admin, and the link of
// `torii user reset-link` sets a new one.
func TestBrowser_WithoutMailAdminHandsOverCLILinksToInviteAndReset(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{Env: map[string]string{"TORII_SIGNUP": "closed"}})
	invite := cliLink(t, srv, "user", "invite", "cy@example.com")

	cy := newBrowser(t)
	do(t, cy, "open the invitation", chromedp.Navigate(invite))
	do(t, cy, "wait for the form", chromedp.WaitVisible(chromedp.ID("invite-accept")))
	fill(t, cy, "name", "Cy Colleague", "password", goodPassword)
	if status := clickAndLoad(t, cy, chromedp.ID("invite-accept")); status != http.StatusOK {
		t.Fatalf("Create account: status %d", status)
	}
	wantPath(t, cy, "/")
	do(t, cy, "wait for #hello", chromedp.WaitVisible(chromedp.ID("hello")))

	// A week later, on another device, the password is forgotten.
	later := newBrowser(t)
	open(t, later, srv.URL, "/login")
	if status := clickAndLoad(t, later, chromedp.ID("forgot-password")); status != http.StatusOK {
		t.Fatalf("Forgot password?: status %d", status)
	}
	do(t, later, "the page says to ask an admin", chromedp.WaitVisible(chromedp.ID("reset-no-mail")))
	reset := cliLink(t, srv, "user", "reset-link", "cy@example.com")
	setPasswordFromLink(t, later, srv, reset, "cy@example.com", "cy's brand new passphrase")
	if r := srv.Client(t).Do("POST", "/api/v1/auth/login", map[string]string{"email": "cy@example.com", "password": goodPassword}); r.Status != http.StatusUnauthorized {
		t.Fatalf("the old password still works: %d", r.Status)
	}
}

// TestBrowser_EmailChangeWithoutMailThroughAnAdminsLink: with no mail,
// Ann asks for a new address on /account and is told it waits for an
// administrator; the admin sees it on /admin and makes its link with the
// row's button; Ann opens it and confirms; /account then tells of the
// change (in place of the notice mail). Screenshots of each page at
// desktop and phone width, in English and Japanese.
func TestBrowser_EmailChangeWithoutMailThroughAnAdminsLink(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{Env: map[string]string{"TORII_ADMIN_EMAILS": "boss@example.com"}})
	seedVerifiedUser(t, srv, "Boss", "boss@example.com", goodPassword)
	seedVerifiedUser(t, srv, "Ann Lee", "ann@example.com", goodPassword)
	ann := newBrowser(t)
	signInInBrowser(t, ann, srv, "ann@example.com", goodPassword)
	open(t, ann, srv.URL, "/account")
	fill(t, ann, "profile-email", "ann.new@example.com")
	if status := clickAndLoad(t, ann, chromedp.ID("profile-email-save")); status != http.StatusOK {
		t.Fatalf("Change the address: status %d", status)
	}
	if got := text(t, ann, "#account-notice"); !strings.Contains(got, "waiting for an administrator") {
		t.Fatalf("notice %q", got)
	}
	english := englishFragments(t)
	shots := func(ctx context.Context, path, name string) {
		t.Helper()
		for _, lang := range []string{"en", "ja"} {
			for _, vp := range viewports {
				do(t, ctx, "resize", chromedp.EmulateViewport(vp.width, vp.height))
				open(t, ctx, srv.URL, path+"?lang="+lang)
				if lang == "ja" {
					wantNoEnglish(t, ctx, path+" "+name, english)
				}
				checkPage(t, ctx, name+"-"+lang+"-"+vp.name)
			}
		}
		do(t, ctx, "restore size", chromedp.EmulateViewport(viewportWidth, viewportHeight))
		open(t, ctx, srv.URL, path+"?lang=en")
	}
	shots(ann, "/account", "account-email-waiting")
	if got := text(t, ann, "#email-change-waiting"); !strings.Contains(got, "ann.new@example.com") {
		t.Fatalf("waiting change shown as %q", got)
	}

	boss := newBrowser(t)
	dialogs := acceptDialogs(t, boss)
	signInInBrowser(t, boss, srv, "boss@example.com", goodPassword)
	open(t, boss, srv.URL, "/admin")
	row := get(t, boss, "Ann's row", chromedp.Evaluate[string](`document.querySelector('#users tr[data-email="ann@example.com"]').id`))
	id := strings.TrimPrefix(row, "user-")
	if got := text(t, boss, "#email-change-"+id); got != "→\u00a0ann.new@example.com (waiting)" {
		t.Fatalf("admin row shows %q", got)
	}
	shots(boss, "/admin", "admin-email-waiting")

	var link string
	for _, lang := range []string{"ja", "en"} {
		open(t, boss, srv.URL, "/admin?lang="+lang)
		if status := clickAndLoad(t, boss, chromedp.ID("email-link-"+id)); status != http.StatusOK {
			t.Fatalf("Address link: status %d", status)
		}
		if msg := <-dialogs; !strings.Contains(msg, "ann.new@example.com") {
			t.Errorf("confirmation %q", msg)
		}
		link = get(t, boss, "the link", chromedp.Value(chromedp.ID("admin-link")))
		if lang == "ja" {
			wantNoEnglish(t, boss, "the admin's link page", english)
		}
		for _, vp := range viewports {
			do(t, boss, "resize", chromedp.EmulateViewport(vp.width, vp.height))
			checkPage(t, boss, "admin-email-link-"+lang+"-"+vp.name)
		}
		do(t, boss, "restore size", chromedp.EmulateViewport(viewportWidth, viewportHeight))
	}
	if !strings.HasPrefix(link, srv.URL+"/confirm-email?token=") {
		t.Fatalf("link %q", link)
	}

	do(t, ann, "open the admin's link", chromedp.Navigate(link))
	do(t, ann, "wait for the button", chromedp.WaitVisible(chromedp.ID("confirm-email")))
	if status := clickAndLoad(t, ann, chromedp.ID("confirm-email")); status != http.StatusOK {
		t.Fatalf("Confirm: status %d", status)
	}
	wantText(t, ann, "#confirm-email-notice", "Your address is now ann.new@example.com.")
	open(t, ann, srv.URL, "/account")
	do(t, ann, "wait for the confirmed badge", chromedp.WaitVisible(chromedp.ID("email-verified")))
	if got := text(t, ann, "#email-changed"); !strings.Contains(got, "from ann@example.com") {
		t.Fatalf("/account tells %q", got)
	}
	if n := count(t, ann, "#email-change-waiting"); n != 0 {
		t.Error("the change still shows as waiting")
	}
	shots(ann, "/account", "account-email-changed")
}
