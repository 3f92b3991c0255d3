package web_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/devidp"
	"github.com/toriihq/torii/testserver"
)

// redirectPost posts GIS redirect mode's form the way Google does: from
// its own origin, with the g_csrf_token cookie and field as given ("" =
// absent).
func redirectPost(c *testserver.Client, credential, cookie, field string) *testserver.Response {
	form := url.Values{"credential": {credential}}
	if field != "" {
		form.Set("g_csrf_token", field)
	}
	headers := []string{"Content-Type", "application/x-www-form-urlencoded",
		"Origin", "https://accounts.google.com", "Sec-Fetch-Site", "cross-site"}
	if cookie != "" {
		headers = append(headers, "Cookie", "g_csrf_token="+cookie)
	}
	return c.Do("POST", "/auth/google/redirect", form.Encode(), headers...)
}

func TestGoogleRedirectMode_DoubleSubmitTokenRequired(t *testing.T) {
	g := startGoogle(t, nil)
	cases := []struct{ name, cookie, field string }{
		{"cookie missing", "", "tok-123"},
		{"field missing", "tok-123", ""},
		{"cookie and field differ", "tok-123", "tok-456"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := redirectPost(g.srv.Client(t), g.idp.Token(ada), tc.cookie, tc.field)
			wantPage(t, r, http.StatusBadRequest, "could not be confirmed")
			g.wantCounts(t, 0, 0)
		})
	}
	// Equal: the cross-site post from Google is accepted on this one route.
	c := g.srv.Client(t)
	r := redirectPost(c, g.idp.Token(ada), "tok-123", "tok-123")
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/" {
		t.Fatalf("redirect mode: %d %s", r.Status, r.Body)
	}
	sessionCookie(t, r)
	g.wantCounts(t, 1, 1)
}

func TestGoogleRedirectMode_BadTokenIsAFriendlyPage(t *testing.T) {
	g := startGoogle(t, nil)
	r := redirectPost(g.srv.Client(t), g.idp.Sign(g.claims(ada), algNone), "t", "t")
	wantPage(t, r, http.StatusUnauthorized, "could not be verified")
	g.wantCounts(t, 0, 0)
}

func TestGoogleJSON_CrossSitePostRefusedSameOriginAllowed(t *testing.T) {
	g := startGoogle(t, nil)
	body := map[string]string{"credential": g.idp.Token(ada)}
	r := g.srv.Client(t).Do("POST", "/api/v1/auth/google", body, "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example")
	g.wantRejected(t, r, http.StatusForbidden, "FORBIDDEN")
	g.wantCounts(t, 0, 0)
	r = g.srv.Client(t).Do("POST", "/api/v1/auth/google", body, "Sec-Fetch-Site", "same-origin", "Origin", g.srv.URL)
	if r.Status != http.StatusCreated {
		t.Fatalf("same-origin: %d %s", r.Status, r.Body)
	}
	// Only the redirect-mode route is exempt from the cross-origin check.
	r = g.srv.Client(t).Do("POST", "/register/google", "name=x", "Content-Type", "application/x-www-form-urlencoded",
		"Sec-Fetch-Site", "cross-site", "Origin", "https://accounts.google.com")
	wantError(t, r, http.StatusForbidden, "FORBIDDEN")
}

func TestGoogleSignIn_FindsBySubjectNeverByEmailAlone(t *testing.T) {
	g := startGoogle(t, nil)
	if r := g.signIn(g.srv.Client(t), g.idp.Token(ada)); r.Status != http.StatusCreated {
		t.Fatalf("sign-in: %d", r.Status)
	}
	// Same email, another subject, email not verified: another identity,
	// which may not take over Ada's account.
	impostor := ada
	impostor.Subject, impostor.EmailVerified = "999", false
	g.wantRejected(t, g.signIn(g.srv.Client(t), g.idp.Token(impostor)), http.StatusForbidden, "EMAIL_NOT_VERIFIED")
	g.wantCounts(t, 1, 1)
	// The same subject with another email is still Ada.
	moved := ada
	moved.Subject, moved.Email = devidp.SubjectFor(ada.Email), "ada.lovelace@example.net"
	c := g.srv.Client(t)
	if r := g.signIn(c, g.idp.Token(moved)); r.Status != http.StatusOK {
		t.Fatalf("same sub, new email: %d %s", r.Status, r.Body)
	}
	if got := me(t, c)["user"].(map[string]any)["email"]; got != "ada@example.com" {
		t.Fatalf("signed in as %v", got)
	}
	g.wantCounts(t, 1, 1)
}

func TestGoogleSignIn_LinksOnlyVerifiedEmail(t *testing.T) {
	g := startGoogle(t, nil)
	registerUser(t, g.srv.Client(t), "ada@example.com", "Ada")
	unverified := ada
	unverified.EmailVerified = false
	g.wantRejected(t, g.signIn(g.srv.Client(t), g.idp.Token(unverified)), http.StatusForbidden, "EMAIL_NOT_VERIFIED")
	g.wantCounts(t, 1, 0)
	u, err := g.store(t).UserByEmail(t.Context(), "ada@example.com")
	if err != nil || u.EmailVerified || !u.HasPassword() {
		t.Fatalf("user after a refused link: %+v, %v", u, err)
	}
	if r := login(g.srv.Client(t), "ada@example.com", goodPassword); r.Status != http.StatusOK {
		t.Fatalf("password sign-in after a refused link: %d", r.Status)
	}
}

func TestGoogleSignIn_VerifiedAccountLinkedKeepsPasswordAndSessions(t *testing.T) {
	g := startGoogle(t, nil)
	if out, code := g.srv.CLI(t, goodPassword, "user", "create", "--email", "ada@example.com", "--name", "Ada", "--password-stdin"); code != 0 {
		t.Fatalf("user create: %d %s", code, out)
	}
	old := g.srv.Client(t)
	if r := login(old, "ada@example.com", goodPassword); r.Status != http.StatusOK {
		t.Fatalf("login: %d", r.Status)
	}
	c := g.srv.Client(t)
	if r := g.signIn(c, g.idp.Token(ada)); r.Status != http.StatusOK || r.JSON()["isNewUser"] != false {
		t.Fatalf("google sign-in: %d %s", r.Status, r.Body)
	}
	if got := authProvider(t, c); got != "both" {
		t.Fatalf("authProvider = %q, want both", got)
	}
	if r := old.Do("GET", "/api/v1/me", nil); r.Status != http.StatusOK {
		t.Fatalf("the password session died: %d", r.Status)
	}
	if r := login(g.srv.Client(t), "ada@example.com", goodPassword); r.Status != http.StatusOK {
		t.Fatalf("password after linking: %d", r.Status)
	}
}

func TestGoogleSignIn_UnverifiedPasswordAccountLosesPasswordAndSessions(t *testing.T) {
	g := startGoogle(t, nil)
	// Someone pre-registered Ada's address with a password (torii sends no
	// verification mail, so the address was never verified).
	squatter := g.srv.Client(t)
	registerUser(t, squatter, "ada@example.com", "Not Ada")

	c := g.srv.Client(t)
	if r := g.signIn(c, g.idp.Token(ada)); r.Status != http.StatusOK {
		t.Fatalf("google sign-in: %d %s", r.Status, r.Body)
	}
	if r := squatter.Do("GET", "/api/v1/me", nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("the pre-registered session survived: %d", r.Status)
	}
	wantError(t, login(g.srv.Client(t), "ada@example.com", goodPassword), http.StatusUnauthorized, "PASSWORD_NOT_SET")
	if got := authProvider(t, c); got != "google" {
		t.Fatalf("authProvider = %q, want google", got)
	}
	u, err := g.store(t).UserByEmail(t.Context(), "ada@example.com")
	if err != nil || !u.EmailVerified {
		t.Fatalf("email not marked verified: %+v %v", u, err)
	}
	events, err := g.store(t).ListAudit(t.Context(), torii.AuditFilter{Event: torii.AuditLink})
	if err != nil || len(events) != 1 || events[0].Detail["passwordCleared"] != true {
		t.Fatalf("audit: %+v %v", events, err)
	}

	// The owner sets a new password from /account: both ways work.
	const newPassword = "the real owner's new password"
	if r := c.Do("PUT", "/api/v1/me/password", map[string]string{"newPassword": newPassword}); r.Status != http.StatusNoContent {
		t.Fatalf("set password: %d %s", r.Status, r.Body)
	}
	if got := authProvider(t, c); got != "both" {
		t.Fatalf("authProvider = %q, want both", got)
	}
	if r := login(g.srv.Client(t), "ada@example.com", newPassword); r.Status != http.StatusOK {
		t.Fatalf("login with the new password: %d", r.Status)
	}
}

func TestIdentities_ExplicitLinkKeepsPassword(t *testing.T) {
	g := startGoogle(t, nil)
	c := g.srv.Client(t)
	registerUser(t, c, "ann@example.com", "Ann")
	other := g.srv.Client(t)
	login(other, "ann@example.com", goodPassword)
	// A Google account with another address: being signed in proves the
	// account, the token proves the Google account.
	r := c.Do("POST", "/api/v1/me/identities", map[string]string{"credential": g.idp.Token(grace)})
	if r.Status != http.StatusCreated || r.JSON()["identity"].(map[string]any)["email"] != "grace@example.com" {
		t.Fatalf("link: %d %s", r.Status, r.Body)
	}
	if got := authProvider(t, c); got != "both" {
		t.Fatalf("authProvider = %q, want both", got)
	}
	if r := other.Do("GET", "/api/v1/me", nil); r.Status != http.StatusOK {
		t.Fatalf("another session died: %d", r.Status)
	}
	if r := login(g.srv.Client(t), "ann@example.com", goodPassword); r.Status != http.StatusOK {
		t.Fatalf("password after explicit link: %d", r.Status)
	}
	// Signing in with Grace's Google account is now Ann.
	gc := g.srv.Client(t)
	g.signIn(gc, g.idp.Token(grace))
	if got := me(t, gc)["user"].(map[string]any)["email"]; got != "ann@example.com" {
		t.Fatalf("google sign-in reached %v", got)
	}
	// Linking again is idempotent.
	if r := c.Do("POST", "/api/v1/me/identities", map[string]string{"credential": g.idp.Token(grace)}); r.Status != http.StatusOK {
		t.Fatalf("link again: %d %s", r.Status, r.Body)
	}
}

func TestIdentities_ExplicitLinkOfAnotherUsersIdentityConflicts(t *testing.T) {
	g := startGoogle(t, nil)
	g.signIn(g.srv.Client(t), g.idp.Token(ada))
	c := g.srv.Client(t)
	registerUser(t, c, "ann@example.com", "Ann")
	wantError(t, c.Do("POST", "/api/v1/me/identities", map[string]string{"credential": g.idp.Token(ada)}), http.StatusConflict, "CONFLICT")
	g.wantCounts(t, 2, 1)
	wantError(t, g.srv.Client(t).Do("POST", "/api/v1/me/identities", map[string]string{"credential": g.idp.Token(grace)}), http.StatusUnauthorized, "UNAUTHORIZED")
	wantError(t, c.Do("POST", "/api/v1/me/identities", map[string]string{"credential": g.idp.Sign(g.claims(grace), tamperSignature)}), http.StatusUnauthorized, "UNAUTHORIZED")
}

func TestIdentities_UnlinkingTheLastWayToSignInRefused(t *testing.T) {
	g := startGoogle(t, nil)
	c := g.srv.Client(t)
	g.signIn(c, g.idp.Token(ada))
	ids := me(t, c)["identities"].([]any)
	id := strconv.Itoa(int(ids[0].(map[string]any)["id"].(float64)))
	wantError(t, c.Do("DELETE", "/api/v1/me/identities/"+id, nil), http.StatusUnprocessableEntity, "VALIDATION_ERROR")
	g.wantCounts(t, 1, 1)
	wantError(t, c.Do("DELETE", "/api/v1/me/identities/99999", nil), http.StatusNotFound, "NOT_FOUND")

	if r := c.Do("PUT", "/api/v1/me/password", map[string]string{"newPassword": goodPassword}); r.Status != http.StatusNoContent {
		t.Fatalf("set password: %d %s", r.Status, r.Body)
	}
	if r := c.Do("DELETE", "/api/v1/me/identities/"+id, nil); r.Status != http.StatusNoContent {
		t.Fatalf("unlink with a password: %d %s", r.Status, r.Body)
	}
	if got := authProvider(t, c); got != "local" {
		t.Fatalf("authProvider = %q, want local", got)
	}
}

func TestIdentities_UnlinkRefusedWhenPasswordSignInIsOff(t *testing.T) {
	g := startGoogle(t, nil)
	c := g.srv.Client(t)
	registerUser(t, c, "ann@example.com", "Ann")
	c.Do("POST", "/api/v1/me/identities", map[string]string{"credential": g.idp.Token(grace)})
	id := strconv.Itoa(int(me(t, c)["identities"].([]any)[0].(map[string]any)["id"].(float64)))

	off := testserver.Start(t, testserver.Options{Env: map[string]string{
		"TORII_DATABASE": g.srv.Database, "TORII_PASSWORD_LOGIN": "false",
		"TORII_OIDC_ISSUER": g.idp.Issuer(), "TORII_GOOGLE_CLIENT_ID": testserver.IDPClientID,
	}, AppOptions: appOpts(g.clock)})
	oc := off.Client(t)
	g.signIn(oc, g.idp.Token(grace))
	wantError(t, oc.Do("DELETE", "/api/v1/me/identities/"+id, nil), http.StatusUnprocessableEntity, "VALIDATION_ERROR")
}

func TestPassword_ChangeNeedsTheCurrentOneAndSignsOutOtherDevices(t *testing.T) {
	g := startGoogle(t, nil)
	c := g.srv.Client(t)
	registerUser(t, c, "ann@example.com", "Ann")
	other := g.srv.Client(t)
	login(other, "ann@example.com", goodPassword)
	const next = "a brand new passphrase"
	wantError(t, c.Do("PUT", "/api/v1/me/password", map[string]string{"newPassword": next}), http.StatusUnprocessableEntity, "VALIDATION_ERROR")
	r := c.Do("PUT", "/api/v1/me/password", map[string]string{"currentPassword": "wrong wrong wrong", "newPassword": next})
	wantError(t, r, http.StatusUnprocessableEntity, "VALIDATION_ERROR")
	if !strings.Contains(string(r.Body), "currentPassword") {
		t.Fatalf("no currentPassword field: %s", r.Body)
	}
	wantError(t, c.Do("PUT", "/api/v1/me/password", map[string]string{"currentPassword": goodPassword, "newPassword": "short"}), http.StatusUnprocessableEntity, "VALIDATION_ERROR")
	if r := c.Do("PUT", "/api/v1/me/password", map[string]string{"currentPassword": goodPassword, "newPassword": next}); r.Status != http.StatusNoContent {
		t.Fatalf("change: %d %s", r.Status, r.Body)
	}
	if r := other.Do("GET", "/api/v1/me", nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("the other device is still signed in: %d", r.Status)
	}
	me(t, c)
	wantError(t, login(g.srv.Client(t), "ann@example.com", goodPassword), http.StatusUnauthorized, "INVALID_CREDENTIALS")
	if r := login(g.srv.Client(t), "ann@example.com", next); r.Status != http.StatusOK {
		t.Fatalf("new password: %d", r.Status)
	}
	wantError(t, g.srv.Client(t).Do("PUT", "/api/v1/me/password", map[string]string{"newPassword": next}), http.StatusUnauthorized, "UNAUTHORIZED")
}

func TestGoogleSignIn_GoogleOnlyAccountGetsPasswordNotSet(t *testing.T) {
	g := startGoogle(t, nil)
	g.signIn(g.srv.Client(t), g.idp.Token(ada))
	r := login(g.srv.Client(t), "ada@example.com", goodPassword)
	wantError(t, r, http.StatusUnauthorized, "PASSWORD_NOT_SET")
}

func TestGoogleSignIn_ExplicitSignupAnswersUserNotFoundThenRegisters(t *testing.T) {
	g := startGoogle(t, map[string]string{"TORII_SIGNUP": "explicit"})
	c := g.srv.Client(t)
	r := g.signIn(c, g.idp.Token(ada))
	g.wantRejected(t, r, http.StatusNotFound, "USER_NOT_FOUND")
	g.wantCounts(t, 0, 0)

	reg := func(body map[string]string) *testserver.Response {
		return g.srv.Client(t).Do("POST", "/api/v1/auth/google/register", body)
	}
	wantError(t, reg(map[string]string{"credential": g.idp.Token(ada), "name": "  "}), http.StatusUnprocessableEntity, "VALIDATION_ERROR")
	wantError(t, reg(map[string]string{"credential": g.idp.Token(ada), "name": "Ada", "companyName": strings.Repeat("x", 101)}), http.StatusUnprocessableEntity, "VALIDATION_ERROR")
	wantError(t, reg(map[string]string{"credential": g.idp.Sign(g.claims(ada), algNone), "name": "Ada"}), http.StatusUnauthorized, "UNAUTHORIZED")
	g.wantCounts(t, 0, 0)

	r = reg(map[string]string{"credential": g.idp.Token(ada), "name": "Countess Ada", "companyName": "Analytical Engines"})
	if r.Status != http.StatusCreated || r.JSON()["user"].(map[string]any)["name"] != "Countess Ada" {
		t.Fatalf("register: %d %s", r.Status, r.Body)
	}
	sessionCookie(t, r)
	wantError(t, reg(map[string]string{"credential": g.idp.Token(ada), "name": "Ada"}), http.StatusConflict, "EMAIL_ALREADY_EXISTS")
	if r := g.signIn(g.srv.Client(t), g.idp.Token(ada)); r.Status != http.StatusOK {
		t.Fatalf("sign-in after registering: %d %s", r.Status, r.Body)
	}
	// A password account with the address: registration says sign in.
	registerUser(t, g.srv.Client(t), "grace@example.com", "Grace")
	wantError(t, reg(map[string]string{"credential": g.idp.Token(grace), "name": "Grace"}), http.StatusConflict, "EMAIL_ALREADY_EXISTS")
}

func TestGoogleSignIn_ExplicitSignupPagesFinishRegistration(t *testing.T) {
	g := startGoogle(t, map[string]string{"TORII_SIGNUP": "explicit"})
	c := g.srv.Client(t)
	r := g.codeFlow(t, c, "/account", ada)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/register?next=%2Faccount" {
		t.Fatalf("callback: %d %q", r.Status, r.Header.Get("Location"))
	}
	g.wantCounts(t, 0, 0)
	wantPage(t, c.Do("GET", "/register?next=%2Faccount", nil), http.StatusOK, "Signed in with Google as", "ada@example.com", `value="Ada Lovelace"`)
	bad := postForm(c, "/register/google", url.Values{"name": {""}, "next": {"/account"}})
	wantPage(t, bad, http.StatusUnprocessableEntity, "Name is required")
	done := postForm(c, "/register/google", url.Values{"name": {"Ada L."}, "companyName": {"Engines"}, "next": {"/account"}})
	if done.Status != http.StatusSeeOther || done.Header.Get("Location") != "/account" {
		t.Fatalf("finish: %d %s", done.Status, done.Body)
	}
	if got := me(t, c)["user"].(map[string]any)["name"]; got != "Ada L." {
		t.Fatalf("name = %v", got)
	}
	g.wantCounts(t, 1, 1)
}

func TestGoogleSignIn_ClosedSignupCreatesNobody(t *testing.T) {
	g := startGoogle(t, map[string]string{"TORII_SIGNUP": "closed"})
	g.wantRejected(t, g.signIn(g.srv.Client(t), g.idp.Token(ada)), http.StatusForbidden, "NOT_ALLOWED")
	wantError(t, g.srv.Client(t).Do("POST", "/api/v1/auth/google/register", map[string]string{"credential": g.idp.Token(ada), "name": "Ada"}), http.StatusForbidden, "NOT_ALLOWED")
	wantPage(t, g.codeFlow(t, g.srv.Client(t), "/", ada), http.StatusForbidden, "Sign-up is closed")
	g.wantCounts(t, 0, 0)
	// An account an administrator created signs in with Google.
	if out, code := g.srv.CLI(t, "", "user", "create", "--email", "ada@example.com", "--name", "Ada"); code != 0 {
		t.Fatalf("user create: %s", out)
	}
	if r := g.signIn(g.srv.Client(t), g.idp.Token(ada)); r.Status != http.StatusOK {
		t.Fatalf("admin-created user: %d %s", r.Status, r.Body)
	}
}

func TestGoogleSignIn_AllowlistOnEveryPath(t *testing.T) {
	g := startGoogle(t, map[string]string{"TORII_ALLOWED_EMAILS": "@example.com"})
	outsider := devidp.User{Email: "eve@elsewhere.org", Name: "Eve", EmailVerified: true}
	g.wantRejected(t, g.signIn(g.srv.Client(t), g.idp.Token(outsider)), http.StatusForbidden, "NOT_ALLOWED")
	wantPage(t, g.codeFlow(t, g.srv.Client(t), "/", outsider), http.StatusForbidden, "not allowed")
	wantPage(t, redirectPost(g.srv.Client(t), g.idp.Token(outsider), "t", "t"), http.StatusForbidden, "not allowed")
	wantError(t, g.srv.Client(t).Do("POST", "/api/v1/auth/google/register", map[string]string{"credential": g.idp.Token(outsider), "name": "Eve"}), http.StatusForbidden, "NOT_ALLOWED")
	g.wantCounts(t, 0, 0)
	if r := g.signIn(g.srv.Client(t), g.idp.Token(ada)); r.Status != http.StatusCreated {
		t.Fatalf("allowed user: %d %s", r.Status, r.Body)
	}
}

func TestGoogleSignIn_InactiveUserRefusedOnEveryPath(t *testing.T) {
	g := startGoogle(t, nil)
	live := g.srv.Client(t)
	g.signIn(live, g.idp.Token(ada))
	if out, code := g.srv.CLI(t, "", "user", "set-status", "ada@example.com", "inactive"); code != 0 {
		t.Fatalf("set-status: %s", out)
	}
	g.clock.Advance(2 * time.Second) // the CLI's change reaches the server's cache
	wantError(t, live.Do("GET", "/api/v1/me", nil), http.StatusUnauthorized, "UNAUTHORIZED")
	g.wantRejected(t, g.signIn(g.srv.Client(t), g.idp.Token(ada)), http.StatusForbidden, "USER_INACTIVE")
	wantPage(t, g.codeFlow(t, g.srv.Client(t), "/", ada), http.StatusForbidden, "disabled")
	wantPage(t, redirectPost(g.srv.Client(t), g.idp.Token(ada), "t", "t"), http.StatusForbidden, "disabled")
	g.wantCounts(t, 1, 1)
}

func TestGoogleSignIn_AdminEmailsBootstrap(t *testing.T) {
	g := startGoogle(t, map[string]string{"TORII_ADMIN_EMAILS": "ada@example.com"})
	c := g.srv.Client(t)
	g.signIn(c, g.idp.Token(ada))
	if roles := me(t, c)["roles"].([]any); len(roles) != 1 || roles[0] != "admin" {
		t.Fatalf("roles = %v", roles)
	}
}

func TestGoogleSignIn_AuditRecordsSignInsFailuresAndLinks(t *testing.T) {
	g := startGoogle(t, nil)
	g.signIn(g.srv.Client(t), g.idp.Token(ada))
	g.signIn(g.srv.Client(t), g.idp.Token(ada))
	g.signIn(g.srv.Client(t), g.idp.Sign(g.claims(ada), tamperSignature))
	c := g.srv.Client(t)
	registerUser(t, c, "ann@example.com", "Ann")
	c.Do("POST", "/api/v1/me/identities", map[string]string{"credential": g.idp.Token(grace)})
	count := map[string]int{}
	events, err := g.store(t).ListAudit(t.Context(), torii.AuditFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		count[e.Event]++
		if e.Event == torii.AuditSignInFailure && e.Detail["reason"] != "UNAUTHORIZED" {
			t.Errorf("failure detail: %v", e.Detail)
		}
	}
	// Ada's two Google sign-ins (the first registers her) and Ann's
	// password registration, which signs her in, each write signin.success.
	want := map[string]int{"register": 2, "signin.success": 3, "signin.failure": 1, "link": 1}
	for k, v := range want {
		if count[k] != v {
			t.Errorf("%d %s events, want %d (all: %v)", count[k], k, v, count)
		}
	}
}
