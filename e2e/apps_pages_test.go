package e2e

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/sqlstore"
	"github.com/toriihq/torii/testserver"
)

// TestBrowser_AdminRegistersAppAndAccountListsIt: on /admin an admin
// registers an app with the form and sees its client_id and secret on
// that answer only; /account lists the apps the user signed in to with
// "Revoke access", which removes it. The pages fit a phone and a desktop
// with every control labelled.
func TestBrowser_AdminRegistersAppAndAccountListsIt(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{Env: map[string]string{"TORII_ADMIN_EMAILS": "boss@example.com"}})
	seedVerifiedUser(t, srv, "Boss", "boss@example.com", goodPassword)
	ctx := newBrowser(t)
	signInInBrowser(t, ctx, srv, "boss@example.com", goodPassword)
	open(t, ctx, srv.URL, "/admin")
	fill(t, ctx, "client-name", "Team Grafana", "client-redirects", "https://grafana.example/login/generic_oauth")
	do(t, ctx, "tick trusted", chromedp.Click(chromedp.ID("client-trusted")))
	if status := clickAndLoad(t, ctx, chromedp.ID("client-register")); status != http.StatusOK {
		t.Fatalf("after Register: status %d", status)
	}
	do(t, ctx, "wait for the credentials", chromedp.WaitVisible(chromedp.ID("new-client-secret")))
	id := text(t, ctx, "#new-client-id")
	if len(text(t, ctx, "#new-client-secret")) < 40 || id == "" {
		t.Fatalf("credentials shown: id %q", id)
	}
	for _, vp := range viewports {
		do(t, ctx, "resize", chromedp.EmulateViewport(vp.width, vp.height))
		checkPage(t, ctx, "admin-apps-"+vp.name)
	}
	do(t, ctx, "restore size", chromedp.EmulateViewport(viewportWidth, viewportHeight))
	open(t, ctx, srv.URL, "/admin")
	if n := count(t, ctx, "#new-client-secret"); n != 0 {
		t.Fatal("/admin shows the secret again")
	}
	if n := count(t, ctx, "#client-"+id); n != 1 {
		t.Fatalf("the app is not listed on /admin")
	}

	// Boss signed in to the app: the consent a trusted app's sign-in
	// records (the sign-in itself is the provider's tests' subject).
	st, err := sqlstore.Open(context.Background(), srv.Database)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	boss, err := st.UserByEmail(context.Background(), "boss@example.com")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := st.SaveOAuthConsent(context.Background(), torii.OAuthConsent{UserID: boss.ID, ClientID: id,
		Scopes: []string{"openid", "profile", "email", "groups"}, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	open(t, ctx, srv.URL, "/account")
	wantText(t, ctx, "#apps li strong", "Team Grafana")
	for _, vp := range viewports {
		do(t, ctx, "resize", chromedp.EmulateViewport(vp.width, vp.height))
		checkPage(t, ctx, "account-apps-"+vp.name)
	}
	do(t, ctx, "restore size", chromedp.EmulateViewport(viewportWidth, viewportHeight))
	if status := clickAndLoad(t, ctx, chromedp.ID("revoke-app-"+id)); status != http.StatusOK {
		t.Fatalf("after Revoke access: status %d", status)
	}
	wantPath(t, ctx, "/account?revoked-app=1")
	wantText(t, ctx, "#account-notice", "The app's access is revoked.")
	if n := count(t, ctx, "#apps"); n != 0 {
		t.Fatal("/account still lists the app")
	}
}
