package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/toriihq/torii/service"
	"github.com/toriihq/torii/sqlstore"
	"github.com/toriihq/torii/testserver"
)

// A real browser signs in to an app with torii: the authorization request
// goes to torii's sign-in form, then its consent page, then back to the
// app with a code. It proves that the redirect chains started by the
// sign-in and consent forms reach the app's origin despite torii's CSP
// (form-action 'self'): the hand-off page starts a fresh navigation.
func TestOAuth_BrowserSignsInToAnAppThroughConsent(t *testing.T) {
	ctx := newBrowser(t)
	srv := testserver.Start(t, testserver.Options{})
	codes := make(chan url.Values, 1)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case codes <- r.URL.Query():
		default:
		}
		fmt.Fprint(w, `<!doctype html><title>App</title><p id="app-in">signed in</p>`)
	}))
	t.Cleanup(app.Close)
	st, err := sqlstore.Open(context.Background(), srv.Database)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cred, err := service.New(service.Options{Store: st, Issuer: srv.URL}).CreateClient(context.Background(),
		service.ClientInput{Name: "Grafana", RedirectURIs: []string{app.URL + "/callback"}}, service.CLI)
	if err != nil {
		t.Fatal(err)
	}
	seedUser(t, srv, "Ann Example", "ann@example.com", goodPassword)

	q := url.Values{"client_id": {cred.Client.ID}, "redirect_uri": {app.URL + "/callback"}, "response_type": {"code"},
		"scope": {"openid email profile groups"}, "state": {"s-browser"}, "nonce": {"n"},
		"code_challenge": {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}, "code_challenge_method": {"S256"}}
	open(t, ctx, srv.URL, "/oauth2/authorize?"+q.Encode())
	if p := currentPath(t, ctx); !strings.HasPrefix(p, "/login?next=") {
		t.Fatalf("authorize led to %s, want the sign-in form", p)
	}
	fill(t, ctx, "email", "ann@example.com", "password", goodPassword)
	clickAndLoad(t, ctx, chromedp.ID("sign-in"))
	if p := currentPath(t, ctx); !strings.HasPrefix(p, "/oauth2/consent?") {
		t.Fatalf("after sign-in the browser is on %s, want the consent page", p)
	}
	text := get(t, ctx, "consent text", chromedp.Text("#oauth-consent"))
	for _, want := range []string{"Grafana", "ann@example.com", "Your email address", "Your groups and roles"} {
		if !strings.Contains(text, want) {
			t.Errorf("consent page lacks %q:\n%s", want, text)
		}
	}
	screenshot(t, ctx, "consent-desktop")
	do(t, ctx, "phone viewport", chromedp.EmulateViewport(390, 844))
	screenshot(t, ctx, "consent-phone")
	do(t, ctx, "desktop viewport", chromedp.EmulateViewport(1280, 800))
	// The same page for a Japanese reader (?lang=ja, remembered in the
	// cookie for the hand-off page after it).
	open(t, ctx, srv.URL, currentPath(t, ctx)+"&lang=ja")
	wantNoEnglish(t, ctx, "consent", englishFragments(t))
	if text := get(t, ctx, "consent text", chromedp.Text("#oauth-consent")); !strings.Contains(text, "Grafana にログイン") {
		t.Errorf("Japanese consent page:\n%s", text)
	}
	screenshot(t, ctx, "consent-ja")
	do(t, ctx, "allow", chromedp.Click("#consent-approve"), chromedp.WaitVisible("#app-in"))
	got := <-codes
	if got.Get("code") == "" || got.Get("state") != "s-browser" {
		t.Fatalf("the app received %v", got)
	}
}
