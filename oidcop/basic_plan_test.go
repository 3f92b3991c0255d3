package oidcop_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/app"
	"github.com/toriihq/torii/service"
	"github.com/toriihq/torii/testserver"
)

// TestOP_BasicPlan is a Go port of the modules of the OpenID Foundation's
// oidcc-basic-certification-test-plan that apply to a code-flow OP with
// PKCE. Each case names its module; the cases share one provider per
// backend and make their own users and clients.
func TestOP_BasicPlan(t *testing.T) {
	cases := []struct {
		module string
		run    func(t *testing.T, p *provider)
	}{
		{"oidcc-server", basicServer},
		{"oidcc-idtoken-signature", idTokenSignature},
		{"oidcc-ensure-request-without-nonce-succeeds-for-code-flow", withoutNonce},
		{"oidcc-response-type-missing", responseTypeMissing},
		{"oidcc-ensure-registered-redirect-uri", unregisteredRedirect},
		{"oidcc-ensure-redirect-uri-in-token-request-matches", mismatchedRedirectAtToken},
		{"oidcc-codereuse", codeReuse},
		{"oidcc-server-client-secret-wrong", wrongSecret},
		{"oidcc-server-client-secret-post", secretPost},
		{"pkce-wrong-verifier", wrongVerifier},
		{"pkce-required-for-public-clients", publicNeedsPKCE},
		{"pkce-plain-refused", plainRefused},
		{"oidcc-prompt-none-not-logged-in", promptNoneNotLoggedIn},
		{"oidcc-prompt-none-logged-in", promptNoneLoggedIn},
		{"oidcc-prompt-login", promptLogin},
		{"oidcc-max-age-10000", maxAge10000},
		{"oidcc-id-token-hint", idTokenHint},
		{"oidcc-userinfo-get-post-header-body", userinfoWays},
		{"oidcc-scope-profile-email-groups", scopesAndClaims},
		{"oidcc-refresh-token", refreshRotates},
		{"refresh-token-reuse-revokes-grant", refreshReuse},
		{"code-expires-within-a-minute", codeBoundToClient},
		{"revocation-and-introspection", revokeAndIntrospect},
		{"end-session-post-logout-redirect", endSession},
	}
	backends(t, func(t *testing.T, p *provider) {
		for _, c := range cases {
			t.Run(c.module, func(t *testing.T) { c.run(t, p) })
		}
	})
}

func nextEmail(t *testing.T) string {
	return strings.ToLower(strings.NewReplacer("/", ".", "_", "-").Replace(t.Name())) + "@example.com"
}

// signedInTrusted returns a trusted client and a signed-in user.
func signedInTrusted(t *testing.T, p *provider) (rp, *browser, torii.User) {
	c := p.client(t, service.ClientInput{Trusted: true})
	b, u := p.user(t, nextEmail(t))
	return c, b, u
}

func basicServer(t *testing.T, p *provider) {
	r := p.browser(t).do("GET", p.srv.URL+"/.well-known/openid-configuration", "", "")
	if r.header.Get("Access-Control-Allow-Origin") != "*" || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Errorf("discovery headers: %v", r.header)
	}
	var d map[string]any
	if err := json.Unmarshal([]byte(r.body), &d); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"issuer": p.srv.URL, "authorization_endpoint": p.srv.URL + "/oauth2/authorize", "token_endpoint": p.srv.URL + "/oauth2/token",
		"userinfo_endpoint": p.srv.URL + "/oauth2/userinfo", "jwks_uri": p.srv.URL + "/.well-known/jwks.json",
		"revocation_endpoint": p.srv.URL + "/oauth2/revoke", "introspection_endpoint": p.srv.URL + "/oauth2/introspect",
		"end_session_endpoint": p.srv.URL + "/oauth2/end_session",
	}
	for k, v := range want {
		if d[k] != v {
			t.Errorf("%s = %v, want %s", k, d[k], v)
		}
	}
	for k, v := range map[string][]string{
		"response_types_supported": {"code"}, "code_challenge_methods_supported": {"S256"},
		"grant_types_supported": {"authorization_code", "refresh_token"}, "id_token_signing_alg_values_supported": {"RS256"},
		"scopes_supported": {"openid", "profile", "email", "groups", "offline_access"},
	} {
		got, _ := json.Marshal(d[k])
		exp, _ := json.Marshal(v)
		if string(got) != string(exp) {
			t.Errorf("%s = %s, want %s", k, got, exp)
		}
	}
}

func idTokenSignature(t *testing.T, p *provider) {
	c, b, _ := signedInTrusted(t, p)
	pk := newPKCE("sig")
	_, tok := p.token(t, c, codeGrant(p.codeFor(t, b, c, pk, nil), pk))
	jws, err := jose.ParseSigned(tok.IDToken, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal([]byte(p.browser(t).do("GET", p.srv.URL+"/.well-known/jwks.json", "", "").body), &set); err != nil {
		t.Fatal(err)
	}
	keys := set.Key(jws.Signatures[0].Header.KeyID)
	if len(keys) != 1 {
		t.Fatalf("kid %q is not in torii's JWKS", jws.Signatures[0].Header.KeyID)
	}
	if _, err := jws.Verify(keys[0].Key); err != nil {
		t.Errorf("signature: %v", err)
	}
	// A tampered token fails the same check.
	parts := strings.Split(tok.IDToken, ".")
	parts[1] = parts[1][:len(parts[1])-2] + "AA"
	if _, err := p.verifier(t, c).Verify(context.Background(), strings.Join(parts, ".")); err == nil {
		t.Error("a tampered ID token verified")
	}
}

func withoutNonce(t *testing.T, p *provider) {
	c, b, _ := signedInTrusted(t, p)
	pk := newPKCE("nn")
	st, tok := p.token(t, c, codeGrant(p.codeFor(t, b, c, pk, map[string]string{"nonce": ""}), pk))
	if st != 200 {
		t.Fatalf("token: %d %+v", st, tok)
	}
	idt, err := p.verifier(t, c).Verify(context.Background(), tok.IDToken)
	if err != nil || idt.Nonce != "" {
		t.Errorf("verify %v, nonce %q", err, idt.Nonce)
	}
}

func responseTypeMissing(t *testing.T, p *provider) {
	c, b, _ := signedInTrusted(t, p)
	// The module accepts an error shown by the OP or sent to the client;
	// never a code.
	for _, rt := range []string{"", "id_token", "token", "code id_token"} {
		final, r := b.follow(p.authorizeURL(c, newPKCE("rt"), map[string]string{"response_type": rt}))
		switch {
		case final != nil && (final.Query().Get("error") == "" || final.Query().Get("code") != ""):
			t.Errorf("response_type %q: redirect %v, want an error", rt, final)
		case final == nil && r.status < 400:
			t.Errorf("response_type %q: page %d, want an error", rt, r.status)
		}
	}
}

// An unregistered or altered redirect_uri gets an error page from torii,
// never a redirect (the code or error would go to a stranger).
func unregisteredRedirect(t *testing.T, p *provider) {
	c, b, _ := signedInTrusted(t, p)
	for _, uri := range []string{"https://evil.example.com/callback", redirectURI + "/x", redirectURI + "?a=1", "http://127.0.0.1:2/callback"} {
		final, r := b.follow(p.authorizeURL(c, newPKCE("ru"), map[string]string{"redirect_uri": uri}))
		if final != nil || r.status < 400 {
			t.Errorf("redirect_uri %s: sent to %v (status %d)", uri, final, r.status)
		}
	}
}

func mismatchedRedirectAtToken(t *testing.T, p *provider) {
	c, b, _ := signedInTrusted(t, p)
	pk := newPKCE("mr")
	form := codeGrant(p.codeFor(t, b, c, pk, nil), pk)
	form.Set("redirect_uri", "http://127.0.0.1:1/other")
	if st, tok := p.token(t, c, form); st != 400 || tok.Error != "invalid_grant" {
		t.Errorf("token with another redirect_uri: %d %+v", st, tok)
	}
}

// A code works once; its second use fails and revokes what the first
// issued.
func codeReuse(t *testing.T, p *provider) {
	c, b, _ := signedInTrusted(t, p)
	pk := newPKCE("cr")
	code := p.codeFor(t, b, c, pk, map[string]string{"scope": "openid offline_access"})
	st, first := p.token(t, c, codeGrant(code, pk))
	if st != 200 || first.RefreshToken == "" {
		t.Fatalf("first exchange: %d %+v", st, first)
	}
	if st, tok := p.token(t, c, codeGrant(code, pk)); st != 400 || tok.Error != "invalid_grant" {
		t.Errorf("second exchange: %d %+v", st, tok)
	}
	if st, _ := p.userinfo(t, "GET header", first.AccessToken); st != http.StatusUnauthorized && st != http.StatusForbidden {
		t.Errorf("access token of a reused code: userinfo %d, want 401", st)
	}
	if st, tok := p.token(t, c, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {first.RefreshToken}}); st != 400 {
		t.Errorf("refresh token of a reused code: %d %+v", st, tok)
	}
}

func wrongSecret(t *testing.T, p *provider) {
	c, b, _ := signedInTrusted(t, p)
	pk := newPKCE("ws")
	code := p.codeFor(t, b, c, pk, nil)
	bad := c
	bad.secret = "not-the-secret"
	if st, tok := p.token(t, bad, codeGrant(code, pk)); st != 401 && st != 400 || tok.Error != "invalid_client" {
		t.Errorf("wrong secret: %d %+v", st, tok)
	}
}

func secretPost(t *testing.T, p *provider) {
	c, b, _ := signedInTrusted(t, p)
	pk := newPKCE("sp")
	form := codeGrant(p.codeFor(t, b, c, pk, nil), pk)
	form.Set("client_id", c.id)
	form.Set("client_secret", c.secret)
	if st, tok := p.token(t, rp{id: c.id}, form); st != 200 || tok.IDToken == "" {
		t.Errorf("client_secret_post: %d %+v", st, tok)
	}
}

func wrongVerifier(t *testing.T, p *provider) {
	c, b, _ := signedInTrusted(t, p)
	pk := newPKCE("wv")
	code := p.codeFor(t, b, c, pk, nil)
	if st, tok := p.token(t, c, codeGrant(code, newPKCE("other"))); st != 400 || tok.Error != "invalid_grant" {
		t.Errorf("wrong verifier: %d %+v", st, tok)
	}
	if st, tok := p.token(t, c, codeGrant(code, pkce{})); st != 400 {
		t.Errorf("no verifier: %d %+v", st, tok)
	}
}

func publicNeedsPKCE(t *testing.T, p *provider) {
	c := p.client(t, service.ClientInput{Trusted: true, Public: true})
	b, _ := p.user(t, nextEmail(t))
	final, _ := b.follow(p.authorizeURL(c, newPKCE("pub"), map[string]string{"code_challenge": "", "code_challenge_method": ""}))
	if final == nil || final.Query().Get("error") != "invalid_request" {
		t.Errorf("public client without PKCE: %v", final)
	}
	pk := newPKCE("pub")
	code := p.codeFor(t, b, c, pk, nil)
	if st, tok := p.token(t, c, codeGrant(code, pk)); st != 200 || tok.IDToken == "" {
		t.Errorf("public client with PKCE: %d %+v", st, tok)
	}
}

func plainRefused(t *testing.T, p *provider) {
	c, b, _ := signedInTrusted(t, p)
	final, _ := b.follow(p.authorizeURL(c, pkce{challenge: strings.Repeat("p", 43)}, map[string]string{"code_challenge_method": "plain"}))
	if final == nil || final.Query().Get("error") != "invalid_request" {
		t.Errorf("plain PKCE: %v", final)
	}
}

func promptNoneNotLoggedIn(t *testing.T, p *provider) {
	c := p.client(t, service.ClientInput{Trusted: true})
	final, _ := p.browser(t).follow(p.authorizeURL(c, newPKCE("pn"), map[string]string{"prompt": "none"}))
	if final == nil || final.Query().Get("error") != "login_required" || final.Query().Get("state") != "st-123" {
		t.Errorf("prompt=none without a session: %v", final)
	}
}

func promptNoneLoggedIn(t *testing.T, p *provider) {
	c, b, _ := signedInTrusted(t, p)
	p.codeFor(t, b, c, newPKCE("pl"), map[string]string{"prompt": "none"})
	untrusted := p.client(t, service.ClientInput{})
	final, _ := b.follow(p.authorizeURL(untrusted, newPKCE("pl"), map[string]string{"prompt": "none"}))
	if final == nil || final.Query().Get("error") != "consent_required" {
		t.Errorf("prompt=none before consent: %v", final)
	}
}

// wantLoginPage checks that an authorization stops at torii's sign-in
// form (a fresh sign-in is due), and signs in there, returning the code.
func wantFreshLogin(t *testing.T, p *provider, b *browser, c rp, u torii.User, extra map[string]string) {
	t.Helper()
	final, r := b.follow(p.authorizeURL(c, newPKCE("fl"), extra))
	if final != nil || !strings.Contains(r.url, "/login?") || !strings.Contains(r.body, `action="/login"`) {
		t.Fatalf("%v: not sent to the sign-in form (final %v, page %s)", extra, final, r.url)
	}
	next := url.Values{}
	lu, _ := url.Parse(r.url)
	next.Set("next", lu.Query().Get("next"))
	next.Set("email", u.Email)
	next.Set("password", password)
	resp := b.do("POST", p.srv.URL+"/login", "application/x-www-form-urlencoded", next.Encode())
	if resp.status != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", resp.status)
	}
	loc := resp.header.Get("Location")
	final, r = b.follow(p.srv.URL + loc)
	if final == nil || final.Query().Get("code") == "" {
		t.Fatalf("after a fresh sign-in: %v %d %.200s", final, r.status, r.body)
	}
}

func promptLogin(t *testing.T, p *provider) {
	c, b, u := signedInTrusted(t, p)
	wantFreshLogin(t, p, b, c, u, map[string]string{"prompt": "login"})
}

func maxAge10000(t *testing.T, p *provider) {
	c, b, _ := signedInTrusted(t, p)
	p.codeFor(t, b, c, newPKCE("ma"), map[string]string{"max_age": "10000"})
}

func idTokenHint(t *testing.T, p *provider) {
	c, b, u := signedInTrusted(t, p)
	pk := newPKCE("ih")
	_, tok := p.token(t, c, codeGrant(p.codeFor(t, b, c, pk, nil), pk))
	// The same user: prompt=none succeeds.
	p.codeFor(t, b, c, newPKCE("ih"), map[string]string{"prompt": "none", "id_token_hint": tok.IDToken})
	// Another user's browser: the hint names someone else.
	other, _ := p.user(t, "other-"+nextEmail(t))
	final, _ := other.follow(p.authorizeURL(c, newPKCE("ih"), map[string]string{"prompt": "none", "id_token_hint": tok.IDToken}))
	if final == nil || final.Query().Get("error") != "login_required" {
		t.Errorf("hint for %d in another user's browser: %v", u.ID, final)
	}
}

func userinfoWays(t *testing.T, p *provider) {
	c, b, u := signedInTrusted(t, p)
	pk := newPKCE("ui")
	_, tok := p.token(t, c, codeGrant(p.codeFor(t, b, c, pk, nil), pk))
	for _, how := range []string{"GET header", "POST header", "POST body"} {
		st, m := p.userinfo(t, how, tok.AccessToken)
		if st != 200 || m["sub"] != sub(u) || m["email"] != u.Email {
			t.Errorf("%s: %d %v", how, st, m)
		}
	}
	if st, m := p.userinfo(t, "GET header", tok.IDToken); st < 400 || m["sub"] != nil {
		t.Errorf("an ID token as access token: %d", st)
	}
}

func scopesAndClaims(t *testing.T, p *provider) {
	c, b, u := signedInTrusted(t, p)
	g, err := p.st.CreateGroup(context.Background(), torii.Group{Name: "ops-" + sub(u), CreatedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.st.SetGroupMember(context.Background(), torii.GroupMember{GroupID: g.ID, UserID: u.ID, Role: torii.GroupRoleMember}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		scope      string
		want, none []string
	}{
		{"openid", nil, []string{"email", "name", "groups"}},
		{"openid email", []string{"email", "email_verified"}, []string{"name", "groups"}},
		{"openid profile", []string{"name"}, []string{"email", "groups"}},
		{"openid groups", []string{"groups", "roles"}, []string{"email", "name"}},
		{"groups email openid profile", []string{"email", "name", "groups"}, nil},
	}
	for _, cs := range cases {
		pk := newPKCE("sc")
		_, tok := p.token(t, c, codeGrant(p.codeFor(t, b, c, pk, map[string]string{"scope": cs.scope}), pk))
		idt, err := p.verifier(t, c).Verify(context.Background(), tok.IDToken)
		if err != nil {
			t.Fatal(err)
		}
		var id map[string]any
		_ = idt.Claims(&id)
		_, ui := p.userinfo(t, "GET header", tok.AccessToken)
		for what, m := range map[string]map[string]any{"ID token": id, "userinfo": ui} {
			for _, k := range cs.want {
				if _, ok := m[k]; !ok {
					t.Errorf("scope %q: %s lacks %s: %v", cs.scope, what, k, m)
				}
			}
			for _, k := range cs.none {
				if _, ok := m[k]; ok {
					t.Errorf("scope %q: %s has %s", cs.scope, what, k)
				}
			}
			if gs, ok := m["groups"].([]any); ok && !slices.Contains(gs, any(g.Name)) {
				t.Errorf("scope %q: %s groups %v lack %s", cs.scope, what, gs, g.Name)
			}
		}
	}
}

func refreshGrant(rt string) url.Values {
	return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}
}

func offlineTokens(t *testing.T, p *provider, c rp, b *browser) tokenAnswer {
	t.Helper()
	pk := newPKCE("rf")
	st, tok := p.token(t, c, codeGrant(p.codeFor(t, b, c, pk, map[string]string{"scope": "openid email offline_access"}), pk))
	if st != 200 || tok.RefreshToken == "" {
		t.Fatalf("offline_access: %d %+v", st, tok)
	}
	return tok
}

func refreshRotates(t *testing.T, p *provider) {
	c, b, u := signedInTrusted(t, p)
	tok := offlineTokens(t, p, c, b)
	st, next := p.token(t, c, refreshGrant(tok.RefreshToken))
	if st != 200 || next.RefreshToken == "" || next.RefreshToken == tok.RefreshToken || next.IDToken == "" {
		t.Fatalf("refresh: %d %+v", st, next)
	}
	idt, err := p.verifier(t, c).Verify(context.Background(), next.IDToken)
	if err != nil || idt.Subject != sub(u) {
		t.Errorf("refreshed ID token: %v", err)
	}
	if st, _ := p.userinfo(t, "GET header", next.AccessToken); st != 200 {
		t.Errorf("refreshed access token: userinfo %d", st)
	}
	other := p.client(t, service.ClientInput{Trusted: true})
	if st, _ := p.token(t, other, refreshGrant(next.RefreshToken)); st == 200 {
		t.Error("another client redeemed the refresh token")
	}
}

func refreshReuse(t *testing.T, p *provider) {
	c, b, _ := signedInTrusted(t, p)
	tok := offlineTokens(t, p, c, b)
	_, next := p.token(t, c, refreshGrant(tok.RefreshToken))
	if st, a := p.token(t, c, refreshGrant(tok.RefreshToken)); st != 400 || a.Error != "invalid_grant" {
		t.Errorf("reused refresh token: %d %+v", st, a)
	}
	if st, _ := p.token(t, c, refreshGrant(next.RefreshToken)); st != 400 {
		t.Errorf("the reused token's successor still works: %d", st)
	}
	events, _ := p.st.ListAudit(context.Background(), torii.AuditFilter{Event: torii.AuditTokenReuse})
	if len(events) == 0 {
		t.Error("no token.reuse audit event")
	}
}

// A code is bound to its client: another client cannot redeem it (and
// the attempt spends it).
func codeBoundToClient(t *testing.T, p *provider) {
	c, b, _ := signedInTrusted(t, p)
	other := p.client(t, service.ClientInput{Trusted: true})
	pk := newPKCE("cb")
	code := p.codeFor(t, b, c, pk, nil)
	if st, tok := p.token(t, other, codeGrant(code, pk)); st != 400 || tok.Error != "invalid_grant" {
		t.Errorf("another client's code: %d %+v", st, tok)
	}
	if service.OAuthCodeTTL > time.Minute {
		t.Errorf("codes live %s, more than a minute", service.OAuthCodeTTL)
	}
}

func revokeAndIntrospect(t *testing.T, p *provider) {
	c, b, u := signedInTrusted(t, p)
	tok := offlineTokens(t, p, c, b)
	post := func(path string, cl rp, form url.Values) (int, map[string]any) {
		req, _ := http.NewRequest("POST", p.srv.URL+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(cl.id, cl.secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	st, m := post("/oauth2/introspect", c, url.Values{"token": {tok.AccessToken}})
	if st != 200 || m["active"] != true || m["sub"] != sub(u) || m["client_id"] != c.id {
		t.Errorf("introspection: %d %v", st, m)
	}
	other := p.client(t, service.ClientInput{Trusted: true})
	if _, m := post("/oauth2/introspect", other, url.Values{"token": {tok.AccessToken}}); m["active"] != false {
		t.Errorf("another client introspected the token: %v", m)
	}
	// Introspection is for confidential clients: a public one (no
	// secret) is refused.
	pub := p.client(t, service.ClientInput{Trusted: true, Public: true})
	if st, m := post("/oauth2/introspect", pub, url.Values{"token": {tok.AccessToken}, "client_id": {pub.id}}); st == 200 && m["active"] == true {
		t.Errorf("a public client introspected: %d %v", st, m)
	}
	if st, _ := post("/oauth2/revoke", c, url.Values{"token": {tok.RefreshToken}, "token_type_hint": {"refresh_token"}}); st != 200 {
		t.Errorf("revoke: %d", st)
	}
	if _, m := post("/oauth2/introspect", c, url.Values{"token": {tok.AccessToken}}); m["active"] != false {
		t.Errorf("after revoking the refresh token its access token is %v", m)
	}
	if st, _ := p.token(t, c, refreshGrant(tok.RefreshToken)); st != 400 {
		t.Errorf("revoked refresh token: %d", st)
	}
	events, _ := p.st.ListAudit(context.Background(), torii.AuditFilter{Event: torii.AuditOAuthRevoke})
	if len(events) == 0 {
		t.Error("no oauth.revoke audit event")
	}
}

func endSession(t *testing.T, p *provider) {
	c := p.client(t, service.ClientInput{Trusted: true, PostLogoutURIs: []string{"http://127.0.0.1:1/bye"}})
	b, _ := p.user(t, nextEmail(t))
	pk := newPKCE("es")
	_, tok := p.token(t, c, codeGrant(p.codeFor(t, b, c, pk, nil), pk))
	// Without an id_token_hint nobody is signed out (a stranger's link).
	final, _ := b.follow(p.srv.URL + "/oauth2/end_session")
	if r := b.do("GET", p.srv.URL+"/api/v1/me", "", ""); r.status != http.StatusOK || final != nil {
		t.Errorf("end_session without a hint: session %d, sent to %v", r.status, final)
	}
	// An unregistered post_logout_redirect_uri is refused, no redirect.
	q := url.Values{"id_token_hint": {tok.IDToken}, "post_logout_redirect_uri": {"https://evil.example.com/"}}
	if final, _ := b.follow(p.srv.URL + "/oauth2/end_session?" + q.Encode()); final != nil {
		t.Errorf("unregistered post_logout_redirect_uri: sent to %v", final)
	}
	q.Set("post_logout_redirect_uri", "http://127.0.0.1:1/bye")
	q.Set("state", "s1")
	final, r := b.follow(p.srv.URL + "/oauth2/end_session?" + q.Encode())
	if final == nil || final.Path != "/bye" || final.Query().Get("state") != "s1" {
		t.Fatalf("end_session: %v %d %.200s", final, r.status, r.body)
	}
	if r := b.do("GET", p.srv.URL+"/api/v1/me", "", ""); r.status != http.StatusUnauthorized {
		t.Errorf("torii session after end_session: %d", r.status)
	}
}

// oidcc-max-age-1 on a server whose clock the test moves: a session
// signed in 2 s ago is too old for max_age=1, so the user signs in again.
func TestOP_BasicPlan_MaxAge1(t *testing.T) {
	for name, env := range map[string]func(t *testing.T) map[string]string{
		"sqlite": func(*testing.T) map[string]string { return nil },
		"postgres": func(t *testing.T) map[string]string {
			return map[string]string{"TORII_DATABASE": testserver.PostgresDatabase(t)}
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			clock := testserver.NewClock(time.Now())
			p := attach(t, testserver.Start(t, testserver.Options{Env: env(t), AppOptions: app.Options{Now: clock.Now}}))
			c, b, u := signedInTrusted(t, p)
			clock.Advance(2 * time.Second)
			wantFreshLogin(t, p, b, c, u, map[string]string{"max_age": "1"})
		})
	}
}
