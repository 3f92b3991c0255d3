package oidcop_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/service"
)

// TestOP_ToriiRules checks that torii's own rules hold at every step of
// "Sign in with torii": who may enter (a clear page otherwise), consent,
// and which changes end an app's access at once.
func TestOP_ToriiRules(t *testing.T) {
	cases := []struct {
		name string
		run  func(t *testing.T, p *provider)
	}{
		{"InactiveUser_GetsAClearPage", inactiveGetsPage},
		{"UserOutsideClientGroups_GetsAClearPage", outsideGroupGetsPage},
		{"Consent_AskedOnceThenRemembered", consentRemembered},
		{"Consent_DeniedAnswersAccessDenied", consentDenied},
		{"Deactivation_RevokesRefreshTokens", deactivationRevokes},
		{"GroupRemoval_RevokesRefreshTokensForEveryClient", groupRemovalRevokes},
		{"TokensAudited", tokensAudited},
		{"ClientGroupsNarrowed_RevokesTokensOfThoseLeftOut", clientGroupsNarrowed},
	}
	backends(t, func(t *testing.T, p *provider) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) { c.run(t, p) })
		}
	})
}

// The allowlist is the database's: its cases run on servers of their own,
// since a server's cached allowlist would see another case's entry.
func TestOP_ToriiRules_NotAllowedUserGetsAClearPage(t *testing.T) {
	backends(t, notAllowedGetsPage)
}

func TestOP_ToriiRules_AllowlistRemovalRevokesRefreshTokens(t *testing.T) {
	backends(t, allowlistRemovalRevokes)
}

// wantPage checks that the authorization stops at a torii page with status
// and text, never redirecting to the client.
func wantPage(t *testing.T, p *provider, b *browser, c rp, status int, text string) {
	t.Helper()
	final, r := b.follow(p.authorizeURL(c, newPKCE("pg"), nil))
	if final != nil || r.status != status || !strings.Contains(r.body, text) || !strings.Contains(r.header.Get("Content-Type"), "text/html") {
		t.Errorf("want a %d page saying %q; got final %v, %d %.300s", status, text, final, r.status, r.body)
	}
}

func inactiveGetsPage(t *testing.T, p *provider) {
	c, b, u := signedInTrusted(t, p)
	pk := newPKCE("in")
	p.codeFor(t, b, c, pk, nil)
	// Deactivated: the session dies with it, so sign-in is asked first;
	// a session on a stale cache still gets the page.
	if _, err := p.svc.SetUserStatus(context.Background(), u.ID, torii.StatusInactive, service.CLI); err != nil {
		t.Fatal(err)
	}
	final, r := b.follow(p.authorizeURL(c, newPKCE("in"), nil))
	if final != nil || !(strings.Contains(r.url, "/login") || strings.Contains(r.body, "disabled")) {
		t.Errorf("inactive user: final %v, page %s %d", final, r.url, r.status)
	}
	form := url.Values{"email": {u.Email}, "password": {password}}
	if resp := b.do("POST", p.srv.URL+"/login", "application/x-www-form-urlencoded", form.Encode()); resp.status == http.StatusSeeOther {
		t.Errorf("an inactive user signed in")
	}
}

func outsideGroupGetsPage(t *testing.T, p *provider) {
	g, err := p.svc.CreateGroup(context.Background(), "insiders-"+strings.ToLower(t.Name()[len(t.Name())-6:]), "", service.CLI)
	if err != nil {
		t.Fatal(err)
	}
	c := p.client(t, service.ClientInput{Trusted: true, Groups: []string{g.Name}})
	b, u := p.user(t, nextEmail(t))
	wantPage(t, p, b, c, http.StatusForbidden, "members of certain groups")
	if err := p.st.SetGroupMember(context.Background(), torii.GroupMember{GroupID: g.ID, UserID: u.ID, Role: torii.GroupRoleMember}); err != nil {
		t.Fatal(err)
	}
	p.codeFor(t, b, c, newPKCE("og"), nil)
}

func notAllowedGetsPage(t *testing.T, p *provider) {
	c := p.client(t, service.ClientInput{Trusted: true})
	b, u := p.user(t, nextEmail(t))
	// The allowlist is the server's: add an entry that does not admit u.
	e, err := p.svc.AddAllowlist(context.Background(), "@allowed.example.org", service.CLI)
	if err != nil {
		t.Fatal(err)
	}
	defer p.svc.RemoveAllowlist(context.Background(), e.ID, service.CLI)
	final, r := b.follow(p.authorizeURL(c, newPKCE("na"), nil))
	if final != nil || r.status < 400 {
		t.Errorf("user %s outside the allowlist: final %v, %d %s %.300s", u.Email, final, r.status, r.url, r.body)
	}
}

func consentRemembered(t *testing.T, p *provider) {
	c := p.client(t, service.ClientInput{Name: "Grafana"})
	b, u := p.user(t, nextEmail(t))
	final, r := b.follow(p.authorizeURL(c, newPKCE("cs"), map[string]string{"scope": "openid email groups"}))
	if final != nil || !strings.Contains(r.url, "/oauth2/consent?") || !strings.Contains(r.body, "Grafana") || !strings.Contains(r.body, "Your email address") {
		t.Fatalf("consent page: final %v, %s %.300s", final, r.url, r.body)
	}
	cu, _ := url.Parse(r.url)
	resp := b.do("POST", p.srv.URL+"/oauth2/consent", "application/x-www-form-urlencoded",
		url.Values{"id": {cu.Query().Get("id")}, "decision": {"approve"}}.Encode())
	m := metaRefresh.FindStringSubmatch(resp.body)
	if m == nil {
		t.Fatalf("after approving: %d %.300s", resp.status, resp.body)
	}
	final, _ = b.follow(htmlUnescape(m[1]))
	if final == nil || final.Query().Get("code") == "" {
		t.Fatalf("after approving: %v", final)
	}
	// Remembered: the next sign-in goes straight through; a wider scope
	// asks again.
	p.codeFor(t, b, c, newPKCE("cs"), map[string]string{"scope": "openid email"})
	if final, _ := b.follow(p.authorizeURL(c, newPKCE("cs"), map[string]string{"scope": "openid email profile"})); final != nil {
		t.Errorf("a wider scope did not ask again: %v", final)
	}
	if _, err := p.st.OAuthConsent(context.Background(), u.ID, c.id); err != nil {
		t.Errorf("consent not stored: %v", err)
	}
	events, _ := p.st.ListAudit(context.Background(), torii.AuditFilter{UserID: &u.ID, Event: torii.AuditOAuthConsent})
	if len(events) != 1 {
		t.Errorf("oauth.consent events: %d, want 1", len(events))
	}
}

func consentDenied(t *testing.T, p *provider) {
	c := p.client(t, service.ClientInput{})
	b, _ := p.user(t, nextEmail(t))
	_, r := b.follow(p.authorizeURL(c, newPKCE("cd"), nil))
	cu, _ := url.Parse(r.url)
	resp := b.do("POST", p.srv.URL+"/oauth2/consent", "application/x-www-form-urlencoded",
		url.Values{"id": {cu.Query().Get("id")}, "decision": {"deny"}}.Encode())
	loc, _ := url.Parse(resp.header.Get("Location"))
	if resp.status != http.StatusFound || loc == nil || loc.Query().Get("error") != "access_denied" || loc.Query().Get("state") != "st-123" {
		t.Errorf("denied consent: %d %s", resp.status, resp.header.Get("Location"))
	}
}

func deactivationRevokes(t *testing.T, p *provider) {
	c, b, u := signedInTrusted(t, p)
	tok := offlineTokens(t, p, c, b)
	if _, err := p.svc.SetUserStatus(context.Background(), u.ID, torii.StatusInactive, service.CLI); err != nil {
		t.Fatal(err)
	}
	if st, a := p.token(t, c, refreshGrant(tok.RefreshToken)); st != 400 || a.Error != "invalid_grant" {
		t.Errorf("refresh after deactivation: %d %+v", st, a)
	}
	if st, _ := p.userinfo(t, "GET header", tok.AccessToken); st == 200 {
		t.Error("userinfo after deactivation answered")
	}
}

func groupRemovalRevokes(t *testing.T, p *provider) {
	ctx := context.Background()
	c, b, u := signedInTrusted(t, p)
	other := p.client(t, service.ClientInput{Trusted: true})
	g, err := p.svc.CreateGroup(ctx, "team-"+strings.ToLower(t.Name()[len(t.Name())-8:]), "", service.CLI)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.st.SetGroupMember(ctx, torii.GroupMember{GroupID: g.ID, UserID: u.ID, Role: torii.GroupRoleMember}); err != nil {
		t.Fatal(err)
	}
	t1, t2 := offlineTokens(t, p, c, b), offlineTokens(t, p, other, b)
	admin := service.Principal{User: torii.User{ID: 0, Email: "cli"}, Roles: []string{torii.RoleAdmin}}
	if err := p.svc.RemoveGroupMember(ctx, admin, g.ID, u.ID, service.Meta{}); err != nil {
		t.Fatal(err)
	}
	for _, tok := range []tokenAnswer{t1, t2} {
		if st, _ := p.token(t, c, refreshGrant(tok.RefreshToken)); st == 200 {
			t.Error("a refresh token survived the group removal")
		}
	}
}

func allowlistRemovalRevokes(t *testing.T, p *provider) {
	ctx := context.Background()
	c, b, u := signedInTrusted(t, p)
	tok := offlineTokens(t, p, c, b)
	// The first allowlist entry shuts out everyone else (u included).
	e, err := p.svc.AddAllowlist(ctx, "someone-else@example.org", service.CLI)
	if err != nil {
		t.Fatal(err)
	}
	defer p.svc.RemoveAllowlist(ctx, e.ID, service.CLI)
	if st, _ := p.token(t, c, refreshGrant(tok.RefreshToken)); st == 200 {
		t.Errorf("refresh token of %s survived the allowlist change", u.Email)
	}
	n, err := p.st.OAuthTokenClients(ctx, u.ID, time.Now())
	if err != nil || len(n) != 0 {
		t.Errorf("live tokens after the allowlist change: %v %v", n, err)
	}
}

func tokensAudited(t *testing.T, p *provider) {
	c, b, u := signedInTrusted(t, p)
	tok := offlineTokens(t, p, c, b)
	p.token(t, c, refreshGrant(tok.RefreshToken))
	events, err := p.st.ListAudit(context.Background(), torii.AuditFilter{UserID: &u.ID, Event: torii.AuditOAuthToken})
	if err != nil || len(events) != 2 {
		t.Errorf("oauth.token events: %d (%v), want 2 (code, refresh)", len(events), err)
	}
}

// Anyone may start an authorization request, and each stores a row: they
// are bounded per client IP (429 with Retry-After beyond). The limiter's
// window slides, so the bound is checked as "refused before twice the
// limit", whatever the test's timing.
func TestOP_AuthorizeBoundedPerIP(t *testing.T) {
	p := startProvider(t, nil)
	c := p.client(t, service.ClientInput{Trusted: true})
	b := p.browser(t)
	u := p.authorizeURL(c, newPKCE("rl"), nil)
	for i := range 240 {
		r := b.do("GET", u, "", "")
		switch {
		case r.status == http.StatusTooManyRequests:
			if i < 120 || r.header.Get("Retry-After") == "" {
				t.Errorf("refused at request %d, Retry-After %q", i+1, r.header.Get("Retry-After"))
			}
			return
		case r.status != http.StatusFound:
			t.Fatalf("request %d: %d", i+1, r.status)
		}
	}
	t.Error("240 authorization requests from one IP within a minute were all accepted")
}

func clientGroupsNarrowed(t *testing.T, p *provider) {
	ctx := context.Background()
	suffix := strings.ToLower(t.Name()[len(t.Name())-10:])
	g1, err := p.svc.CreateGroup(ctx, "first-"+suffix, "", service.CLI)
	if err != nil {
		t.Fatal(err)
	}
	g2, err := p.svc.CreateGroup(ctx, "second-"+suffix, "", service.CLI)
	if err != nil {
		t.Fatal(err)
	}
	c := p.client(t, service.ClientInput{Trusted: true, Groups: []string{g1.Name}})
	b, u := p.user(t, nextEmail(t))
	if err := p.st.SetGroupMember(ctx, torii.GroupMember{GroupID: g1.ID, UserID: u.ID, Role: torii.GroupRoleMember}); err != nil {
		t.Fatal(err)
	}
	tok := offlineTokens(t, p, c, b)
	groups := []string{g2.Name}
	if _, err := p.svc.UpdateClient(ctx, c.id, service.ClientPatch{Groups: &groups}, service.CLI); err != nil {
		t.Fatal(err)
	}
	if st, _ := p.token(t, c, refreshGrant(tok.RefreshToken)); st == 200 {
		t.Error("a user outside the client's new groups refreshed")
	}
	if clients, _ := p.st.OAuthTokenClients(ctx, u.ID, time.Now()); len(clients) != 0 {
		t.Errorf("tokens left for %v", clients)
	}
}
