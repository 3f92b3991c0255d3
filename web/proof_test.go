package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/devidp"
	"github.com/toriihq/torii/testserver"
)

// Issue 12: an address counts only once it is proved. One test per attack
// of the issue, each asserting why it is refused.

// TestAllowlist_UnverifiedPasswordRegistrationWaits: with the README's
// "lock torii to your company" allowlist, a password registration of an
// address at that domain proves nothing: the account is signed in but
// waits, every API call but the few that help it out answers 403
// EMAIL_NOT_VERIFIED, and every page shows the waiting page.
func TestAllowlist_UnverifiedPasswordRegistrationWaits(t *testing.T) {
	srv, _ := startWithClock(t, map[string]string{"TORII_ALLOWED_EMAILS": "@corp.example"})
	c := signedIn(t, srv, "nobody-real@corp.example")

	m := c.Do("GET", "/api/v1/me", nil)
	if m.Status != http.StatusOK {
		t.Fatalf("GET /api/v1/me of a waiting account: %d %s", m.Status, m.Body)
	}
	if v := m.JSON()["user"].(map[string]any)["emailVerified"]; v != false {
		t.Fatalf("user.emailVerified = %v, want false", v)
	}
	for _, rt := range [][2]string{
		{"GET", "/api/v1/rooms"},
		{"POST", "/api/v1/rooms"},
		{"GET", "/api/v1/rooms/1/messages"},
		{"GET", "/api/v1/rooms/1/events"},
		{"GET", "/api/v1/groups"},
		{"POST", "/api/v1/auth/token"},
		{"GET", "/api/v1/me/sessions"},
		{"GET", "/api/v1/auth/verify"},
	} {
		r := c.Do(rt[0], rt[1], map[string]any{"name": "x"})
		wantError(t, r, http.StatusForbidden, torii.EEmailNotVerified)
		if msg := r.JSON()["error"].(map[string]any)["message"]; msg != "Confirm your e-mail address first: check your mail." {
			t.Errorf("%s %s: message %q", rt[0], rt[1], msg)
		}
	}
	for _, path := range []string{"/", "/account", "/admin"} {
		// No mail is configured here: the page says so instead of
		// promising a link (TestVerifyEmail_* cover the page with mail on).
		wantPage(t, c.Do("GET", path, nil), http.StatusForbidden, "this address is not confirmed yet",
			"This server does not send mail, so no link will come: ask an administrator", `action="/logout"`)
	}
	if r := c.Do("POST", "/api/v1/auth/logout", nil); r.Status != http.StatusNoContent {
		t.Fatalf("logout of a waiting account: %d %s", r.Status, r.Body)
	}
}

// TestAllowlist_EmptyAdmitsUnverifiedAccounts: with no allowlist everyone
// may sign in, verified or not, as before.
func TestAllowlist_EmptyAdmitsUnverifiedAccounts(t *testing.T) {
	srv, _ := startWithClock(t, nil)
	c := signedIn(t, srv, "ann@example.com")
	if r := c.Do("GET", "/api/v1/rooms", nil); r.Status != http.StatusOK {
		t.Fatalf("GET /api/v1/rooms: %d %s", r.Status, r.Body)
	}
	wantPage(t, c.Do("GET", "/account", nil), http.StatusOK, "Your account")
}

// TestOpenID_UnverifiedEmailNeverPassesAllowlist: a provider that says
// email_verified: false for an address of the allowed domain gets no
// account (NOT_ALLOWED, nothing written, the reason audited).
func TestOpenID_UnverifiedEmailNeverPassesAllowlist(t *testing.T) {
	g := startGoogle(t, map[string]string{"TORII_ALLOWED_EMAILS": "@example.com"})
	eve := devidp.User{Email: "eve@example.com", Name: "Eve", EmailVerified: false}
	r := g.signIn(g.srv.Client(t), g.idp.Token(eve))
	g.wantRejected(t, r, http.StatusForbidden, torii.ENotAllowed)
	if msg := r.JSON()["error"].(map[string]any)["message"].(string); !strings.Contains(msg, "not verified") {
		t.Errorf("message %q does not say the address is not verified", msg)
	}
	g.wantCounts(t, 0, 0)
	// The same person with a verified address is admitted.
	eve.EmailVerified = true
	if r := g.signIn(g.srv.Client(t), g.idp.Token(eve)); r.Status != http.StatusCreated {
		t.Fatalf("verified sign-in: %d %s", r.Status, r.Body)
	}
}

// TestAdminBootstrap_UnverifiedAddressIsNotPromoted: TORII_ADMIN_EMAILS
// promotes a verified address only. Whoever registers it with a password
// is no admin; once the provider proves the address, its owner is.
func TestAdminBootstrap_UnverifiedAddressIsNotPromoted(t *testing.T) {
	g := startGoogle(t, map[string]string{"TORII_ADMIN_EMAILS": "boss@example.com"})
	squatter := g.srv.Client(t)
	registerUser(t, squatter, "boss@example.com", "Not The Boss")
	if roles := me(t, squatter)["roles"].([]any); len(roles) != 0 {
		t.Fatalf("unverified registrant has roles %v", roles)
	}
	wantError(t, squatter.Do("GET", "/api/v1/admin/users", nil), http.StatusForbidden, torii.EForbidden)

	// An OpenID identity that does not vouch for the address: no admin.
	other := devidp.User{Email: "boss@example.com", Name: "Boss?", EmailVerified: false, Subject: "unverified-boss"}
	wantError(t, g.signIn(g.srv.Client(t), g.idp.Token(other)), http.StatusForbidden, torii.EEmailNotVerified)

	// The real owner proves the address: promoted (and the squatter out).
	boss := devidp.User{Email: "boss@example.com", Name: "The Boss", EmailVerified: true}
	c := g.srv.Client(t)
	if r := g.signIn(c, g.idp.Token(boss)); r.Status != http.StatusOK {
		t.Fatalf("verified sign-in: %d %s", r.Status, r.Body)
	}
	if roles := me(t, c)["roles"].([]any); len(roles) != 1 || roles[0] != torii.RoleAdmin {
		t.Fatalf("verified owner's roles = %v, want [admin]", roles)
	}
	wantError(t, squatter.Do("GET", "/api/v1/me", nil), http.StatusUnauthorized, torii.EUnauthorized)
}

// TestTakeoverReset_SquatterIdentityAndAccessTokenDie: a squatter
// registers the victim's address, links their own provider identity and
// mints an access token. The victim's verified sign-in takes the address
// over, and in that one transaction everything the squatter held dies:
// the session, the linked identity (their provider now signs them into an
// account of their own) and the access token, even one issued in the very
// second of the reset. The audit log says what died.
func TestTakeoverReset_SquatterIdentityAndAccessTokenDie(t *testing.T) {
	g := startGoogle(t, nil)
	squatter := g.srv.Client(t)
	registerUser(t, squatter, ada.Email, "Squatter")
	evil := devidp.User{Email: "eve@evil.example", Name: "Eve", EmailVerified: true}
	if r := squatter.Do("POST", "/api/v1/me/identities", map[string]string{"credential": g.idp.Token(evil)}); r.Status != http.StatusCreated {
		t.Fatalf("squatter links their identity: %d %s", r.Status, r.Body)
	}
	tok := mint(t, squatter, "")
	victimID := int64(me(t, squatter)["user"].(map[string]any)["id"].(float64))

	// Same second as the token: the epoch must still refuse it.
	victim := g.srv.Client(t)
	if r := g.signIn(victim, g.idp.Token(ada)); r.Status != http.StatusOK {
		t.Fatalf("victim's verified sign-in: %d %s", r.Status, r.Body)
	}

	wantError(t, bearer(g.srv, t, "GET", "/api/v1/me", tok.AccessToken), http.StatusUnauthorized, torii.EUnauthorized)
	wantError(t, bearer(g.srv, t, "PUT", "/api/v1/me/password", tok.AccessToken), http.StatusUnauthorized, torii.EUnauthorized)
	wantError(t, bearer(g.srv, t, "GET", "/api/v1/auth/verify", tok.AccessToken), http.StatusUnauthorized, torii.EUnauthorized)
	wantError(t, squatter.Do("GET", "/api/v1/me", nil), http.StatusUnauthorized, torii.EUnauthorized)
	wantError(t, refresh(g.srv, t, tok.RefreshToken), http.StatusUnauthorized, torii.EUnauthorized)

	// The squatter's provider identity no longer leads into the account.
	back := g.srv.Client(t)
	r := g.signIn(back, g.idp.Token(evil))
	if r.Status != http.StatusCreated {
		t.Fatalf("squatter's identity signs in: %d %s (want a new account of their own)", r.Status, r.Body)
	}
	if got := me(t, back)["user"].(map[string]any); int64(got["id"].(float64)) == victimID || got["email"] != evil.Email {
		t.Fatalf("squatter's identity leads to %v, the victim's account is %d", got, victimID)
	}
	m := me(t, victim)
	if ids := m["identities"].([]any); len(ids) != 1 || ids[0].(map[string]any)["email"] != ada.Email {
		t.Fatalf("victim's identities after the reset: %v", ids)
	}
	if m["user"].(map[string]any)["authProvider"] != torii.ProviderGoogle || m["user"].(map[string]any)["emailVerified"] != true {
		t.Fatalf("victim after the reset: %v", m["user"])
	}

	events, err := g.store(t).ListAudit(t.Context(), torii.AuditFilter{Event: torii.AuditLink, UserID: &victimID, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	d := events[0].Detail
	removed, _ := json.Marshal(d["identitiesRemoved"])
	if d["reset"] != true || d["passwordCleared"] != true || !strings.Contains(string(removed), "eve@evil.example") || d["accessTokensBefore"] == nil {
		t.Fatalf("audit of the reset: %v", d)
	}
}

// TestBearer_CannotCreateALastingWayIn: a 15-minute access token cannot set
// a password, link or unlink an identity, re-authenticate, or get a fresh
// token from forward-auth: FORBIDDEN, saying a browser session is needed.
func TestBearer_CannotCreateALastingWayIn(t *testing.T) {
	g := startGoogle(t, map[string]string{"TORII_TOKEN_AUDIENCES": "https://app.example"})
	c := g.srv.Client(t)
	if r := g.signIn(c, g.idp.Token(ada)); r.Status != http.StatusCreated {
		t.Fatalf("sign-in: %d %s", r.Status, r.Body)
	}
	tok := mint(t, c, "").AccessToken
	send := func(method, path string, body any) *testserver.Response {
		return g.srv.Client(t).Do(method, path, body, "Authorization", "Bearer "+tok)
	}
	for _, r := range []*testserver.Response{
		send("PUT", "/api/v1/me/password", map[string]string{"newPassword": "a brand new password"}),
		send("POST", "/api/v1/me/identities", map[string]string{"credential": g.idp.Token(grace)}),
		send("DELETE", "/api/v1/me/identities/1", nil),
		send("POST", "/api/v1/me/reauth", map[string]string{"password": "whatever it is"}),
	} {
		wantError(t, r, http.StatusForbidden, torii.EForbidden)
		if msg := r.JSON()["error"].(map[string]any)["message"].(string); !strings.Contains(msg, "browser session") {
			t.Errorf("message %q does not say a browser session is needed", msg)
		}
	}
	if m := me(t, c); len(m["identities"].([]any)) != 1 || m["user"].(map[string]any)["authProvider"] != torii.ProviderGoogle {
		t.Fatalf("the token changed the account: %v", m)
	}
}

// TestVerify_BearerNeverGetsAFreshToken: forward-auth with a Bearer token
// answers 200 but hands out no new token (else an app token would renew
// itself forever); with a cookie it still does.
func TestVerify_BearerNeverGetsAFreshToken(t *testing.T) {
	srv, _ := startWithClock(t, map[string]string{"TORII_TOKEN_AUDIENCES": "https://app.example"})
	c := signedIn(t, srv, "ann@example.com")
	app := mint(t, c, "?audience=https://app.example").AccessToken
	r := bearer(srv, t, "GET", "/api/v1/auth/verify?audience=https://app.example", app)
	if r.Status != http.StatusOK {
		t.Fatalf("verify with Bearer: %d %s", r.Status, r.Body)
	}
	if got := r.Header.Get("X-Auth-Request-Access-Token"); got != "" {
		t.Fatal("verify handed a Bearer caller a fresh access token")
	}
	r = c.Do("GET", "/api/v1/auth/verify?audience=https://app.example", nil)
	if r.Status != http.StatusOK || r.Header.Get("X-Auth-Request-Access-Token") == "" {
		t.Fatalf("verify with a cookie: %d, token %q", r.Status, r.Header.Get("X-Auth-Request-Access-Token"))
	}
}

// TestReauth_LastingChangesNeedASignInWithinTenMinutes: past 10 minutes
// after signing in, setting a password answers REAUTH_REQUIRED (API) or
// shows the "confirm it's you" form (page); the password re-auth opens
// the window again.
func TestReauth_LastingChangesNeedASignInWithinTenMinutes(t *testing.T) {
	srv, clock := startWithClock(t, nil)
	c := signedIn(t, srv, "ann@example.com")
	change := map[string]string{"currentPassword": goodPassword, "newPassword": "another good password"}
	clock.Advance(10*time.Minute + time.Second)
	wantError(t, c.Do("PUT", "/api/v1/me/password", change), http.StatusForbidden, torii.EReauthRequired)
	wantPage(t, c.Do("POST", "/account/password", "currentPassword=x&newPassword=y",
		"Content-Type", "application/x-www-form-urlencoded"), http.StatusForbidden, `action="/account/reauth"`, "Confirm it")

	wantError(t, c.Do("POST", "/api/v1/me/reauth", map[string]string{"password": "not the password"}), http.StatusUnprocessableEntity, torii.EValidation)
	wantError(t, c.Do("PUT", "/api/v1/me/password", change), http.StatusForbidden, torii.EReauthRequired)
	if r := c.Do("POST", "/api/v1/me/reauth", map[string]string{"password": goodPassword}); r.Status != http.StatusNoContent {
		t.Fatalf("reauth: %d %s", r.Status, r.Body)
	}
	if r := c.Do("PUT", "/api/v1/me/password", change); r.Status != http.StatusNoContent {
		t.Fatalf("password change after reauth: %d %s", r.Status, r.Body)
	}
}

// TestEmail_KelvinSignRefusedAndNeverMatched: "Kim@example.com" written
// with U+212A KELVIN SIGN (or U+0130) is refused at registration (422 on
// email) and does not sign into kim@example.com.
func TestEmail_KelvinSignRefusedAndNeverMatched(t *testing.T) {
	srv, _ := startWithClock(t, nil)
	signedIn(t, srv, "kim@example.com")
	for _, fake := range []string{"\u212Aim@example.com", "k\u0130m@example.com", "\u212AIM@EXAMPLE.COM"} {
		r := srv.Client(t).Do("POST", "/api/v1/auth/register", map[string]string{"email": fake, "password": goodPassword, "name": "Fake"})
		wantError(t, r, http.StatusUnprocessableEntity, torii.EValidation)
		if f := r.JSON()["error"].(map[string]any)["fields"].(map[string]any)["email"]; !strings.Contains(f.(string), "imitates an ASCII letter") {
			t.Errorf("register %q: fields.email = %v", fake, f)
		}
		wantError(t, srv.Client(t).Do("POST", "/api/v1/auth/login", map[string]string{"email": fake, "password": goodPassword}),
			http.StatusUnauthorized, torii.EInvalidCredentials)
	}
}

// TestToken_CarriesEmailVerified: access tokens and /me say whether the
// address is verified.
func TestToken_CarriesEmailVerified(t *testing.T) {
	srv, _ := startWithClock(t, nil)
	c := signedIn(t, srv, "ann@example.com")
	_, claims := claimsOf(t, mint(t, c, "").AccessToken)
	if v, ok := claims["email_verified"]; !ok || v != false {
		t.Fatalf("email_verified claim = %v (present %v), want false", v, ok)
	}
}

// TestReauth_ProviderSignInRefreshesOnlyWithALinkedIdentity: past the
// 10-minute window, "Link a Google account" sends the browser back to
// /account to confirm it's you; the provider re-auth flow refreshes the
// session's sign-in time only for an identity already linked to the user
// (another one: 403, nothing linked), and starts no new session.
func TestReauth_ProviderSignInRefreshesOnlyWithALinkedIdentity(t *testing.T) {
	g := startGoogle(t, nil)
	c := g.srv.Client(t)
	if r := g.codeFlow(t, c, "/", ada); r.Status != http.StatusSeeOther {
		t.Fatalf("sign-in: %d %s", r.Status, r.Body)
	}
	g.clock.Advance(11 * time.Minute)
	link := postForm(c, "/auth/google/link", nil)
	if link.Status != http.StatusSeeOther || link.Header.Get("Location") != "/account?reauth=1" {
		t.Fatalf("link start past the window: %d %q", link.Status, link.Header.Get("Location"))
	}
	wantPage(t, c.Do("GET", "/account?reauth=1", nil), http.StatusOK, `action="/auth/google/reauth"`, "Confirm it")

	reauth := func(u devidp.User) *testserver.Response {
		start := postForm(c, "/auth/google/reauth", nil)
		if start.Status != http.StatusSeeOther || !strings.HasPrefix(start.Header.Get("Location"), g.idp.URL+"/authorize?") {
			t.Fatalf("reauth start: %d %q", start.Status, start.Header.Get("Location"))
		}
		auth, _ := url.Parse(start.Header.Get("Location"))
		return c.Do("GET", g.pick(t, c, auth, u, "signin"), nil)
	}
	wantPage(t, reauth(grace), http.StatusForbidden, "not linked to your account")
	wantError(t, c.Do("POST", "/api/v1/me/identities", map[string]string{"credential": g.idp.Token(grace)}), http.StatusForbidden, torii.EReauthRequired)

	r := reauth(ada)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/account?reauthed=1" {
		t.Fatalf("reauth callback: %d %q %s", r.Status, r.Header.Get("Location"), r.Body)
	}
	if sessionCookieSet(r) {
		t.Fatal("the re-auth flow started a new session")
	}
	if r := c.Do("POST", "/api/v1/me/identities", map[string]string{"credential": g.idp.Token(grace)}); r.Status != http.StatusCreated {
		t.Fatalf("link after re-auth: %d %s", r.Status, r.Body)
	}
}

func sessionCookieSet(r *testserver.Response) bool {
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if strings.HasSuffix(c.Name, "torii_session") {
			return true
		}
	}
	return false
}

// TestAllowlist_UnverifiedAdminCannotPutThemselfInTheWaitingRoom: an admin
// whose own address is not verified (a self-registered account granted
// admin by another) may not start an allowlist, even one that names their
// address: from then on only verified addresses get in, so they would
// wait for a confirmation with no one left to confirm it.
func TestAllowlist_UnverifiedAdminCannotPutThemselfInTheWaitingRoom(t *testing.T) {
	srv := start(t, adminEnv)
	boss := adminClient(t, srv)
	ann := signedIn(t, srv, "ann@example.com")
	wantStatus(t, "grant", patchUser(boss, userID(t, ann), map[string]any{"roles": []string{"admin"}}), http.StatusOK)

	r := ann.Do("POST", "/api/v1/admin/allowlist", map[string]string{"pattern": "@example.com"})
	wantError(t, r, http.StatusUnprocessableEntity, torii.EValidation)
	if msg := r.JSON()["error"].(map[string]any)["fields"].(map[string]any)["pattern"]; !strings.Contains(msg.(string), "not verified") {
		t.Fatalf("refusal says %q, want the reason: her own address is not verified", msg)
	}
	if entries := boss.Do("GET", "/api/v1/admin/allowlist", nil).JSON()["entries"].([]any); len(entries) != 0 {
		t.Fatalf("the refused entry was stored: %v", entries)
	}
	// A verified admin may.
	wantStatus(t, "verified admin adds", boss.Do("POST", "/api/v1/admin/allowlist", map[string]string{"pattern": "@example.com"}), http.StatusCreated)
}
