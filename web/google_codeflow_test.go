package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/toriihq/torii/devidp"
	"github.com/toriihq/torii/testserver"
)

func TestCodeFlow_SignsInAndLandsOnNext(t *testing.T) {
	g := startGoogle(t, nil)
	c := g.srv.Client(t)
	r := g.codeFlow(t, c, "/account", ada)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/account" {
		t.Fatalf("callback: %d Location %q %s", r.Status, r.Header.Get("Location"), r.Body)
	}
	sessionCookie(t, r)
	if got := me(t, c)["user"].(map[string]any)["email"]; got != "ada@example.com" {
		t.Fatalf("signed in as %v", got)
	}
	g.wantCounts(t, 1, 1)
}

func TestCodeFlow_AuthorizeURLCarriesStateNonceAndFreshS256Challenge(t *testing.T) {
	g := startGoogle(t, nil)
	c := g.srv.Client(t)
	first, second := g.startCodeFlow(t, c, "/").Query(), g.startCodeFlow(t, c, "/").Query()
	for _, q := range []url.Values{first, second} {
		if q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43 ||
			len(q.Get("state")) < 43 || len(q.Get("nonce")) < 43 || q.Get("client_id") != testserver.IDPClientID ||
			q.Get("redirect_uri") != g.srv.URL+"/auth/google/callback" || !strings.Contains(q.Get("scope"), "openid") {
			t.Fatalf("authorize parameters: %v", q)
		}
	}
	for _, p := range []string{"state", "nonce", "code_challenge"} {
		if first.Get(p) == second.Get(p) {
			t.Fatalf("%s repeated across flows: %q", p, first.Get(p))
		}
	}
}

func TestCodeFlow_BindingCookieIsHttpOnlyAndShortLived(t *testing.T) {
	g := startGoogle(t, nil)
	r := g.srv.Client(t).Do("GET", "/auth/google/login", nil)
	var found bool
	for _, ck := range (&http.Response{Header: r.Header}).Cookies() {
		if ck.Name == "torii_oauth" {
			found = true
			if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.MaxAge <= 0 || ck.MaxAge > 600 || ck.Path != "/" {
				t.Fatalf("binding cookie %+v", ck)
			}
		}
	}
	if !found {
		t.Fatalf("no binding cookie: %v", r.Header)
	}
}

func TestCodeFlow_StateIsSingleUse(t *testing.T) {
	g := startGoogle(t, nil)
	c := g.srv.Client(t)
	callback := g.pick(t, c, g.startCodeFlow(t, c, "/"), ada, "signin")
	if r := c.Do("GET", callback, nil); r.Status != http.StatusSeeOther {
		t.Fatalf("first callback: %d %s", r.Status, r.Body)
	}
	again := c.Do("GET", callback, nil)
	wantPage(t, again, http.StatusBadRequest, "expired, was already used")
	if again.Header.Get("Set-Cookie") != "" && strings.Contains(again.Header.Get("Set-Cookie"), "torii_session=") {
		t.Fatal("the replayed callback set a session")
	}
}

func TestCodeFlow_StateExpiresWithinMinutes(t *testing.T) {
	g := startGoogle(t, nil)
	c := g.srv.Client(t)
	callback := g.pick(t, c, g.startCodeFlow(t, c, "/"), ada, "signin")
	g.clock.Advance(10*time.Minute + time.Second)
	wantPage(t, c.Do("GET", callback, nil), http.StatusBadRequest, "expired")
	g.wantCounts(t, 0, 0)
}

func TestCodeFlow_MissingOrUnknownStateRefusedWithoutExchange(t *testing.T) {
	g := startGoogle(t, nil)
	c := g.srv.Client(t)
	callback := g.pick(t, c, g.startCodeFlow(t, c, "/"), ada, "signin")
	u, _ := url.Parse(callback)
	code := u.Query().Get("code")
	for name, path := range map[string]string{
		"no state":      "/auth/google/callback?code=" + code,
		"unknown state": "/auth/google/callback?code=" + code + "&state=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"garbage state": "/auth/google/callback?code=" + code + "&state=%3Cscript%3E",
	} {
		t.Run(name, func(t *testing.T) {
			wantPage(t, c.Do("GET", path, nil), http.StatusBadRequest, "Please sign in again")
		})
	}
	g.wantCounts(t, 0, 0)
	// The code was never exchanged: the real callback still works.
	if r := c.Do("GET", callback, nil); r.Status != http.StatusSeeOther {
		t.Fatalf("genuine callback after the refusals: %d %s", r.Status, r.Body)
	}
}

func TestCodeFlow_AttackersCallbackRefusedInVictimsBrowser(t *testing.T) {
	g := startGoogle(t, nil)
	attacker := g.srv.Client(t)
	mallory := devidp.User{Email: "mallory@example.com", Name: "Mallory", EmailVerified: true}
	callback := g.pick(t, attacker, g.startCodeFlow(t, attacker, "/"), mallory, "signin")

	// A victim with no flow of their own, and one with their own flow
	// under way: neither may finish the attacker's (login CSRF).
	fresh := g.srv.Client(t)
	wantPage(t, fresh.Do("GET", callback, nil), http.StatusBadRequest, "another browser")
	busy := g.srv.Client(t)
	g.startCodeFlow(t, busy, "/")
	wantPage(t, busy.Do("GET", callback, nil), http.StatusBadRequest, "another browser")
	for _, v := range []*testserver.Client{fresh, busy} {
		if r := v.Do("GET", "/api/v1/me", nil); r.Status != http.StatusUnauthorized {
			t.Fatalf("victim is signed in: %d %s", r.Status, r.Body)
		}
	}
	g.wantCounts(t, 0, 0)
}

func TestCodeFlow_TwoTabsOfOneBrowserBothFinish(t *testing.T) {
	g := startGoogle(t, nil)
	c := g.srv.Client(t)
	first, second := g.startCodeFlow(t, c, "/"), g.startCodeFlow(t, c, "/account")
	cb1, cb2 := g.pick(t, c, first, ada, "signin"), g.pick(t, c, second, ada, "signin")
	if r := c.Do("GET", cb2, nil); r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/account" {
		t.Fatalf("second tab: %d %s", r.Status, r.Body)
	}
	if r := c.Do("GET", cb1, nil); r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/" {
		t.Fatalf("first tab: %d %s", r.Status, r.Body)
	}
}

func TestCodeFlow_ProviderErrorsShowAFriendlyPage(t *testing.T) {
	g := startGoogle(t, nil)
	c := g.srv.Client(t)
	cancelled := c.Do("GET", g.pick(t, c, g.startCodeFlow(t, c, "/"), ada, "cancel"), nil)
	wantPage(t, cancelled, http.StatusUnauthorized, "cancelled", `href="/login"`)
	if strings.Contains(string(cancelled.Body), "The user cancelled.") {
		t.Fatal("the provider's error_description reached the page")
	}

	// Any other provider error: its text never reaches the page.
	auth := g.startCodeFlow(t, c, "/")
	state := auth.Query().Get("state")
	r := c.Do("GET", "/auth/google/callback?error=server_error&error_description=%3Cscript%3Ealert(1)%3C%2Fscript%3E+stack+trace&state="+state, nil)
	wantPage(t, r, http.StatusUnauthorized, "could not complete the sign-in")
	for _, leak := range []string{"<script>alert", "stack trace", "server_error"} {
		if strings.Contains(string(r.Body), leak) {
			t.Fatalf("the page shows %q", leak)
		}
	}
	g.wantCounts(t, 0, 0)
}

func TestCodeFlow_BadCodeShowsAFriendlyPage(t *testing.T) {
	g := startGoogle(t, nil)
	c := g.srv.Client(t)
	auth := g.startCodeFlow(t, c, "/")
	r := c.Do("GET", "/auth/google/callback?code=forged&state="+auth.Query().Get("state"), nil)
	wantPage(t, r, http.StatusUnauthorized, "could not be verified")
	if strings.Contains(string(r.Body), "invalid_grant") {
		t.Fatal("the provider's error code reached the page")
	}
}

func TestCodeFlow_RejectsWrongOrMissingNonce(t *testing.T) {
	g := startGoogle(t, nil)
	for name, hook := range map[string]func(devidp.Claims){
		"another nonce": func(c devidp.Claims) { c["nonce"] = "not-the-one-we-sent" },
		"no nonce":      func(c devidp.Claims) { delete(c, "nonce") },
	} {
		t.Run(name, func(t *testing.T) {
			g.idp.SetIDTokenHook(hook)
			defer g.idp.SetIDTokenHook(nil)
			c := g.srv.Client(t)
			wantPage(t, g.codeFlow(t, c, "/", ada), http.StatusUnauthorized, "could not be verified")
			g.wantCounts(t, 0, 0)
		})
	}
}

func TestCodeFlow_IDTokenCheckedLikeGISTokens(t *testing.T) {
	g := startGoogle(t, map[string]string{"TORII_GOOGLE_HOSTED_DOMAIN": "example.com"})
	for name, hook := range map[string]func(devidp.Claims){
		"another audience": func(c devidp.Claims) { c["aud"] = "other" },
		"expired":          func(c devidp.Claims) { c["exp"] = googleT0.Add(-time.Hour).Unix() },
		"no sub":           func(c devidp.Claims) { delete(c, "sub") },
	} {
		t.Run(name, func(t *testing.T) {
			g.idp.SetIDTokenHook(hook)
			defer g.idp.SetIDTokenHook(nil)
			wantPage(t, g.codeFlow(t, g.srv.Client(t), "/", ada), http.StatusUnauthorized, "could not be verified")
		})
	}
	t.Run("hosted domain", func(t *testing.T) {
		wantPage(t, g.codeFlow(t, g.srv.Client(t), "/", ada), http.StatusForbidden, "not part of the organisation")
	})
	g.wantCounts(t, 0, 0)
}

func TestCodeFlow_NextIsOnlyEverASameOriginPath(t *testing.T) {
	g := startGoogle(t, nil)
	for _, next := range []string{"//evil.com", "https://evil.com", "/\\evil.com", "javascript:alert(1)",
		"/%2F%2Fevil.com", "%2F%2Fevil.com", "/%5Cevil.com", "http:/evil.com", "\t//evil.com"} {
		t.Run(next, func(t *testing.T) {
			r := g.codeFlow(t, g.srv.Client(t), next, ada)
			if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/" {
				t.Fatalf("next %q: %d Location %q", next, r.Status, r.Header.Get("Location"))
			}
		})
	}
	r := g.codeFlow(t, g.srv.Client(t), "/account?tab=sessions", ada)
	if r.Header.Get("Location") != "/account?tab=sessions" {
		t.Fatalf("a same-origin next was not kept: %q", r.Header.Get("Location"))
	}
}

func TestCodeFlow_SecretsStayOutOfLogs(t *testing.T) {
	g := startGoogle(t, nil)
	c := g.srv.Client(t)
	auth := g.startCodeFlow(t, c, "/")
	callback := g.pick(t, c, auth, ada, "signin")
	c.Do("GET", callback, nil)
	cb, _ := url.Parse(callback)
	credential := g.idp.Token(grace)
	g.signIn(g.srv.Client(t), credential)
	g.signIn(g.srv.Client(t), g.idp.Sign(g.claims(grace), tamperSignature))
	logs := g.srv.Logs.String()
	for name, secret := range map[string]string{
		"client secret": testserver.IDPClientSecret, "state": auth.Query().Get("state"),
		"nonce": auth.Query().Get("nonce"), "code": cb.Query().Get("code"), "ID token": credential,
	} {
		if strings.Contains(logs, secret) {
			t.Errorf("the %s appears in the logs", name)
		}
	}
}

func TestCodeFlow_StateIsSingleUseAcrossInstancesOnOneDatabase(t *testing.T) {
	g := startGoogle(t, nil)
	env := g.idp.Env()
	env["TORII_DATABASE"], env["TORII_BASE_URL"] = g.srv.Database, g.srv.URL
	other := testserver.Start(t, testserver.Options{Env: env, AppOptions: appOpts(g.clock)})

	c := g.srv.Client(t)
	callback := g.pick(t, c, g.startCodeFlow(t, c, "/"), ada, "signin")
	var binding string
	u, _ := url.Parse(g.srv.URL)
	for _, ck := range c.HTTP.Jar.Cookies(u) {
		if ck.Name == "torii_oauth" {
			binding = ck.Value
		}
	}
	// The flow started on one instance finishes on the other...
	r := other.Client(t).Do("GET", callback, nil, "Cookie", "torii_oauth="+binding)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("callback on the second instance: %d %s", r.Status, r.Body)
	}
	// ...and is spent for both.
	wantPage(t, c.Do("GET", callback, nil), http.StatusBadRequest, "already used")
}
