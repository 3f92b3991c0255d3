package testserver

import (
	"net/http/httptest"
	"testing"

	"github.com/toriihq/torii/devidp"
)

// Test client credentials of the in-process provider.
const (
	IDPClientID     = "torii-test-client"
	IDPClientSecret = "torii-test-secret"
)

// IDP is an in-process dev-idp on a loopback port: a real OpenID provider
// that a test server discovers through TORII_OIDC_ISSUER.
type IDP struct {
	*devidp.Provider
	URL string
}

// StartIDP starts a dev-idp for the test, with the test client registered.
// opts.Issuer and opts.Clients are filled in unless given; the provider's
// first signing key is one made once per test binary (its key id is its
// own; RotateKey makes fresh keys), as a test server's is.
func StartIDP(t testing.TB, opts devidp.Options) *IDP {
	t.Helper()
	if opts.Clients == nil {
		opts.Clients = []devidp.Client{{ID: IDPClientID, Secret: IDPClientSecret}}
	}
	if opts.RSAKey == nil {
		opts.RSAKey = firstKeyOf(&idpKey)
	}
	p, err := devidp.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(p)
	srv.Start()
	t.Cleanup(srv.Close)
	if opts.Issuer == "" {
		p.SetIssuer(srv.URL)
	}
	return &IDP{Provider: p, URL: srv.URL}
}

// Env returns the variables that point torii at the provider: issuer,
// client id and secret.
func (i *IDP) Env() map[string]string {
	return map[string]string{
		"TORII_OIDC_ISSUER":          i.Issuer(),
		"TORII_GOOGLE_CLIENT_ID":     IDPClientID,
		"TORII_GOOGLE_CLIENT_SECRET": IDPClientSecret,
	}
}

// Token returns a valid ID token for u, issued to the test client.
func (i *IDP) Token(u devidp.User) string { return i.IDToken(u, IDPClientID) }
