package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/oidc"
)

// failureChecks returns the `check` of every signin.failure event, oldest
// first.
func (g *googleEnv) failureChecks(t *testing.T) []string {
	t.Helper()
	events, err := g.store(t).ListAudit(t.Context(), torii.AuditFilter{Limit: 100, Event: torii.AuditSignInFailure})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := len(events) - 1; i >= 0; i-- {
		check, _ := events[i].Detail["check"].(string)
		out = append(out, check)
	}
	return out
}

// The check that refused a Google sign-in reaches the audit event (the
// full table of checks is package oidc's TestVerify_EachRefusalNamesItsCheck).
func TestGoogleToken_AuditNamesTheFailedCheck(t *testing.T) {
	g := startGoogle(t, map[string]string{"TORII_GOOGLE_HOSTED_DOMAIN": "example.com", "TORII_RATE_LOGIN_IP": "off"})
	withHD := func(set map[string]any, drop ...string) string {
		c := g.claims(ada)
		c["hd"] = "example.com"
		for k, v := range set {
			c[k] = v
		}
		for _, d := range drop {
			delete(c, d)
		}
		return g.idp.Sign(c)
	}
	cases := []struct {
		token  string
		status int
		check  oidc.ErrReason
	}{
		{withHD(map[string]any{"aud": []string{"torii-test-client", "other"}, "azp": "other"}), 401, oidc.ReasonAZPMismatch},
		{withHD(nil, "iat"), 401, oidc.ReasonMissingIAT},
		{withHD(map[string]any{"exp": googleT0.Add(-time.Hour).Unix()}), 401, oidc.ReasonExpired},
		{withHD(map[string]any{"iss": "https://evil.example.com"}), 401, oidc.ReasonWrongIssuer},
		{g.idp.Sign(g.claims(ada)), 403, oidc.ReasonHostedDomain},
		{g.idp.Sign(g.claims(ada), algHS256), 401, oidc.ReasonAlgNotAllowed},
		{g.idp.Sign(g.claims(ada), tamperSignature), 401, oidc.ReasonBadSignature},
		{g.idp.Sign(g.claims(ada), unknownKey), 401, oidc.ReasonUnknownKey},
	}
	var want []string
	for _, tc := range cases {
		r := g.signIn(g.srv.Client(t), tc.token)
		if r.Status != tc.status {
			t.Fatalf("%s: %d %s", tc.check, r.Status, r.Body)
		}
		if strings.Contains(string(r.Body), string(tc.check)) {
			t.Fatalf("the reason %q reached the client: %s", tc.check, r.Body)
		}
		want = append(want, string(tc.check))
	}
	if got := g.failureChecks(t); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("audited checks %v, want %v", got, want)
	}
}

func TestGoogleToken_JWKSUnreachableIsServiceUnavailable(t *testing.T) {
	g := startGoogle(t, nil)
	g.idp.SetFailJWKS(true)
	r := g.signIn(g.srv.Client(t), g.idp.Token(ada))
	g.wantRejected(t, r, http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE")
	g.wantCounts(t, 0, 0)
	if logs := g.srv.Logs.String(); !strings.Contains(logs, string(oidc.ReasonUnreachable)) {
		t.Fatalf("the log does not say the provider was unreachable:\n%s", logs)
	}
	// Once the provider answers again (and the refetch bound has passed),
	// the same person signs in.
	g.idp.SetFailJWKS(false)
	g.clock.Advance(oidc.DefaultMinRefetch)
	if r := g.signIn(g.srv.Client(t), g.idp.Token(ada)); r.Status != http.StatusCreated {
		t.Fatalf("after recovery: %d %s", r.Status, r.Body)
	}
}

func TestCodeFlow_ProviderUnreachableAtExchangeShowsTryAgainPage(t *testing.T) {
	g := startGoogle(t, nil)
	c := g.srv.Client(t)
	callback := g.pick(t, c, g.startCodeFlow(t, c, "/"), ada, "signin")
	g.idp.SetFailToken(true)
	r := c.Do("GET", callback, nil)
	wantPage(t, r, http.StatusServiceUnavailable, "not reachable right now", `href="/login"`, "Try again")
	if strings.Contains(string(r.Body), "could not be verified") {
		t.Fatalf("an unreachable provider was answered as a bad sign-in:\n%s", r.Body)
	}
	g.wantCounts(t, 0, 0)
	if checks := g.failureChecks(t); len(checks) != 0 {
		t.Fatalf("an outage was audited as failed sign-ins: %v", checks)
	}
	// The retry works once the provider is back.
	g.idp.SetFailToken(false)
	if r := g.codeFlow(t, c, "/", ada); r.Status != http.StatusSeeOther {
		t.Fatalf("retry: %d %s", r.Status, r.Body)
	}
}

func TestGoogleToken_RotatedKeyAcceptedWithinTenSecondsOfTheLastFetch(t *testing.T) {
	g := startGoogle(t, nil)
	if r := g.signIn(g.srv.Client(t), g.idp.Token(ada)); r.Status != http.StatusCreated {
		t.Fatalf("sign-in: %d %s", r.Status, r.Body)
	}
	if err := g.idp.RotateKey(); err != nil {
		t.Fatal(err)
	}
	g.clock.Advance(10 * time.Second)
	if r := g.signIn(g.srv.Client(t), g.idp.Token(ada)); r.Status != http.StatusOK {
		t.Fatalf("10 s after the provider's rotation: %d %s", r.Status, r.Body)
	}
}
