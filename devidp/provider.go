// Package devidp is a small but real OpenID provider for development and
// tests: discovery, an authorize page where you pick or type a test user
// (and tick email_verified), a token endpoint that checks PKCE (S256),
// JWKS and userinfo. `torii dev-idp` serves it; tests run the same code
// in-process and use its knobs to mint bad tokens (wrong aud/iss/signature/
// alg, expired, missing claims, unverified email, rotated key).
//
// Anyone who can reach it can sign in as anyone: it is for development and
// tests only, and the CLI binds it to loopback by default.
package devidp

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Client is an OAuth client the provider knows.
type Client struct {
	ID     string
	Secret string
	// RedirectURIs are the allowed redirect URIs; empty allows any http(s)
	// URI, which is what a development provider on loopback wants.
	RedirectURIs []string
}

// User is a test user shown on the authorize page.
type User struct {
	Subject       string
	Email         string
	Name          string
	EmailVerified bool
	HostedDomain  string
	Picture       string
}

// Options configure a Provider.
type Options struct {
	// Issuer is the provider's public URL (http://127.0.0.1:9090). It may be
	// set later with SetIssuer, once a test server knows its address.
	Issuer  string
	Clients []Client
	// Users are offered on the authorize page (default: defaultUsers).
	Users []User
	// Now is the clock for token times (default time.Now).
	Now func() time.Time
	// TokenTTL is the lifetime of ID and access tokens (default 1 h).
	TokenTTL time.Duration
	Logger   *slog.Logger
	// RSAKey replaces the making of signing keys (rsa.GenerateKey, 2048
	// bits): tests that start many providers share one made in advance.
	RSAKey func() (*rsa.PrivateKey, error)
}

// defaultUsers are the test users the authorize page offers.
var defaultUsers = []User{
	{Email: "ada@example.com", Name: "Ada Lovelace", EmailVerified: true},
	{Email: "grace@example.com", Name: "Grace Hopper", EmailVerified: true},
	{Email: "alan@example.org", Name: "Alan Turing (unverified email)", EmailVerified: false},
}

// codeTTL is how long an authorization code may wait to be redeemed.
const codeTTL = time.Minute

// Provider is the OpenID provider, an http.Handler. Safe for concurrent use.
type Provider struct {
	opts Options
	mux  *http.ServeMux

	mu     sync.Mutex
	issuer string
	keys   []*signingKey // the last one signs; all are published
	codes  map[string]*authCode
	access map[string]accessGrant

	// Knobs for tests.
	discoveryIssuer string
	failDiscovery   bool
	failToken       bool // the token endpoint answers 503 (knobs.go)
	failJWKS        bool // the JWKS answers 503 (knobs.go)
	idTokenHook     func(Claims)
	jwksFetches     atomic.Int64
}

type signingKey struct {
	id  string
	key *rsa.PrivateKey
}

// New returns a provider with one fresh RSA signing key.
func New(opts Options) (*Provider, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = time.Hour
	}
	if opts.Users == nil {
		opts.Users = defaultUsers
	}
	opts.Users = slices.Clone(opts.Users)
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	for i := range opts.Users {
		if opts.Users[i].Subject == "" {
			opts.Users[i].Subject = SubjectFor(opts.Users[i].Email)
		}
	}
	p := &Provider{opts: opts, issuer: strings.TrimSuffix(opts.Issuer, "/"),
		codes: map[string]*authCode{}, access: map[string]accessGrant{}}
	if err := p.RotateKey(); err != nil {
		return nil, err
	}
	p.mux = http.NewServeMux()
	p.mux.HandleFunc("GET /.well-known/openid-configuration", p.discovery)
	p.mux.HandleFunc("GET /authorize", p.authorizePage)
	p.mux.HandleFunc("POST /authorize", p.authorizeSubmit)
	p.mux.HandleFunc("POST /token", p.token)
	p.mux.HandleFunc("GET /jwks", p.jwks)
	p.mux.HandleFunc("GET /userinfo", p.userinfo)
	p.mux.HandleFunc("GET /{$}", p.home)
	return p, nil
}

// ServeHTTP implements http.Handler.
func (p *Provider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	p.mux.ServeHTTP(w, r)
}

// Issuer returns the issuer URL.
func (p *Provider) Issuer() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.issuer
}

// SetIssuer sets the issuer URL (for a server whose address is known only
// once it listens).
func (p *Provider) SetIssuer(issuer string) {
	p.mu.Lock()
	p.issuer = strings.TrimSuffix(issuer, "/")
	p.mu.Unlock()
}

// RotateKey makes a fresh key the signing key. The previous keys stay in
// the JWKS, as a real provider keeps them while tokens they signed live.
func (p *Provider) RotateKey() error {
	k, err := newKey(p.opts.RSAKey)
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.keys = append(p.keys, k)
	p.mu.Unlock()
	return nil
}

// newKey makes a signing key with gen (nil: a fresh 2048-bit key) and a
// random key id.
func newKey(gen func() (*rsa.PrivateKey, error)) (*signingKey, error) {
	if gen == nil {
		gen = func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) }
	}
	key, err := gen()
	if err != nil {
		return nil, fmt.Errorf("devidp: generate key: %w", err)
	}
	return &signingKey{id: randomString(12), key: key}, nil
}

func (p *Provider) currentKey() *signingKey {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.keys[len(p.keys)-1]
}

// SetDiscoveryIssuer makes discovery announce another issuer than the
// provider's URL ("" restores it), as a misconfigured or spoofed provider
// would (security.md A.9).
func (p *Provider) SetDiscoveryIssuer(issuer string) {
	p.mu.Lock()
	p.discoveryIssuer = issuer
	p.mu.Unlock()
}

// SetFailDiscovery makes discovery answer 503 while on.
func (p *Provider) SetFailDiscovery(fail bool) {
	p.mu.Lock()
	p.failDiscovery = fail
	p.mu.Unlock()
}

// SetIDTokenHook lets a test change the claims of the ID tokens the token
// endpoint issues (wrong nonce, missing claims…); nil removes it.
func (p *Provider) SetIDTokenHook(hook func(Claims)) {
	p.mu.Lock()
	p.idTokenHook = hook
	p.mu.Unlock()
}

// JWKSFetches returns how many times the JWKS was served.
func (p *Provider) JWKSFetches() int64 { return p.jwksFetches.Load() }

func (p *Provider) client(id string) (Client, bool) {
	for _, c := range p.opts.Clients {
		if c.ID == id {
			return c, true
		}
	}
	return Client{}, false
}

func (p *Provider) discovery(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	fail, announced := p.failDiscovery, p.discoveryIssuer
	p.mu.Unlock()
	if fail {
		http.Error(w, "discovery is switched off (test knob)", http.StatusServiceUnavailable)
		return
	}
	iss := p.Issuer()
	if announced == "" {
		announced = iss
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                announced,
		"authorization_endpoint":                iss + "/authorize",
		"token_endpoint":                        iss + "/token",
		"jwks_uri":                              iss + "/jwks",
		"userinfo_endpoint":                     iss + "/userinfo",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"scopes_supported":                      []string{"openid", "email", "profile"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
		"code_challenge_methods_supported":      []string{"S256"},
		"grant_types_supported":                 []string{"authorization_code"},
		"claims_supported": []string{"iss", "sub", "aud", "azp", "exp", "iat", "nonce", "email",
			"email_verified", "name", "picture", "hd"},
	})
}

func (p *Provider) jwks(w http.ResponseWriter, r *http.Request) {
	p.jwksFetches.Add(1)
	if p.failing(&p.failJWKS, w) {
		return
	}
	p.mu.Lock()
	set := jose.JSONWebKeySet{}
	for _, k := range p.keys {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: &k.key.PublicKey, KeyID: k.id, Algorithm: "RS256", Use: "sig"})
	}
	p.mu.Unlock()
	writeJSON(w, http.StatusOK, set)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
