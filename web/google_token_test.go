package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/toriihq/torii/devidp"
	"github.com/toriihq/torii/oidc"
	"github.com/toriihq/torii/testserver"
)

func TestGoogleToken_ValidTokenCreatesThenSignsIn(t *testing.T) {
	g := startGoogle(t, nil)
	c := g.srv.Client(t)
	r := g.signIn(c, g.idp.Token(ada))
	if r.Status != http.StatusCreated || r.JSON()["isNewUser"] != true {
		t.Fatalf("first sign-in: %d %s", r.Status, r.Body)
	}
	sessionCookie(t, r)
	if got := authProvider(t, c); got != "google" {
		t.Fatalf("authProvider = %q", got)
	}
	again := g.srv.Client(t)
	r = g.signIn(again, g.idp.Token(ada))
	if r.Status != http.StatusOK || r.JSON()["isNewUser"] != false {
		t.Fatalf("second sign-in: %d %s", r.Status, r.Body)
	}
	g.wantCounts(t, 1, 1)
}

// tokenCase is one ID token that must be refused.
type tokenCase struct {
	name   string
	token  func(g *googleEnv) string
	status int
	code   string
}

// runTokenCases posts each token as a GIS credential and asserts the
// refusal, with nothing written and no cookie set.
func runTokenCases(t *testing.T, env map[string]string, cases []tokenCase) {
	t.Helper()
	g := startGoogle(t, env)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g.wantRejected(t, g.signIn(g.srv.Client(t), tc.token(g)), tc.status, tc.code)
			g.wantCounts(t, 0, 0)
		})
	}
}

func TestGoogleToken_RejectsAnotherIssuer(t *testing.T) {
	runTokenCases(t, nil, []tokenCase{
		{"other issuer", func(g *googleEnv) string {
			c := g.claims(ada)
			c["iss"] = "https://evil.example.com"
			return g.idp.Sign(c)
		}, 401, "UNAUTHORIZED"},
		{"issuer without scheme (only Google's has two spellings)", func(g *googleEnv) string {
			c := g.claims(ada)
			c["iss"] = g.idp.Issuer()[len("http://"):]
			return g.idp.Sign(c)
		}, 401, "UNAUTHORIZED"},
		{"no issuer", func(g *googleEnv) string {
			c := g.claims(ada)
			delete(c, "iss")
			return g.idp.Sign(c)
		}, 401, "UNAUTHORIZED"},
	})
}

func TestGoogleToken_RejectsAnotherOrMissingAudience(t *testing.T) {
	runTokenCases(t, nil, []tokenCase{
		{"another client", func(g *googleEnv) string {
			c := g.claims(ada)
			c["aud"], c["azp"] = "someone-else.apps.googleusercontent.com", "someone-else.apps.googleusercontent.com"
			return g.idp.Sign(c)
		}, 401, "UNAUTHORIZED"},
		{"no aud", func(g *googleEnv) string {
			c := g.claims(ada)
			delete(c, "aud")
			return g.idp.Sign(c)
		}, 401, "UNAUTHORIZED"},
		{"several audiences, azp another client", func(g *googleEnv) string {
			c := g.claims(ada)
			c["aud"], c["azp"] = []string{"torii-test-client", "other"}, "other"
			return g.idp.Sign(c)
		}, 401, "UNAUTHORIZED"},
		{"several audiences, no azp", func(g *googleEnv) string {
			c := g.claims(ada)
			c["aud"] = []string{"other", "torii-test-client"}
			delete(c, "azp")
			return g.idp.Sign(c)
		}, 401, "UNAUTHORIZED"},
	})
}

func TestGoogleToken_SeveralAudiencesAcceptedWhenAzpIsOurs(t *testing.T) {
	g := startGoogle(t, nil)
	c := g.claims(ada)
	c["aud"], c["azp"] = []string{"other", "torii-test-client"}, "torii-test-client"
	if r := g.signIn(g.srv.Client(t), g.idp.Sign(c)); r.Status != http.StatusCreated {
		t.Fatalf("sign-in: %d %s", r.Status, r.Body)
	}
}

func TestGoogleToken_RejectsBadSignaturesAndAlgorithms(t *testing.T) {
	sign := func(opt devidpSignOption) func(g *googleEnv) string {
		return func(g *googleEnv) string { return g.idp.Sign(g.claims(ada), opt) }
	}
	runTokenCases(t, nil, []tokenCase{
		{"tampered signature", sign(tamperSignature), 401, "UNAUTHORIZED"},
		{"tampered payload", sign(tamperPayload), 401, "UNAUTHORIZED"},
		{"signed by an unknown key", sign(unknownKey), 401, "UNAUTHORIZED"},
		{"alg none", sign(algNone), 401, "UNAUTHORIZED"},
		{"alg HS256 keyed with the public key", sign(algHS256), 401, "UNAUTHORIZED"},
		{"not a JWT", func(*googleEnv) string { return "not-a-token" }, 401, "UNAUTHORIZED"},
		{"empty", func(*googleEnv) string { return "" }, 401, "UNAUTHORIZED"},
	})
}

func TestGoogleToken_RejectsExpiredBeyondLeeway(t *testing.T) {
	g := startGoogle(t, nil)
	c := g.claims(ada)
	c["iat"], c["exp"] = googleT0.Add(-time.Hour).Unix(), googleT0.Add(-61*time.Second).Unix()
	g.wantRejected(t, g.signIn(g.srv.Client(t), g.idp.Sign(c)), 401, "UNAUTHORIZED")
	delete(c, "exp")
	g.wantRejected(t, g.signIn(g.srv.Client(t), g.idp.Sign(c)), 401, "UNAUTHORIZED")
	g.wantCounts(t, 0, 0)

	// The documented leeway: one minute of clock skew.
	c["exp"] = googleT0.Add(-30 * time.Second).Unix()
	if r := g.signIn(g.srv.Client(t), g.idp.Sign(c)); r.Status != http.StatusCreated {
		t.Fatalf("token expired 30 s ago (within the leeway): %d %s", r.Status, r.Body)
	}
}

func TestGoogleToken_RejectsMissingSubOrIat(t *testing.T) {
	without := func(claim string) func(g *googleEnv) string {
		return func(g *googleEnv) string {
			c := g.claims(ada)
			delete(c, claim)
			return g.idp.Sign(c)
		}
	}
	runTokenCases(t, nil, []tokenCase{
		{"no sub", without("sub"), 401, "UNAUTHORIZED"},
		{"empty sub", func(g *googleEnv) string {
			c := g.claims(ada)
			c["sub"] = ""
			return g.idp.Sign(c)
		}, 401, "UNAUTHORIZED"},
		{"no iat", without("iat"), 401, "UNAUTHORIZED"},
		{"iat in the future", func(g *googleEnv) string {
			c := g.claims(ada)
			c["iat"] = googleT0.Add(10 * time.Minute).Unix()
			return g.idp.Sign(c)
		}, 401, "UNAUTHORIZED"},
	})
}

func TestGoogleToken_RotatedKeyIsFetchedAndAccepted(t *testing.T) {
	g := startGoogle(t, nil)
	if r := g.signIn(g.srv.Client(t), g.idp.Token(ada)); r.Status != http.StatusCreated {
		t.Fatalf("sign-in: %d %s", r.Status, r.Body)
	}
	if err := g.idp.RotateKey(); err != nil {
		t.Fatal(err)
	}
	// A refetch is allowed once the minimum interval since the last fetch
	// has passed (security.md A.7).
	g.clock.Advance(oidc.DefaultMinRefetch)
	before := g.idp.JWKSFetches()
	if r := g.signIn(g.srv.Client(t), g.idp.Token(ada)); r.Status != http.StatusOK {
		t.Fatalf("sign-in with the new key: %d %s", r.Status, r.Body)
	}
	if n := g.idp.JWKSFetches() - before; n != 1 {
		t.Fatalf("%d JWKS fetches for the new key, want 1", n)
	}
}

func TestGoogleToken_UnknownKidFloodFetchesJWKSAtMostOnce(t *testing.T) {
	g := startGoogle(t, map[string]string{"TORII_RATE_LOGIN_IP": "off"})
	if r := g.signIn(g.srv.Client(t), g.idp.Token(ada)); r.Status != http.StatusCreated {
		t.Fatalf("sign-in: %d %s", r.Status, r.Body)
	}
	g.clock.Advance(oidc.DefaultMinRefetch)
	before := g.idp.JWKSFetches()
	for range 12 {
		g.wantRejected(t, g.signIn(g.srv.Client(t), g.idp.Sign(g.claims(ada), unknownKey)), 401, "UNAUTHORIZED")
	}
	if n := g.idp.JWKSFetches() - before; n > 1 {
		t.Fatalf("%d JWKS fetches for 12 tokens with unknown kids, want at most 1", n)
	}
	// Valid tokens still pass meanwhile.
	if r := g.signIn(g.srv.Client(t), g.idp.Token(ada)); r.Status != http.StatusOK {
		t.Fatalf("valid sign-in after the flood: %d %s", r.Status, r.Body)
	}
}

func TestGoogleToken_HostedDomainEnforced(t *testing.T) {
	env := map[string]string{"TORII_GOOGLE_HOSTED_DOMAIN": "example.com"}
	withHD := func(hd string) func(g *googleEnv) string {
		return func(g *googleEnv) string {
			u := ada
			u.HostedDomain = hd
			return g.idp.Token(u)
		}
	}
	// ada@example.com: the email's domain matches, which is not enough.
	runTokenCases(t, env, []tokenCase{
		{"hd missing", withHD(""), 403, "NOT_ALLOWED"},
		{"hd another domain", withHD("evil.com"), 403, "NOT_ALLOWED"},
		{"hd a subdomain", withHD("x.example.com"), 403, "NOT_ALLOWED"},
	})
	g := startGoogle(t, env)
	if r := g.signIn(g.srv.Client(t), withHD("example.com")(g)); r.Status != http.StatusCreated {
		t.Fatalf("hd example.com: %d %s", r.Status, r.Body)
	}
}

func TestGoogleToken_DiscoveryNamingAnotherIssuerTrustsNothing(t *testing.T) {
	clock := testserver.NewClock(googleT0)
	idp := testserver.StartIDP(t, devidp.Options{Now: clock.Now})
	idp.SetDiscoveryIssuer("https://evil.example.com")
	srv := testserver.Start(t, testserver.Options{Env: idp.Env(), AppOptions: appOpts(clock)})
	g := &googleEnv{srv: srv, idp: idp, clock: clock}
	r := g.signIn(srv.Client(t), idp.Token(ada))
	g.wantRejected(t, r, http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE")
	wantPage(t, srv.Client(t).Do("GET", "/auth/google/login", nil), http.StatusServiceUnavailable, "temporarily unavailable")
	g.wantCounts(t, 0, 0)
	if logs := srv.Logs.String(); !strings.Contains(logs, `names the issuer \"https://evil.example.com\"`) {
		t.Fatalf("the log does not name the mismatch clearly:\n%s", logs)
	}
}

func TestGoogleToken_RequestCannotChooseClientOrIssuer(t *testing.T) {
	g := startGoogle(t, nil)
	c := g.claims(ada)
	c["aud"], c["azp"], c["iss"] = "attacker-client", "attacker-client", "https://attacker.example"
	body := map[string]string{"credential": g.idp.Sign(c), "clientId": "attacker-client",
		"client_id": "attacker-client", "issuer": "https://attacker.example", "audience": "attacker-client"}
	r := g.srv.Client(t).Do("POST", "/api/v1/auth/google?client_id=attacker-client&issuer=https://attacker.example", body)
	g.wantRejected(t, r, 401, "UNAUTHORIZED")
	g.wantCounts(t, 0, 0)
}
