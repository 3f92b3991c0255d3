package web_test

import (
	"encoding/base64"
	"math/big"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/toriihq/torii/testserver"
)

func TestToken_ClaimsHeaderAndShape(t *testing.T) {
	srv, _ := startWithClock(t, nil)
	c := signedIn(t, srv, "ann@example.com")
	var me struct {
		User struct {
			ID int64 `json:"id"`
		} `json:"user"`
	}
	c.Do("GET", "/api/v1/me", nil).Decode(t, &me)
	p := mint(t, c, "")
	if p.TokenType != "Bearer" || p.ExpiresIn != 900 || len(p.RefreshToken) < 43 || p.AccessToken == "" {
		t.Fatalf("pair = %+v", p)
	}
	header, claims := claimsOf(t, p.AccessToken)
	base := srv.Env["TORII_BASE_URL"]
	want := map[string]any{
		"iss": base, "aud": base, "sub": strconv.FormatInt(me.User.ID, 10),
		"email": "ann@example.com", "name": "Ann Example",
		"iat": float64(t0Tokens.Unix()), "exp": float64(t0Tokens.Add(15 * time.Minute).Unix()),
	}
	for k, v := range want {
		if claims[k] != v {
			t.Errorf("claim %s = %v, want %v", k, claims[k], v)
		}
	}
	if header["alg"] != "RS256" || header["typ"] != "JWT" || header["kid"] == "" {
		t.Errorf("header = %v", header)
	}
	if kids := jwksKids(t, srv); !slices.Contains(kids, header["kid"].(string)) {
		t.Errorf("kid %v not in the JWKS %v", header["kid"], kids)
	}
}

func TestToken_NeedsSignIn(t *testing.T) {
	srv, _ := startWithClock(t, nil)
	wantError(t, srv.Client(t).Do("POST", "/api/v1/auth/token", nil), http.StatusUnauthorized, "UNAUTHORIZED")
}

func TestToken_AudienceMustBeAllowed(t *testing.T) {
	srv, _ := startWithClock(t, map[string]string{"TORII_TOKEN_AUDIENCES": "https://dash.example.com,api://reports"})
	c := signedIn(t, srv, "ann@example.com")
	r := c.Do("POST", "/api/v1/auth/token?audience=https://evil.example.com", nil)
	wantError(t, r, http.StatusUnprocessableEntity, "VALIDATION_ERROR")
	if !strings.Contains(string(r.Body), `"audience"`) {
		t.Fatalf("no fields.audience in %s", r.Body)
	}
	for _, aud := range []string{"https://dash.example.com", "api://reports", srv.Env["TORII_BASE_URL"]} {
		p := mint(t, c, "?audience="+aud)
		if _, claims := claimsOf(t, p.AccessToken); claims["aud"] != aud {
			t.Errorf("asked %s, got aud %v", aud, claims["aud"])
		}
	}
}

// A cookie is an ambient credential: a cross-site page must not mint
// tokens with it.
func TestToken_CrossSiteMintRefused(t *testing.T) {
	srv, _ := startWithClock(t, nil)
	c := signedIn(t, srv, "ann@example.com")
	wantError(t, c.Do("POST", "/api/v1/auth/token", nil, "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example.com"),
		http.StatusForbidden, "FORBIDDEN")
}

func jwksOf(t *testing.T, srv *testserver.Server) (*testserver.Response, []map[string]any) {
	t.Helper()
	r := srv.Client(t).Do("GET", "/.well-known/jwks.json", nil)
	wantStatus(t, "GET /.well-known/jwks.json", r, http.StatusOK)
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	r.Decode(t, &set)
	return r, set.Keys
}

func jwksKids(t *testing.T, srv *testserver.Server) []string {
	t.Helper()
	_, keys := jwksOf(t, srv)
	var kids []string
	for _, k := range keys {
		kids = append(kids, k["kid"].(string))
	}
	return kids
}

func TestJWKS_PublishesPublicKeysWithCacheHeaders(t *testing.T) {
	srv, _ := startWithClock(t, nil)
	r, keys := jwksOf(t, srv)
	if cc := r.Header.Get("Cache-Control"); cc != "public, max-age=300" {
		t.Errorf("Cache-Control = %q", cc)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q", ct)
	}
	if len(keys) != 1 {
		t.Fatalf("a new server publishes %d keys, want 1 (made at first start): %s", len(keys), r.Body)
	}
	k := keys[0]
	if k["kty"] != "RSA" || k["alg"] != "RS256" || k["use"] != "sig" || k["kid"] == "" || k["e"] != "AQAB" {
		t.Errorf("key = %v", k)
	}
	n, _ := base64.RawURLEncoding.DecodeString(k["n"].(string))
	if bits := new(big.Int).SetBytes(n).BitLen(); bits != 2048 {
		t.Errorf("modulus has %d bits, want 2048", bits)
	}
	for _, private := range []string{"d", "p", "q", "dp", "dq", "qi"} {
		if _, ok := k[private]; ok {
			t.Errorf("the JWKS publishes the private member %q", private)
		}
	}
}

// The private key is in the database and nowhere else: not in the logs,
// not in any answer.
func TestKeys_PrivateKeyNeverLeaves(t *testing.T) {
	srv, _ := startWithClock(t, nil)
	c := signedIn(t, srv, "ann@example.com")
	p := mint(t, c, "")
	refresh(srv, t, p.RefreshToken)
	_, key := serverKey(t, srv)
	d := base64.RawURLEncoding.EncodeToString(key.D.Bytes())
	prime := base64.RawURLEncoding.EncodeToString(key.Primes[0].Bytes())
	keys, _ := storeOf(t, srv).SigningKeys(t.Context())
	der := base64.StdEncoding.EncodeToString(keys[0].PrivateKey)
	jwks := srv.Client(t).Do("GET", "/.well-known/jwks.json", nil).Body
	for name, haystack := range map[string]string{"logs": srv.Logs.String(), "JWKS": string(jwks)} {
		for _, secret := range []string{d, prime, der[:64], key.D.String()[:40]} {
			if strings.Contains(haystack, secret) {
				t.Errorf("the %s contain private key material", name)
			}
		}
	}
	if !strings.Contains(srv.Logs.String(), "signing key rotated") {
		t.Error("the first key's creation was not logged (by kid)")
	}
}

// One key per rotation period; the previous one stays published, and its
// tokens keep verifying, until they have all expired.
func TestKeys_PreviousKeyVerifiesUntilItsTokensExpire(t *testing.T) {
	srv, clock := startWithClock(t, nil)
	c := signedIn(t, srv, "ann@example.com")
	first := jwksKids(t, srv)
	if len(first) != 1 {
		t.Fatalf("kids at start: %v", first)
	}
	clock.Advance(24*time.Hour - time.Minute)
	mint(t, c, "") // keeps the session alive
	old := mint(t, c, "")
	if h, _ := claimsOf(t, old.AccessToken); h["kid"] != first[0] {
		t.Fatalf("before rotation, signed by %v, want %s", h["kid"], first[0])
	}

	clock.Advance(time.Minute) // the first key has signed for 24 h
	fresh := mint(t, c, "")
	h, _ := claimsOf(t, fresh.AccessToken)
	if h["kid"] == first[0] {
		t.Fatal("no new key after 24 h")
	}
	if kids := jwksKids(t, srv); !slices.Equal(kids, []string{h["kid"].(string), first[0]}) {
		t.Fatalf("JWKS after rotation = %v, want the new key then the previous one", kids)
	}
	wantStatus(t, "old key's token after rotation", bearer(srv, t, "GET", "/api/v1/me", old.AccessToken), http.StatusOK)
	clock.Advance(14 * time.Minute)
	wantStatus(t, "old key's token, 15 min after it was issued", bearer(srv, t, "GET", "/api/v1/me", old.AccessToken), http.StatusOK)
	wantStatus(t, "new key's token", bearer(srv, t, "GET", "/api/v1/me", fresh.AccessToken), http.StatusOK)

	clock.Advance(time.Minute)
	wantError(t, bearer(srv, t, "GET", "/api/v1/me", old.AccessToken), http.StatusUnauthorized, "UNAUTHORIZED")
	// Published for 30 min after retirement, then gone from the JWKS and
	// from the database.
	clock.Advance(15 * time.Minute)
	if kids := jwksKids(t, srv); !slices.Equal(kids, []string{h["kid"].(string)}) {
		t.Fatalf("JWKS 30 min after rotation = %v, want only the new key", kids)
	}
	if keys, _ := storeOf(t, srv).SigningKeys(t.Context()); len(keys) != 1 {
		t.Errorf("%d keys in the database, want the expired one deleted", len(keys))
	}
	wantStatus(t, "a token of the new key", bearer(srv, t, "GET", "/api/v1/me", mint(t, c, "").AccessToken), http.StatusOK)
}

// Two instances on one database share the keys: what one signs the other
// verifies, and a rotation made by one is picked up by the other.
func TestKeys_SharedByInstancesOnOneDatabase(t *testing.T) {
	clock := testserver.NewClock(t0Tokens)
	a := testserver.Start(t, testserver.Options{AppOptions: appOpts(clock)})
	b := testserver.Start(t, testserver.Options{AppOptions: appOpts(clock),
		Env: map[string]string{"TORII_DATABASE": a.Database, "TORII_BASE_URL": a.Env["TORII_BASE_URL"]}})
	if ka, kb := jwksKids(t, a), jwksKids(t, b); !slices.Equal(ka, kb) || len(ka) != 1 {
		t.Fatalf("instance keys differ: %v vs %v", ka, kb)
	}
	p := mint(t, signedIn(t, a, "ann@example.com"), "")
	wantStatus(t, "a's token on b", bearer(b, t, "GET", "/api/v1/me", p.AccessToken), http.StatusOK)

	clock.Advance(24 * time.Hour)
	c := a.Client(t)
	login(c, "ann@example.com", goodPassword)
	rotated := mint(t, c, "")
	wantStatus(t, "a's new key's token on b", bearer(b, t, "GET", "/api/v1/me", rotated.AccessToken), http.StatusOK)
	if ka, kb := jwksKids(t, a), jwksKids(t, b); !slices.Equal(ka, kb) || len(ka) != 2 {
		t.Fatalf("after rotation: a %v, b %v; want the same two keys", ka, kb)
	}
}
