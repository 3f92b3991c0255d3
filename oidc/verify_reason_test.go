package oidc_test

import (
	"crypto/rsa"
	"encoding/base64"
	"maps"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/oidc"
)

// reasonEnv is a provider whose JWKS holds one key of each kind the key
// set must tell apart, and whose discovery advertises RS256, RS384 and two
// algorithms torii never accepts (HS256, none).
type reasonEnv struct {
	p                                    *testProvider
	main, free, ec, pinned, enc, private *jose.JSONWebKey
	now                                  time.Time
}

func startReasonEnv(t *testing.T) *reasonEnv {
	t.Helper()
	e := &reasonEnv{now: t0,
		main: rsaKey(t, "main"), free: rsaKey(t, "free"), ec: ecKey(t, "ec"),
		pinned: rsaKey(t, "pinned"), enc: rsaKey(t, "enc"), private: rsaKey(t, "private")}
	oct := map[string]any{"kty": "oct", "kid": "oct", "alg": "HS256", "use": "sig",
		"k": base64.RawURLEncoding.EncodeToString([]byte("a shared secret anyone reading the JWKS knows"))}
	e.p = startProvider(t, []string{"RS256", "RS384", "HS256", "none"},
		jwk(t, e.main, "RS256", "sig", false),
		jwk(t, e.free, "", "", false), // no alg pin, no use: any allowed algorithm
		jwk(t, e.ec, "", "sig", false),
		jwk(t, e.pinned, "RS384", "sig", false),
		jwk(t, e.enc, "", "enc", false),
		jwk(t, e.private, "RS256", "sig", true),
		oct)
	return e
}

// token signs claims (changed by set, without drop) with key by alg.
func (e *reasonEnv) token(t *testing.T, key *jose.JSONWebKey, alg jose.SignatureAlgorithm, set map[string]any, drop ...string) string {
	t.Helper()
	c := e.p.claims(e.now)
	maps.Copy(c, set)
	for _, d := range drop {
		delete(c, d)
	}
	return sign(t, key, alg, key.KeyID, c)
}

// Each case is a token that is valid but for one thing; the refusal must
// name that thing. Removing any one check from package oidc makes its case
// fail (the mutation check in the report to issue 13 did exactly that).
func TestVerify_EachRefusalNamesItsCheck(t *testing.T) {
	e := startReasonEnv(t)
	now := func() time.Time { return e.now }
	plain := e.p.client(now)
	hosted := e.p.client(now, func(c *oidc.Config) { c.HostedDomain = "example.com" })
	for _, tc := range []struct {
		name   string
		token  func(t *testing.T) string
		nonce  string
		client *oidc.Client
		want   oidc.ErrReason // "" = accepted
	}{
		{name: "valid (control)", token: func(t *testing.T) string { return e.token(t, e.main, jose.RS256, nil) }},
		{name: "signature tampered", want: oidc.ReasonBadSignature, token: func(t *testing.T) string {
			tok := e.token(t, e.main, jose.RS256, nil)
			i := strings.LastIndex(tok, ".") + 5
			return tok[:i] + string("AB"[strings.IndexByte("BA", tok[i])&1]) + tok[i+1:]
		}},
		{name: "payload swapped after signing", want: oidc.ReasonBadSignature, token: func(t *testing.T) string {
			good := strings.Split(e.token(t, e.main, jose.RS256, nil), ".")
			other := strings.Split(e.token(t, e.main, jose.RS256, map[string]any{"email": "mallory@example.com"}), ".")
			return good[0] + "." + other[1] + "." + good[2]
		}},
		{name: "signed by a key the JWKS lacks", want: oidc.ReasonUnknownKey, token: func(t *testing.T) string {
			return e.token(t, rsaKey(t, "nope"), jose.RS256, nil)
		}},
		{name: "kid of another key of the set", want: oidc.ReasonBadSignature, token: func(t *testing.T) string {
			return sign(t, e.main, jose.RS256, "free", e.p.claims(e.now))
		}},
		// The provider's advertised algorithms: PS256 and ES256 are safe,
		// and the keys would verify them, but this provider does not sign
		// with them.
		{name: "PS256, not advertised", want: oidc.ReasonAlgNotAllowed, token: func(t *testing.T) string {
			return e.token(t, e.free, jose.PS256, nil)
		}},
		{name: "ES256, not advertised", want: oidc.ReasonAlgNotAllowed, token: func(t *testing.T) string {
			return e.token(t, e.ec, jose.ES256, nil)
		}},
		// The safe set: advertised, but never accepted.
		{name: "HS256 keyed with the public key (advertised)", want: oidc.ReasonAlgNotAllowed, token: func(t *testing.T) string {
			pub := e.main.Key.(*rsa.PrivateKey).PublicKey.N.Bytes()
			return sign(t, &jose.JSONWebKey{Key: pub}, jose.HS256, "main", e.p.claims(e.now))
		}},
		{name: "alg none (advertised)", want: oidc.ReasonAlgNotAllowed, token: func(t *testing.T) string {
			tok := e.token(t, e.main, jose.RS256, nil)
			parts := strings.Split(tok, ".")
			return base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."
		}},
		// The JWK filters.
		{name: "key pinned to RS384, token RS256", want: oidc.ReasonKeyAlgMismatch, token: func(t *testing.T) string {
			return e.token(t, e.pinned, jose.RS256, nil)
		}},
		{name: "key pinned to RS384, token RS384 (control)", token: func(t *testing.T) string {
			return e.token(t, e.pinned, jose.RS384, nil)
		}},
		{name: "key for encryption", want: oidc.ReasonKeyNotForSig, token: func(t *testing.T) string {
			return e.token(t, e.enc, jose.RS256, nil)
		}},
		{name: "key published with its private part", want: oidc.ReasonNotPublicKey, token: func(t *testing.T) string {
			return e.token(t, e.private, jose.RS256, nil)
		}},
		{name: "kid of an oct key", want: oidc.ReasonSymmetricKey, token: func(t *testing.T) string {
			return sign(t, e.main, jose.RS256, "oct", e.p.claims(e.now))
		}},
		{name: "no kid: any usable key that verifies (control)", token: func(t *testing.T) string {
			return sign(t, e.free, jose.RS256, "", e.p.claims(e.now))
		}},
		// go-oidc's claim checks.
		{name: "another issuer", want: oidc.ReasonWrongIssuer, token: func(t *testing.T) string {
			return e.token(t, e.main, jose.RS256, map[string]any{"iss": "https://evil.example.com"})
		}},
		{name: "another audience", want: oidc.ReasonWrongAudience, token: func(t *testing.T) string {
			return e.token(t, e.main, jose.RS256, map[string]any{"aud": "other", "azp": "other"})
		}},
		{name: "expired beyond the leeway", want: oidc.ReasonExpired, token: func(t *testing.T) string {
			return e.token(t, e.main, jose.RS256, map[string]any{"exp": e.now.Add(-oidc.DefaultLeeway - time.Second).Unix()})
		}},
		{name: "expired within the leeway (control)", token: func(t *testing.T) string {
			return e.token(t, e.main, jose.RS256, map[string]any{"exp": e.now.Add(-oidc.DefaultLeeway + time.Second).Unix()})
		}},
		{name: "no exp", want: oidc.ReasonExpired, token: func(t *testing.T) string {
			return e.token(t, e.main, jose.RS256, nil, "exp")
		}},
		{name: "nbf ahead", want: oidc.ReasonNotYetValid, token: func(t *testing.T) string {
			return e.token(t, e.main, jose.RS256, map[string]any{"nbf": e.now.Add(10 * time.Minute).Unix()})
		}},
		// torii's checks.
		{name: "several audiences, azp another client", want: oidc.ReasonAZPMismatch, token: func(t *testing.T) string {
			return e.token(t, e.main, jose.RS256, map[string]any{"aud": []string{"client", "other"}, "azp": "other"})
		}},
		{name: "several audiences, no azp", want: oidc.ReasonAZPMismatch, token: func(t *testing.T) string {
			return e.token(t, e.main, jose.RS256, map[string]any{"aud": []string{"other", "client"}}, "azp")
		}},
		{name: "several audiences, azp ours (control)", token: func(t *testing.T) string {
			return e.token(t, e.main, jose.RS256, map[string]any{"aud": []string{"other", "client"}})
		}},
		{name: "no iat", want: oidc.ReasonMissingIAT, token: func(t *testing.T) string {
			return e.token(t, e.main, jose.RS256, nil, "iat")
		}},
		{name: "iat beyond the leeway ahead", want: oidc.ReasonIATInFuture, token: func(t *testing.T) string {
			return e.token(t, e.main, jose.RS256, map[string]any{"iat": e.now.Add(oidc.DefaultLeeway + time.Second).Unix()})
		}},
		{name: "iat within the leeway ahead (control)", token: func(t *testing.T) string {
			return e.token(t, e.main, jose.RS256, map[string]any{"iat": e.now.Add(oidc.DefaultLeeway - time.Second).Unix()})
		}},
		{name: "no sub", want: oidc.ReasonMissingSub, token: func(t *testing.T) string {
			return e.token(t, e.main, jose.RS256, nil, "sub")
		}},
		{name: "empty sub", want: oidc.ReasonMissingSub, token: func(t *testing.T) string {
			return e.token(t, e.main, jose.RS256, map[string]any{"sub": ""})
		}},
		{name: "nonce another", nonce: "ours", want: oidc.ReasonNonceMismatch, token: func(t *testing.T) string {
			return e.token(t, e.main, jose.RS256, map[string]any{"nonce": "theirs"})
		}},
		{name: "nonce missing", nonce: "ours", want: oidc.ReasonNonceMismatch, token: func(t *testing.T) string {
			return e.token(t, e.main, jose.RS256, nil)
		}},
		{name: "nonce ours (control)", nonce: "ours", token: func(t *testing.T) string {
			return e.token(t, e.main, jose.RS256, map[string]any{"nonce": "ours"})
		}},
		{name: "hd another domain", client: hosted, want: oidc.ReasonHostedDomain, token: func(t *testing.T) string {
			return e.token(t, e.main, jose.RS256, map[string]any{"hd": "evil.com"})
		}},
		{name: "hd missing", client: hosted, want: oidc.ReasonHostedDomain, token: func(t *testing.T) string {
			return e.token(t, e.main, jose.RS256, nil)
		}},
		{name: "hd ours (control)", client: hosted, token: func(t *testing.T) string {
			return e.token(t, e.main, jose.RS256, map[string]any{"hd": "Example.com"})
		}},
		// The token as a whole.
		{name: "not a JWT", want: oidc.ReasonMalformed, token: func(*testing.T) string { return "not-a-token" }},
		{name: "empty", want: oidc.ReasonMalformed, token: func(*testing.T) string { return "" }},
		{name: "oversized", want: oidc.ReasonMalformed, token: func(t *testing.T) string {
			return e.token(t, e.main, jose.RS256, map[string]any{"name": strings.Repeat("a", 17<<10)})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.client
			if c == nil {
				c = plain
			}
			_, err := c.Verify(t.Context(), tc.token(t), tc.nonce)
			if got := oidc.ReasonOf(err); got != tc.want {
				t.Fatalf("reason %q, want %q (%v)", got, tc.want, err)
			}
			wantCode := ""
			switch tc.want {
			case "":
			case oidc.ReasonHostedDomain:
				wantCode = torii.ENotAllowed
			default:
				wantCode = torii.EUnauthorized
			}
			if code := torii.ErrorCode(err); code != wantCode {
				t.Fatalf("code %q, want %q (%v)", code, wantCode, err)
			}
		})
	}
}
