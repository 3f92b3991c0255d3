package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/toriihq/torii/devidp"
	"github.com/toriihq/torii/testserver"
)

// startWithIDP starts an in-process dev-idp and a torii pointed at it.
func startWithIDP(t *testing.T, env map[string]string) (*testserver.Server, *testserver.IDP) {
	t.Helper()
	idp := testserver.StartIDP(t, devidp.Options{})
	all := idp.Env()
	for k, v := range env {
		all[k] = v
	}
	return testserver.Start(t, testserver.Options{Env: all}), idp
}

// pickOnDevIDP clicks a test user on the dev-idp's authorize page and waits
// for torii's page at the end of the redirects.
func pickOnDevIDP(t *testing.T, ctx context.Context, idp *testserver.IDP, button string) int64 {
	t.Helper()
	do(t, ctx, "wait for the dev-idp page", chromedp.WaitVisible(chromedp.ID(button)))
	if loc := get(t, ctx, "read location", chromedp.Location()); !strings.HasPrefix(loc, idp.URL+"/authorize?") {
		t.Fatalf("browser is on %q, want the dev-idp's authorize page", loc)
	}
	screenshot(t, ctx, "dev-idp")
	return clickAndLoad(t, ctx, chromedp.ID(button))
}

func TestBrowser_SignInWithGoogleThroughDevIDP(t *testing.T) {
	srv, idp := startWithIDP(t, nil)
	ctx := newBrowser(t)
	open(t, ctx, srv.URL, "/login")
	do(t, ctx, "wait for the Google button", chromedp.WaitVisible(chromedp.ID("google-button")))
	wantText(t, ctx, "#google-button", "Sign in with Google")
	screenshot(t, ctx, "login-with-google")
	clickAndLoad(t, ctx, chromedp.ID("google-button"))

	// The first test user is Ada Lovelace, email verified.
	if status := pickOnDevIDP(t, ctx, idp, "user-0"); status != http.StatusOK {
		t.Fatalf("after picking a user: status %d", status)
	}
	wantPath(t, ctx, "/")
	do(t, ctx, "wait for #hello", chromedp.WaitVisible(chromedp.ID("hello")))
	wantText(t, ctx, "#hello", "Hello, Ada Lovelace")
	screenshot(t, ctx, "hello")

	// /account lists the linked identity and offers to set a password.
	open(t, ctx, srv.URL, "/account")
	do(t, ctx, "wait for identities", chromedp.WaitVisible(chromedp.ID("identities")))
	if n := count(t, ctx, "#identities li"); n != 1 {
		t.Fatalf("%d identities listed, want 1", n)
	}
	wantText(t, ctx, "#save-password", "Set password")
	screenshot(t, ctx, "account")
}

func TestBrowser_ExplicitSignupFinishesOnRegister(t *testing.T) {
	srv, idp := startWithIDP(t, map[string]string{"TORII_SIGNUP": "explicit"})
	ctx := newBrowser(t)
	open(t, ctx, srv.URL, "/register")
	do(t, ctx, "wait for the Google button", chromedp.WaitVisible(chromedp.ID("google-button")))
	wantText(t, ctx, "#google-button", "Sign up with Google")
	clickAndLoad(t, ctx, chromedp.ID("google-button"))
	pickOnDevIDP(t, ctx, idp, "user-1")
	wantPath(t, ctx, "/register")
	do(t, ctx, "wait for the pending registration", chromedp.WaitVisible(chromedp.ID("pending-google")))
	screenshot(t, ctx, "finish-registration")
	get(t, ctx, "clear the name", chromedp.Evaluate[bool]("(document.getElementById('name').value = '', true)"))
	fill(t, ctx, "name", "Rear Admiral Hopper", "companyName", "US Navy")
	clickAndLoad(t, ctx, chromedp.ID("google-create-account"))
	wantPath(t, ctx, "/")
	do(t, ctx, "wait for #hello", chromedp.WaitVisible(chromedp.ID("hello")))
	wantText(t, ctx, "#hello", "Hello, Rear Admiral Hopper")
}

func TestBrowser_LinkGoogleFromAccount(t *testing.T) {
	srv, idp := startWithIDP(t, nil)
	ctx := newBrowser(t)
	registerInBrowser(t, ctx, srv, "Ann", "ann@example.com", goodPassword)
	open(t, ctx, srv.URL, "/account")
	do(t, ctx, "wait for the link button", chromedp.WaitVisible(chromedp.ID("google-button")))
	wantText(t, ctx, "#google-button", "Link a Google account")
	clickAndLoad(t, ctx, chromedp.ID("google-button"))
	pickOnDevIDP(t, ctx, idp, "user-1")
	wantPath(t, ctx, "/account?linked=1")
	do(t, ctx, "wait for the notice", chromedp.WaitVisible(chromedp.ID("account-notice")))
	if n := count(t, ctx, "#identities li"); n != 1 {
		t.Fatalf("%d identities listed, want 1", n)
	}
	screenshot(t, ctx, "linked")
}

func TestBrowser_NoGoogleButtonWithoutClientID(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	ctx := newBrowser(t)
	for _, page := range []string{"/login", "/register"} {
		open(t, ctx, srv.URL, page)
		if n := count(t, ctx, "#google-signin, #google-button, #gis-button"); n != 0 {
			t.Fatalf("%s shows %d Google elements with Google off", page, n)
		}
	}
}
