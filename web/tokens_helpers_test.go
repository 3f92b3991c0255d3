package web_test

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/sqlstore"
	"github.com/toriihq/torii/testserver"
)

// tokenPair is the JSON answer of /auth/token and /auth/token/refresh.
type tokenPair struct {
	AccessToken  string `json:"accessToken"`
	TokenType    string `json:"tokenType"`
	ExpiresIn    int    `json:"expiresIn"`
	RefreshToken string `json:"refreshToken"`
}

// t0Tokens is the injected clock's start in token tests.
var t0Tokens = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// startWithClock starts a server on an injected clock.
func startWithClock(t *testing.T, env map[string]string) (*testserver.Server, *testserver.Clock) {
	t.Helper()
	clock := testserver.NewClock(t0Tokens)
	return testserver.Start(t, testserver.Options{Env: env, AppOptions: appOpts(clock)}), clock
}

// signedIn registers a user and returns its client (holding the cookie).
func signedIn(t *testing.T, srv *testserver.Server, email string) *testserver.Client {
	t.Helper()
	c := srv.Client(t)
	registerUser(t, c, email, "Ann Example")
	return c
}

// mint asks for a token pair with the client's session.
func mint(t *testing.T, c *testserver.Client, query string) tokenPair {
	t.Helper()
	r := c.Do("POST", "/api/v1/auth/token"+query, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("POST /api/v1/auth/token%s: %d %s", query, r.Status, r.Body)
	}
	var p tokenPair
	r.Decode(t, &p)
	return p
}

// refresh exchanges a refresh token, without any cookie.
func refresh(srv *testserver.Server, t *testing.T, token string) *testserver.Response {
	return srv.Client(t).Do("POST", "/api/v1/auth/token/refresh", map[string]string{"refreshToken": token})
}

// bearer calls path with only an Authorization header.
func bearer(srv *testserver.Server, t *testing.T, method, path, token string, headers ...string) *testserver.Response {
	return srv.Client(t).Do(method, path, nil, append([]string{"Authorization", "Bearer " + token}, headers...)...)
}

// claimsOf decodes a JWT's header and payload without verifying it.
func claimsOf(t *testing.T, raw string) (header, claims map[string]any) {
	t.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q has %d parts", raw, len(parts))
	}
	for i, dst := range []*map[string]any{&header, &claims} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, dst); err != nil {
			t.Fatal(err)
		}
	}
	return header, claims
}

// storeOf opens the server's database beside it, as a second process
// would; tests use it to read what only the database holds.
func storeOf(t *testing.T, srv *testserver.Server) *sqlstore.Store {
	t.Helper()
	st, err := sqlstore.Open(t.Context(), srv.Database)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// serverKey returns the server's current signing key, read from its
// database: tests sign tokens torii would never issue with it, to check
// that the claims, not only the signature, are verified.
func serverKey(t *testing.T, srv *testserver.Server) (string, *rsa.PrivateKey) {
	t.Helper()
	keys, err := storeOf(t, srv).SigningKeys(t.Context())
	if err != nil || len(keys) == 0 {
		t.Fatalf("signing keys: %v %v", keys, err)
	}
	k, err := x509.ParsePKCS8PrivateKey(keys[0].PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	return keys[0].ID, k.(*rsa.PrivateKey)
}

// sign makes a compact JWS of claims with key, alg and kid.
func sign(t *testing.T, alg jose.SignatureAlgorithm, key any, kid string, claims any) string {
	t.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jwt.Signed(s).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// goodClaims are the claims torii itself would issue for user 1 at now.
func goodClaims(srv *testserver.Server, now time.Time) map[string]any {
	return map[string]any{
		"iss": srv.Env["TORII_BASE_URL"], "aud": srv.Env["TORII_BASE_URL"], "sub": "1",
		"email": "ann@example.com", "name": "Ann Example",
		"iat": now.Unix(), "exp": now.Add(15 * time.Minute).Unix(),
	}
}

// with returns a copy of m with k set to v (or removed when v is nil).
func with(m map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
		} else {
			out[kv[i].(string)] = kv[i+1]
		}
	}
	return out
}

// auditEvents lists the server's audit events with that name.
func auditEvents(t *testing.T, srv *testserver.Server, event string) []torii.AuditEvent {
	t.Helper()
	list, err := storeOf(t, srv).ListAudit(t.Context(), torii.AuditFilter{Event: event})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// wantStatus fails unless r has the status.
func wantStatus(t *testing.T, what string, r *testserver.Response, status int) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("%s: %d %s, want %d", what, r.Status, r.Body, status)
	}
}
