package oidc_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/toriihq/torii/oidc"
)

// testProvider is an OpenID provider on loopback whose discovery document
// and JWKS a test shapes freely (advertised algorithms, keys for another
// use, `oct` keys, pinned algorithms), and which counts JWKS fetches.
type testProvider struct {
	srv *httptest.Server

	mu        sync.Mutex
	algs      []string
	jwks      []map[string]any // published as is
	jwksFail  bool             // JWKS answers 503
	token     http.HandlerFunc // the token endpoint (default 404)
	discHook  http.HandlerFunc // when set, answers discovery instead
	fetches   atomic.Int64
	discovery atomic.Int64
}

// rsaKey is a fresh RSA key named kid.
func rsaKey(t testing.TB, kid string) *jose.JSONWebKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return &jose.JSONWebKey{Key: k, KeyID: kid}
}

func ecKey(t testing.TB, kid string) *jose.JSONWebKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &jose.JSONWebKey{Key: k, KeyID: kid}
}

// jwk returns key's JWK as a map: the public half unless private is true,
// with alg and use set when not empty.
func jwk(t testing.TB, key *jose.JSONWebKey, alg, use string, private bool) map[string]any {
	t.Helper()
	k := *key
	if !private {
		k = key.Public()
	}
	k.Algorithm, k.Use = alg, use
	b, err := k.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func startProvider(t testing.TB, algs []string, jwks ...map[string]any) *testProvider {
	t.Helper()
	p := &testProvider{algs: algs, jwks: jwks}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		p.discovery.Add(1)
		p.mu.Lock()
		algs, hook := p.algs, p.discHook
		p.mu.Unlock()
		if hook != nil {
			hook(w, r)
			return
		}
		writeJSON(w, map[string]any{
			"issuer": p.srv.URL, "authorization_endpoint": p.srv.URL + "/authorize",
			"token_endpoint": p.srv.URL + "/token", "jwks_uri": p.srv.URL + "/jwks",
			"id_token_signing_alg_values_supported": algs,
		})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		p.fetches.Add(1)
		p.mu.Lock()
		fail, keys := p.jwksFail, p.jwks
		p.mu.Unlock()
		if fail {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		writeJSON(w, map[string]any{"keys": keys})
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		h := p.token
		p.mu.Unlock()
		if h == nil {
			http.NotFound(w, r)
			return
		}
		h(w, r)
	})
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// publish replaces the JWKS.
func (p *testProvider) publish(keys ...map[string]any) {
	p.mu.Lock()
	p.jwks = keys
	p.mu.Unlock()
}

func (p *testProvider) setJWKSFail(fail bool) {
	p.mu.Lock()
	p.jwksFail = fail
	p.mu.Unlock()
}

func (p *testProvider) setToken(h http.HandlerFunc) {
	p.mu.Lock()
	p.token = h
	p.mu.Unlock()
}

// claims are valid claims for the client "client", issued at now.
func (p *testProvider) claims(now time.Time) map[string]any {
	return map[string]any{
		"iss": p.srv.URL, "sub": "1001", "aud": "client", "azp": "client",
		"email": "ada@example.com", "email_verified": true,
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}
}

// client returns a torii client of the provider for "client", on clock now.
func (p *testProvider) client(now func() time.Time, mutate ...func(*oidc.Config)) *oidc.Client {
	cfg := oidc.Config{Issuer: p.srv.URL, ClientID: "client", ClientSecret: "secret",
		RedirectURL: "http://127.0.0.1:1/cb", Now: now}
	for _, m := range mutate {
		m(&cfg)
	}
	return oidc.New(cfg)
}

// sign returns a compact JWS of claims signed with key by alg, naming kid
// (no kid header when kid is empty).
func sign(t testing.TB, key *jose.JSONWebKey, alg jose.SignatureAlgorithm, kid string, claims map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader(jose.HeaderKey("kid"), kid)
	}
	signingKey := any(key.Key)
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: signingKey}, opts)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := s.Sign(b)
	if err != nil {
		t.Fatal(err)
	}
	out, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}
