package web_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// security.md G: tokens torii issues, and every way of forging one.

func TestBearer_AcceptedByTheAPIWithoutSession(t *testing.T) {
	srv, _ := startWithClock(t, nil)
	c := signedIn(t, srv, "ann@example.com")
	p := mint(t, c, "")
	me := bearer(srv, t, "GET", "/api/v1/me", p.AccessToken)
	if me.Status != http.StatusOK || !strings.Contains(string(me.Body), `"email":"ann@example.com"`) {
		t.Fatalf("/me with Bearer: %d %s", me.Status, me.Body)
	}
	// The scheme is case-insensitive.
	wantStatus(t, "lower-case scheme", srv.Client(t).Do("GET", "/api/v1/me", nil, "Authorization", "bearer "+p.AccessToken), http.StatusOK)
	// No session: the list has no current one, and session-only actions
	// say so instead of pretending.
	var list struct {
		Sessions []struct {
			Current bool `json:"current"`
		} `json:"sessions"`
	}
	r := bearer(srv, t, "GET", "/api/v1/me/sessions", p.AccessToken)
	r.Decode(t, &list)
	if len(list.Sessions) != 1 || list.Sessions[0].Current {
		t.Fatalf("sessions with Bearer: %s", r.Body)
	}
	wantError(t, bearer(srv, t, "POST", "/api/v1/auth/logout", p.AccessToken), http.StatusForbidden, "FORBIDDEN")
	wantError(t, bearer(srv, t, "POST", "/api/v1/auth/token", p.AccessToken), http.StatusForbidden, "FORBIDDEN")
	// "Every session but the current one" is every session.
	wantStatus(t, "DELETE /me/sessions with Bearer", bearer(srv, t, "DELETE", "/api/v1/me/sessions", p.AccessToken), http.StatusNoContent)
	wantError(t, c.Do("GET", "/api/v1/me", nil), http.StatusUnauthorized, "UNAUTHORIZED")
	wantError(t, refresh(srv, t, p.RefreshToken), http.StatusUnauthorized, "UNAUTHORIZED")
}

func TestBearer_InvalidTokenIsNotRescuedByCookie(t *testing.T) {
	srv, _ := startWithClock(t, nil)
	c := signedIn(t, srv, "ann@example.com")
	wantError(t, c.Do("GET", "/api/v1/me", nil, "Authorization", "Bearer not-a-jwt"), http.StatusUnauthorized, "UNAUTHORIZED")
	wantStatus(t, "cookie alone", c.Do("GET", "/api/v1/me", nil), http.StatusOK)
}

func TestBearer_RejectsOtherAudience(t *testing.T) {
	srv, _ := startWithClock(t, map[string]string{"TORII_TOKEN_AUDIENCES": "https://dash.example.com"})
	p := mint(t, signedIn(t, srv, "ann@example.com"), "?audience=https://dash.example.com")
	if _, claims := claimsOf(t, p.AccessToken); claims["aud"] != "https://dash.example.com" {
		t.Fatalf("aud = %v", claims["aud"])
	}
	wantError(t, bearer(srv, t, "GET", "/api/v1/me", p.AccessToken), http.StatusUnauthorized, "UNAUTHORIZED")
	wantError(t, bearer(srv, t, "GET", "/api/v1/auth/verify", p.AccessToken), http.StatusUnauthorized, "UNAUTHORIZED")
	// Where that audience is expected, it passes.
	wantStatus(t, "verify?audience=", bearer(srv, t, "GET", "/api/v1/auth/verify?audience=https://dash.example.com", p.AccessToken), http.StatusOK)
}

func TestBearer_AcceptsArrayAudienceContainingBaseURL(t *testing.T) {
	srv, _ := startWithClock(t, nil)
	signedIn(t, srv, "ann@example.com")
	kid, key := serverKey(t, srv)
	base := srv.Env["TORII_BASE_URL"]
	ok := sign(t, jose.RS256, key, kid, with(goodClaims(srv, t0Tokens), "aud", []string{"https://other.example.com", base}))
	wantStatus(t, "array aud with the base URL", bearer(srv, t, "GET", "/api/v1/me", ok), http.StatusOK)
	bad := sign(t, jose.RS256, key, kid, with(goodClaims(srv, t0Tokens), "aud", []string{"https://a.example.com", "https://b.example.com"}))
	wantError(t, bearer(srv, t, "GET", "/api/v1/me", bad), http.StatusUnauthorized, "UNAUTHORIZED")
	wantError(t, bearer(srv, t, "GET", "/api/v1/auth/verify", bad), http.StatusUnauthorized, "UNAUTHORIZED")
}

func TestBearer_RejectsAlgNone(t *testing.T) {
	srv, _ := startWithClock(t, nil)
	signedIn(t, srv, "ann@example.com")
	kid, _ := serverKey(t, srv)
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	payload := enc(goodClaims(srv, t0Tokens))
	for _, alg := range []string{"none", "None", "NONE"} {
		tok := enc(map[string]string{"alg": alg, "typ": "JWT", "kid": kid}) + "." + payload + "."
		wantError(t, bearer(srv, t, "GET", "/api/v1/me", tok), http.StatusUnauthorized, "UNAUTHORIZED")
		wantError(t, bearer(srv, t, "GET", "/api/v1/auth/verify", tok), http.StatusUnauthorized, "UNAUTHORIZED")
	}
}

// The classic key confusion: the public key (as published, or as PEM) used
// as an HMAC secret. The algorithm is pinned, so no such token parses.
func TestBearer_RejectsHS256SignedWithPublicKey(t *testing.T) {
	srv, _ := startWithClock(t, nil)
	signedIn(t, srv, "ann@example.com")
	kid, key := serverKey(t, srv)
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	jwks := srv.Client(t).Do("GET", "/.well-known/jwks.json", nil).Body
	for name, secret := range map[string][]byte{"PEM": pemKey, "DER": der, "JWKS": jwks} {
		for _, alg := range []jose.SignatureAlgorithm{jose.HS256, jose.HS512} {
			tok := sign(t, alg, secret, kid, goodClaims(srv, t0Tokens))
			if r := bearer(srv, t, "GET", "/api/v1/me", tok); r.Status != http.StatusUnauthorized {
				t.Errorf("%s with the %s public key: %d %s", alg, name, r.Status, r.Body)
			}
		}
	}
}

func TestBearer_RejectsTamperedPayload(t *testing.T) {
	srv, _ := startWithClock(t, nil)
	p := mint(t, signedIn(t, srv, "ann@example.com"), "")
	registerUser(t, srv.Client(t), "bob@example.com", "Bob")
	parts := strings.Split(p.AccessToken, ".")
	_, claims := claimsOf(t, p.AccessToken)
	for name, c := range map[string]map[string]any{
		"other user": with(claims, "sub", "2", "email", "bob@example.com"),
		"longer exp": with(claims, "exp", t0Tokens.Add(24*time.Hour).Unix()),
	} {
		b, _ := json.Marshal(c)
		forged := parts[0] + "." + base64.RawURLEncoding.EncodeToString(b) + "." + parts[2]
		if r := bearer(srv, t, "GET", "/api/v1/me", forged); r.Status != http.StatusUnauthorized {
			t.Errorf("%s: %d %s", name, r.Status, r.Body)
		}
	}
	// A flipped signature byte.
	sig := []byte(parts[2])
	sig[10] ^= 1
	wantError(t, bearer(srv, t, "GET", "/api/v1/me", parts[0]+"."+parts[1]+"."+string(sig)), http.StatusUnauthorized, "UNAUTHORIZED")
	wantStatus(t, "the untouched token", bearer(srv, t, "GET", "/api/v1/me", p.AccessToken), http.StatusOK)
}

func TestBearer_RejectsExpired(t *testing.T) {
	srv, clock := startWithClock(t, nil)
	p := mint(t, signedIn(t, srv, "ann@example.com"), "")
	_, claims := claimsOf(t, p.AccessToken)
	if exp, iat := claims["exp"].(float64), claims["iat"].(float64); exp-iat != 900 || p.ExpiresIn != 900 {
		t.Fatalf("lifetime %v s, expiresIn %d; want 900", exp-iat, p.ExpiresIn)
	}
	clock.Advance(15*time.Minute + 29*time.Second) // within the 30 s leeway
	wantStatus(t, "within the leeway", bearer(srv, t, "GET", "/api/v1/me", p.AccessToken), http.StatusOK)
	clock.Advance(2 * time.Second)
	wantError(t, bearer(srv, t, "GET", "/api/v1/me", p.AccessToken), http.StatusUnauthorized, "UNAUTHORIZED")
	wantError(t, bearer(srv, t, "GET", "/api/v1/auth/verify", p.AccessToken), http.StatusUnauthorized, "UNAUTHORIZED")
}

func TestBearer_RejectsUnknownKid(t *testing.T) {
	srv, _ := startWithClock(t, nil)
	signedIn(t, srv, "ann@example.com")
	kid, _ := serverKey(t, srv)
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	for name, k := range map[string]string{"unknown kid": "no-such-key", "no kid": "", "torii's kid, another key": kid} {
		tok := sign(t, jose.RS256, other, k, goodClaims(srv, t0Tokens))
		if r := bearer(srv, t, "GET", "/api/v1/me", tok); r.Status != http.StatusUnauthorized {
			t.Errorf("%s: %d %s", name, r.Status, r.Body)
		}
	}
}

// Signed with torii's own key, but not a token torii would issue.
func TestBearer_RejectsMissingOrWrongRegisteredClaims(t *testing.T) {
	srv, _ := startWithClock(t, nil)
	signedIn(t, srv, "ann@example.com")
	kid, key := serverKey(t, srv)
	good := goodClaims(srv, t0Tokens)
	wantStatus(t, "the control token", bearer(srv, t, "GET", "/api/v1/me", sign(t, jose.RS256, key, kid, good)), http.StatusOK)
	for name, c := range map[string]map[string]any{
		"other issuer":     with(good, "iss", "https://evil.example.com"),
		"no issuer":        with(good, "iss", nil),
		"no exp":           with(good, "exp", nil),
		"no iat":           with(good, "iat", nil),
		"iat in future":    with(good, "iat", t0Tokens.Add(time.Hour).Unix()),
		"no sub":           with(good, "sub", nil),
		"sub not a number": with(good, "sub", "ann"),
		"unknown user":     with(good, "sub", "999"),
		"no aud":           with(good, "aud", nil),
	} {
		if r := bearer(srv, t, "GET", "/api/v1/me", sign(t, jose.RS256, key, kid, c)); r.Status != http.StatusUnauthorized {
			t.Errorf("%s: %d %s", name, r.Status, r.Body)
		}
	}
}

// Deactivation and removal from the allowlist bite at once, even while the
// access token itself is unexpired: the user is read at every request.
func TestBearer_DeactivatedUserRefusedAtOnce(t *testing.T) {
	srv, _ := startWithClock(t, nil)
	p := mint(t, signedIn(t, srv, "ann@example.com"), "")
	if out, code := srv.CLI(t, "", "user", "set-status", "ann@example.com", "inactive"); code != 0 {
		t.Fatalf("set-status: %d %s", code, out)
	}
	wantError(t, bearer(srv, t, "GET", "/api/v1/me", p.AccessToken), http.StatusForbidden, "USER_INACTIVE")
	wantError(t, bearer(srv, t, "GET", "/api/v1/auth/verify", p.AccessToken), http.StatusForbidden, "USER_INACTIVE")
}
