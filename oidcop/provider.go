// Package oidcop makes torii an OpenID Provider ("Sign in with torii",
// issue 16) with github.com/zitadel/oidc/v3's pkg/op: the protocol
// (authorization code flow with PKCE, token, userinfo, revocation,
// introspection, RP-initiated logout, discovery) is the library's; the
// storage behind it (storage.go) is torii's service, its store and its
// signing keys. The sign-in and consent steps between /authorize and the
// code are torii's own pages (package web).
package oidcop

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/ratelimit"
	"github.com/toriihq/torii/service"
)

// The provider's paths, below TORII_BASE_URL (the issuer).
const (
	DiscoveryPath  = "/.well-known/openid-configuration"
	JWKSPath       = "/.well-known/jwks.json" // torii's existing JWKS
	AuthorizePath  = "/oauth2/authorize"
	CallbackPath   = AuthorizePath + "/callback" // the library's; issues the code
	TokenPath      = "/oauth2/token"
	UserinfoPath   = "/oauth2/userinfo"
	RevokePath     = "/oauth2/revoke"
	IntrospectPath = "/oauth2/introspect"
	EndSessionPath = "/oauth2/end_session"
	// ContinuePath is torii's step after /authorize (the clients'
	// LoginURL): sign-in, torii's rules, consent. GET ?id=<request id>.
	ContinuePath = "/oauth2/continue"
	// ConsentPath is the consent page: GET ?id= shows it, POST (id,
	// decision=approve|deny) answers it. The web package serves it.
	ConsentPath = "/oauth2/consent"
)

// Provider is torii's OpenID Provider.
type Provider struct {
	op     *op.Provider
	issuer string
	svc    *service.Service
	// starts bounds authorization requests per client IP: each stores a
	// row until it expires, and anyone may start one.
	starts *ratelimit.Limiter
}

// authorizeRate bounds /oauth2/authorize per client IP.
var authorizeRate = struct {
	limit  int
	window time.Duration
}{120, time.Minute}

// New builds the provider for issuer (TORII_BASE_URL, without a trailing
// slash). An http issuer is accepted (the library wants https) because
// torii runs on plain http behind a TLS proxy or on loopback in tests.
func New(svc *service.Service, issuer string, logger *slog.Logger) (*Provider, error) {
	issuer = strings.TrimSuffix(issuer, "/")
	cfg := &op.Config{
		CodeMethodS256:           true,
		AuthMethodPost:           true,
		GrantTypeRefreshToken:    true,
		DefaultLogoutRedirectURI: issuer + "/login?signed_out=1",
		SupportedScopes:          service.OAuthScopes,
		SupportedClaims: []string{"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "amr", "azp", "at_hash",
			"name", "picture", "email", "email_verified", "groups", "roles"},
	}
	abs := func(p string) *op.Endpoint { return op.NewEndpointWithURL(p, issuer+p) }
	opts := []op.Option{
		op.WithCrypto(opaqueCodes{}),
		op.WithCustomEndpoints(abs(AuthorizePath), abs(TokenPath), abs(UserinfoPath), abs(RevokePath), abs(EndSessionPath), abs(JWKSPath)),
		op.WithCustomIntrospectionEndpoint(abs(IntrospectPath)),
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	opts = append(opts, op.WithLogger(logger))
	if strings.HasPrefix(issuer, "http://") {
		opts = append(opts, op.WithAllowInsecure())
	}
	p, err := op.NewProvider(cfg, &storage{svc: svc, issuer: issuer}, op.StaticIssuer(issuer), opts...)
	if err != nil {
		return nil, err
	}
	return &Provider{op: p, issuer: issuer, svc: svc, starts: ratelimit.New(authorizeRate.limit, authorizeRate.window, time.Now)}, nil
}

// Issuer returns the issuer.
func (p *Provider) Issuer() string { return p.issuer }

// browser carries the requesting browser's torii session to the storage
// (end_session ends it).
type browser struct {
	sessionToken string
	meta         service.Meta
}

type browserKey struct{}

// Handler serves the provider's endpoints; session returns the request's
// torii session token and meta (for RP-initiated logout). Discovery is
// torii's (the library's, narrowed to what torii supports: the code flow,
// S256).
func (p *Provider) Handler(session func(*http.Request) (string, service.Meta)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == DiscoveryPath {
			p.discovery(w, r)
			return
		}
		switch r.URL.Path {
		case EndSessionPath:
			tok, m := session(r)
			r = r.WithContext(context.WithValue(r.Context(), browserKey{}, browser{sessionToken: tok, meta: m}))
		case AuthorizePath:
			_, m := session(r)
			if ok, retry := p.starts.Allow(m.IP); !ok {
				w.Header().Set("Retry-After", strconv.Itoa(int(retry.Seconds()+0.999)))
				http.Error(w, "Too many sign-in requests from this address; try again shortly.", http.StatusTooManyRequests)
				return
			}
		}
		p.op.ServeHTTP(w, r)
	})
}

func (p *Provider) discovery(w http.ResponseWriter, r *http.Request) {
	ctx := op.ContextWithIssuer(r.Context(), p.issuer)
	d := op.CreateDiscoveryConfig(ctx, p.op, p.op.Storage())
	d.ResponseTypesSupported = []string{string(oidc.ResponseTypeCode)}
	d.GrantTypesSupported = []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken}
	d.CodeChallengeMethodsSupported = []oidc.CodeChallengeMethod{oidc.CodeChallengeMethodS256}
	d.ResponseModesSupported = []string{string(oidc.ResponseModeQuery)}
	d.DeviceAuthorizationEndpoint, d.CheckSessionIframe = "", ""
	d.TokenEndpointAuthMethodsSupported = []oidc.AuthMethod{oidc.AuthMethodBasic, oidc.AuthMethodPost, oidc.AuthMethodNone}
	d.IntrospectionEndpointAuthMethodsSupported = []oidc.AuthMethod{oidc.AuthMethodBasic, oidc.AuthMethodPost}
	d.RevocationEndpointAuthMethodsSupported = []oidc.AuthMethod{oidc.AuthMethodBasic, oidc.AuthMethodPost, oidc.AuthMethodNone}
	d.RequestObjectSigningAlgValuesSupported, d.RequestParameterSupported = nil, false
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	// Public metadata, read by single-page apps from their own origin.
	w.Header().Set("Access-Control-Allow-Origin", "*")
	_ = json.NewEncoder(w).Encode(d)
}

// CallbackURL is where the browser goes once a request is complete: the
// library's callback, which issues the code and redirects to the client.
func (p *Provider) CallbackURL(id string) string {
	return p.issuer + CallbackPath + "?id=" + url.QueryEscape(id)
}

// Protocol errors the sign-in step answers to the client (prompt=none,
// a refused consent).
var (
	ErrLoginRequired   = oidc.ErrLoginRequired
	ErrConsentRequired = func() *oidc.Error {
		return &oidc.Error{ErrorType: "consent_required", Description: "The user has not consented to this app yet."}
	}
	ErrAccessDenied = oidc.ErrAccessDenied
)

// Fail answers the client's redirect URI with a protocol error for
// request r (whose redirect URI was checked at /authorize).
func (p *Provider) Fail(w http.ResponseWriter, r *http.Request, req torii.OAuthAuthRequest, err *oidc.Error) {
	op.AuthRequestError(w, r, &authRequest{req}, err, p.op)
}
