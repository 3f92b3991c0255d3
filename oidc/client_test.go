package oidc_test

import (
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/devidp"
	"github.com/toriihq/torii/oidc"
)

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

var ada = devidp.User{Email: "ada@example.com", Name: "Ada", EmailVerified: true}

// startIDP serves a dev-idp on loopback.
func startIDP(t testing.TB) (*devidp.Provider, *httptest.Server) {
	t.Helper()
	p, err := devidp.New(devidp.Options{Now: func() time.Time { return t0 },
		Clients: []devidp.Client{{ID: "client", Secret: "secret"}}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	p.SetIssuer(srv.URL)
	return p, srv
}

// toServer sends every request to srv whatever its host: it stands in for
// Google's servers (https://accounts.google.com, its JWKS host), which a
// test cannot reach.
type toServer struct{ srv *httptest.Server }

func (t toServer) RoundTrip(r *http.Request) (*http.Response, error) {
	u, _ := url.Parse(t.srv.URL)
	r = r.Clone(r.Context())
	r.URL.Scheme, r.URL.Host = u.Scheme, u.Host
	return http.DefaultTransport.RoundTrip(r)
}

func TestVerify_AcceptsBothGoogleIssuerSpellings(t *testing.T) {
	p, srv := startIDP(t)
	p.SetIssuer(oidc.GoogleIssuer) // the provider plays Google
	c := oidc.New(oidc.Config{Issuer: oidc.GoogleIssuer, ClientID: "client", Now: func() time.Time { return t0 },
		HTTPClient: &http.Client{Transport: toServer{srv}}})
	if !c.IsGoogle() {
		t.Fatal("IsGoogle = false for Google's issuer")
	}
	for _, iss := range []string{"https://accounts.google.com", "accounts.google.com"} {
		claims := p.Claims(ada, "client", "")
		claims["iss"] = iss
		got, err := c.Verify(t.Context(), p.Sign(claims), "")
		if err != nil {
			t.Fatalf("iss %q: %v", iss, err)
		}
		if got.Issuer != oidc.GoogleIssuer {
			t.Fatalf("iss %q: identity issuer %q, want the configured one", iss, got.Issuer)
		}
	}
	claims := p.Claims(ada, "client", "")
	claims["iss"] = "http://accounts.google.com"
	if _, err := c.Verify(t.Context(), p.Sign(claims), ""); torii.ErrorCode(err) != torii.EUnauthorized {
		t.Fatalf("http:// spelling: %v", err)
	}
}

func TestVerify_ReadsEmailVerifiedAsBooleanOrString(t *testing.T) {
	p, srv := startIDP(t)
	c := oidc.New(oidc.Config{Issuer: srv.URL, ClientID: "client", Now: func() time.Time { return t0 }})
	for v, want := range map[any]bool{true: true, "true": true, false: false, "false": false, nil: false} {
		claims := p.Claims(ada, "client", "")
		claims["email_verified"] = v
		got, err := c.Verify(t.Context(), p.Sign(claims), "")
		if err != nil || got.EmailVerified != want {
			t.Fatalf("email_verified %v: %v, %v", v, got.EmailVerified, err)
		}
	}
}

func TestDiscovery_FailureIsReportedAndRetried(t *testing.T) {
	p, srv := startIDP(t)
	p.SetFailDiscovery(true)
	c := oidc.New(oidc.Config{Issuer: srv.URL, ClientID: "client", Now: func() time.Time { return t0 },
		RetryMin: time.Nanosecond})
	_, err := c.Verify(t.Context(), p.IDToken(ada, "client"), "")
	if torii.ErrorCode(err) != torii.EServiceUnavailable {
		t.Fatalf("while discovery fails: %v, want SERVICE_UNAVAILABLE", err)
	}
	p.SetFailDiscovery(false)
	if _, err := c.Verify(t.Context(), p.IDToken(ada, "client"), ""); err != nil {
		t.Fatalf("after the provider recovered: %v", err)
	}
}

func TestDiscovery_RetriesAreSpacedOut(t *testing.T) {
	p, srv := startIDP(t)
	p.SetFailDiscovery(true)
	c := oidc.New(oidc.Config{Issuer: srv.URL, ClientID: "client", RetryMin: time.Hour})
	c.Verify(t.Context(), "x", "")
	p.SetFailDiscovery(false)
	// Within RetryMin of a failure, calls fail fast instead of hammering
	// the provider.
	if _, err := c.Verify(t.Context(), p.IDToken(ada, "client"), ""); torii.ErrorCode(err) != torii.EServiceUnavailable {
		t.Fatalf("within RetryMin: %v", err)
	}
}

func TestKeySet_RefetchBoundedPerInterval(t *testing.T) {
	p, srv := startIDP(t)
	now := t0
	c := oidc.New(oidc.Config{Issuer: srv.URL, ClientID: "client", Now: func() time.Time { return now }})
	if _, err := c.Verify(t.Context(), p.IDToken(ada, "client"), ""); err != nil {
		t.Fatal(err)
	}
	if err := p.RotateKey(); err != nil {
		t.Fatal(err)
	}
	fresh := p.IDToken(ada, "client")
	// Too soon after the last fetch: the new kid is refused without a fetch.
	if _, err := c.Verify(t.Context(), fresh, ""); err == nil {
		t.Fatal("a token with an unknown kid verified without a refetch")
	}
	if n := c.JWKSFetches(); n != 1 {
		t.Fatalf("%d fetches, want 1", n)
	}
	now = now.Add(oidc.DefaultMinRefetch)
	if _, err := c.Verify(t.Context(), fresh, ""); err != nil {
		t.Fatalf("after the interval: %v", err)
	}
	if n := c.JWKSFetches(); n != 2 {
		t.Fatalf("%d fetches, want 2", n)
	}
}

func TestAuthCodeURL_CarriesS256ChallengeOfTheVerifier(t *testing.T) {
	_, srv := startIDP(t)
	c := oidc.New(oidc.Config{Issuer: srv.URL, ClientID: "client", ClientSecret: "secret",
		RedirectURL: "http://127.0.0.1:1/cb", HostedDomain: "Example.com"})
	raw, verifier, err := c.AuthCodeURL(t.Context(), "state-1", "nonce-1")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(raw)
	q := u.Query()
	if q.Get("code_challenge_method") != "S256" || q.Get("state") != "state-1" || q.Get("nonce") != "nonce-1" ||
		q.Get("hd") != "example.com" || len(verifier) < 43 || q.Get("code_challenge") == verifier {
		t.Fatalf("authorize URL %s (verifier %q)", raw, verifier)
	}
}

func TestVerify_HeaderEdgeCases(t *testing.T) {
	p, srv := startIDP(t)
	c := oidc.New(oidc.Config{Issuer: srv.URL, ClientID: "client", Now: func() time.Time { return t0 }})
	claims := p.Claims(ada, "client", "")
	if _, err := c.Verify(t.Context(), p.SignWithHeader(claims, nil), ""); err != nil {
		t.Fatalf("plain RS256: %v", err)
	}
	for name, extra := range map[string]map[string]any{
		"unknown critical header": {"crit": []string{"urn:example:unknown"}, "urn:example:unknown": true},
		"unencoded payload":       {"b64": false, "crit": []string{"b64"}},
		"kid of no key":           {"kid": "no-such-key"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := c.Verify(t.Context(), p.SignWithHeader(claims, extra), ""); torii.ErrorCode(err) != torii.EUnauthorized {
				t.Fatalf("accepted or wrong error: %v", err)
			}
		})
	}
	tok := p.SignWithHeader(claims, nil)
	for name, bad := range map[string]string{
		"padded signature": tok + "=",
		"four parts":       tok + ".x",
		"two parts":        tok[:strings.LastIndex(tok, ".")],
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := c.Verify(t.Context(), bad, ""); torii.ErrorCode(err) != torii.EUnauthorized {
				t.Fatalf("accepted or wrong error: %v", err)
			}
		})
	}
}

// Edge cases of the claims' types as go-oidc's verifier reads them (each
// check's reason is proven in verify_reason_test.go; the web tests cover
// the same refusals end to end).
func TestVerify_ClaimTypesAsGoOIDCReadsThem(t *testing.T) {
	p, srv := startIDP(t)
	c := oidc.New(oidc.Config{Issuer: srv.URL, ClientID: "client", Now: func() time.Time { return t0 }})
	for name, tc := range map[string]struct {
		set  map[string]any
		drop string
		ok   bool
	}{
		"aud as a string":     {set: map[string]any{"aud": "client"}, ok: true},
		"aud as an array":     {set: map[string]any{"aud": []string{"client"}}, ok: true},
		"aud of another type": {set: map[string]any{"aud": 42}},
		"exp with a fraction": {set: map[string]any{"exp": float64(t0.Add(time.Hour).Unix()) + 0.5}, ok: true},
		// go-oidc reads a NumericDate through json.Number, which takes a
		// quoted number too; the value is checked all the same.
		"exp as a string holding a number":     {set: map[string]any{"exp": fmt.Sprint(t0.Add(time.Hour).Unix())}, ok: true},
		"exp as a string holding a past time":  {set: map[string]any{"exp": fmt.Sprint(t0.Add(-time.Hour).Unix())}},
		"exp as a string not a number":         {set: map[string]any{"exp": "tomorrow"}},
		"no exp":                               {drop: "exp"},
		"nbf within five minutes":              {set: map[string]any{"nbf": t0.Add(4 * time.Minute).Unix()}, ok: true},
		"nbf beyond five minutes":              {set: map[string]any{"nbf": t0.Add(6 * time.Minute).Unix()}},
		"Google's scheme-less iss from others": {set: map[string]any{"iss": "accounts.google.com"}},
		"iss with a trailing slash":            {set: map[string]any{"iss": srv.URL + "/"}},
		"sub not a string":                     {set: map[string]any{"sub": map[string]any{"id": 1}}},
	} {
		t.Run(name, func(t *testing.T) {
			claims := p.Claims(ada, "client", "")
			maps.Copy(claims, tc.set)
			delete(claims, tc.drop)
			_, err := c.Verify(t.Context(), p.Sign(claims), "")
			if tc.ok && err != nil {
				t.Fatalf("rejected: %v", err)
			}
			if !tc.ok && torii.ErrorCode(err) != torii.EUnauthorized {
				t.Fatalf("accepted or wrong error: %v", err)
			}
		})
	}
}
