package oidcop_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/service"
)

// consentID returns the request id of the consent page the browser
// stopped on, failing unless it is torii's consent page naming the app.
func consentID(t *testing.T, r response, app string) string {
	t.Helper()
	u, err := url.Parse(r.url)
	if err != nil || u.Path != "/oauth2/consent" || r.status != http.StatusOK ||
		!strings.Contains(r.body, app) || !strings.Contains(r.body, `id="consent-approve"`) {
		t.Fatalf("want the consent page for %s, got %s: %d %.400s", app, r.url, r.status, r.body)
	}
	return u.Query().Get("id")
}

// answerConsent posts the consent form and follows what comes after to the
// relying party.
func (p *provider) answerConsent(t *testing.T, b *browser, id, decision string) *url.URL {
	t.Helper()
	r := b.do("POST", p.srv.URL+"/oauth2/consent", "application/x-www-form-urlencoded",
		url.Values{"id": {id}, "decision": {decision}}.Encode())
	var next string
	switch {
	case r.status >= 300 && r.status < 400:
		next = r.header.Get("Location")
	case r.status == http.StatusOK && metaRefresh.MatchString(r.body):
		next = htmlUnescape(metaRefresh.FindStringSubmatch(r.body)[1])
	default:
		t.Fatalf("consent %s: %d %.400s", decision, r.status, r.body)
	}
	nu, err := url.Parse(next)
	if err != nil {
		t.Fatal(err)
	}
	if !nu.IsAbs() {
		nu, _ = url.Parse(p.srv.URL + next)
	}
	if !strings.HasPrefix(nu.String(), p.srv.URL) {
		return nu
	}
	final, fr := b.follow(nu.String())
	if final == nil {
		t.Fatalf("after consent %s the browser stopped at %s: %d %.300s", decision, fr.url, fr.status, fr.body)
	}
	return final
}

func auditCount(t *testing.T, p *provider, event string, userID int64) []torii.AuditEvent {
	t.Helper()
	evs, err := p.st.ListAudit(t.Context(), torii.AuditFilter{Event: event, UserID: &userID})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// TestConsent_AskedOnceRememberedAndRevocableFromAccount: an untrusted app
// gets the consent page naming it the first time; approving is audited
// (oauth.consent) and remembered, so the next sign-in goes straight back
// to the app; /account lists the app, and "Revoke access" revokes its
// tokens (userinfo refuses them) and the consent, so the app asks again.
func TestConsent_AskedOnceRememberedAndRevocableFromAccount(t *testing.T) {
	backends(t, func(t *testing.T, p *provider) {
		c := p.client(t, service.ClientInput{Name: "Metrics Board"})
		b, u := p.user(t, "ann@example.com")
		pk := newPKCE("c")

		final, r := b.follow(p.authorizeURL(c, pk, nil))
		if final != nil {
			t.Fatalf("an untrusted app got a code without consent: %s", final)
		}
		final = p.answerConsent(t, b, consentID(t, r, "Metrics Board"), "approve")
		code := final.Query().Get("code")
		if code == "" || final.Query().Get("state") != "st-123" {
			t.Fatalf("after approving: %s", final)
		}
		st, tok := p.token(t, c, codeGrant(code, pk))
		if st != http.StatusOK || tok.AccessToken == "" {
			t.Fatalf("token: %d %+v", st, tok)
		}
		if evs := auditCount(t, p, torii.AuditOAuthConsent, u.ID); len(evs) != 1 || evs[0].Detail["clientId"] != c.id {
			t.Fatalf("oauth.consent events: %+v", evs)
		}

		// Remembered: straight back to the app.
		p.codeFor(t, b, c, newPKCE("d"), nil)

		account := b.do("GET", p.srv.URL+"/account", "", "")
		if !strings.Contains(account.body, "Metrics Board") || !strings.Contains(account.body, `id="revoke-app-`+c.id+`"`) {
			t.Fatalf("/account does not list the app: %.2000s", account.body)
		}
		if st, _ := p.userinfo(t, "GET header", tok.AccessToken); st != http.StatusOK {
			t.Fatalf("userinfo before revoking: %d", st)
		}
		rv := b.do("POST", p.srv.URL+"/account/apps/revoke", "application/x-www-form-urlencoded", url.Values{"clientId": {c.id}}.Encode())
		if rv.status != http.StatusSeeOther || rv.header.Get("Location") != "/account?revoked-app=1" {
			t.Fatalf("revoke access: %d %s", rv.status, rv.header.Get("Location"))
		}
		if evs := auditCount(t, p, torii.AuditOAuthRevoke, u.ID); len(evs) != 1 || evs[0].Detail["reason"] != "user" {
			t.Fatalf("oauth.revoke events: %+v", evs)
		}
		if st, _ := p.userinfo(t, "GET header", tok.AccessToken); st == http.StatusOK {
			t.Fatal("the app's access token still works after revoke access")
		}
		if account := b.do("GET", p.srv.URL+"/account", "", ""); strings.Contains(account.body, `id="revoke-app-`+c.id+`"`) {
			t.Fatal("/account still lists the revoked app")
		}
		// Asked again.
		_, r = b.follow(p.authorizeURL(c, newPKCE("e"), nil))
		consentID(t, r, "Metrics Board")
		// Revoking an app one never signed in to is a 404 page.
		if rv := b.do("POST", p.srv.URL+"/account/apps/revoke", "application/x-www-form-urlencoded", url.Values{"clientId": {"nope"}}.Encode()); rv.status != http.StatusNotFound {
			t.Fatalf("revoke of an unknown app: %d", rv.status)
		}
	})
}

// TestConsent_CancelTellsTheAppAccessDenied: "Cancel" sends the browser to
// the app with error=access_denied and its state, and no code; nothing is
// remembered.
func TestConsent_CancelTellsTheAppAccessDenied(t *testing.T) {
	backends(t, func(t *testing.T, p *provider) {
		c := p.client(t, service.ClientInput{Name: "Metrics Board"})
		b, u := p.user(t, "ann@example.com")
		_, r := b.follow(p.authorizeURL(c, newPKCE("f"), nil))
		final := p.answerConsent(t, b, consentID(t, r, "Metrics Board"), "deny")
		if !strings.HasPrefix(final.String(), redirectURI) || final.Query().Get("error") != "access_denied" ||
			final.Query().Get("state") != "st-123" || final.Query().Has("code") {
			t.Fatalf("after Cancel the app got %s", final)
		}
		if _, err := p.st.OAuthConsent(t.Context(), u.ID, c.id); !torii.IsCode(err, torii.ENotFound) {
			t.Fatalf("a refused consent was stored: %v", err)
		}
		_, r = b.follow(p.authorizeURL(c, newPKCE("g"), nil))
		consentID(t, r, "Metrics Board")
	})
}

// TestConsent_TrustedAppSkipsThePageButIsListed: a trusted app gets its
// code without a consent page, and still shows on /account with "Revoke
// access".
func TestConsent_TrustedAppSkipsThePageButIsListed(t *testing.T) {
	backends(t, func(t *testing.T, p *provider) {
		c := p.client(t, service.ClientInput{Name: "Team Grafana", Trusted: true})
		b, _ := p.user(t, "ann@example.com")
		p.codeFor(t, b, c, newPKCE("h"), nil)
		account := b.do("GET", p.srv.URL+"/account", "", "")
		if !strings.Contains(account.body, "Team Grafana") || !strings.Contains(account.body, `id="revoke-app-`+c.id+`"`) {
			t.Fatalf("/account does not list the trusted app: %.2000s", account.body)
		}
	})
}
