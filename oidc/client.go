// Package oidc is torii's client of an OpenID provider (Google by default):
// discovery with retry (go-oidc), the authorization-code flow with PKCE
// (oauth2), and ID token verification by go-oidc's IDTokenVerifier with
// torii's key set (which bounds JWKS refetches) plus the checks go-oidc
// leaves to its callers (`azp` with several audiences, `sub` and `iat`
// presence, nonce, hosted domain).
//
// Every rejection is an *Error: a coded torii error (UNAUTHORIZED,
// NOT_ALLOWED or SERVICE_UNAVAILABLE) with the reason (ErrReason), so
// clients see a safe message and logs and audit see which check failed.
package oidc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"
)

// GoogleIssuer is Google's issuer URL.
const GoogleIssuer = "https://accounts.google.com"

// googleIssuerNoScheme is the `iss` Google sometimes puts in ID tokens
// instead of GoogleIssuer; accepted from Google only, as go-oidc does.
const googleIssuerNoScheme = "accounts.google.com"

// Timeouts and retry bounds for talking to the provider.
const (
	fetchTimeout = 10 * time.Second
	// DefaultLeeway is the clock skew tolerated on `exp` and `iat`.
	DefaultLeeway = time.Minute
	// Discovery is retried after a failure: at first after retryMin, then
	// twice as long each time, up to retryMax.
	retryMin = 5 * time.Second
	retryMax = 5 * time.Minute
)

// allowedAlgs are the signature algorithms accepted in ID tokens: the
// asymmetric ones only, so `none` and HS256 (signed with the public key
// as an HMAC secret) never parse (security.md A.3).
var allowedAlgs = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.ES512, jose.EdDSA,
}

// Config configures a Client. Issuer and ClientID are required.
type Config struct {
	// Issuer is the provider's issuer URL; discovery reads
	// Issuer/.well-known/openid-configuration and must name the same issuer.
	Issuer       string
	ClientID     string
	ClientSecret string
	// RedirectURL is BASE_URL/auth/google/callback.
	RedirectURL string
	// HostedDomain, when set, is the only accepted `hd` claim.
	HostedDomain string
	// HTTPClient talks to the provider (default: a client with a 10 s timeout).
	HTTPClient *http.Client
	// Now is the clock for token times and JWKS refetch bounds (default time.Now).
	Now func() time.Time
	// Leeway is the clock skew tolerated on exp and iat (default DefaultLeeway).
	Leeway time.Duration
	// MinRefetch is the least time between JWKS fetches (default
	// DefaultMinRefetch, 10 s).
	MinRefetch time.Duration
	// RetryMin is the least time between discovery attempts (default 5 s).
	RetryMin time.Duration
	Logger   *slog.Logger
}

// Client talks to one OpenID provider. It is safe for concurrent use. Until
// discovery succeeds, every call fails with SERVICE_UNAVAILABLE; discovery
// is retried in the background by Run and on demand by the calls.
type Client struct {
	cfg Config
	log *slog.Logger

	mu       sync.Mutex
	disc     *discovered
	last     *discoveryAttempt // the last finished attempt
	lastTry  time.Time         // real time: retry pacing must not depend on test clocks
	inflight *discoveryAttempt
}

// discoveryAttempt is one discovery; its result is set before done closes.
type discoveryAttempt struct {
	done chan struct{}
	disc *discovered
	err  error
}

// discovered is what discovery yields.
type discovered struct {
	// algs are the signing algorithms accepted in ID tokens: the
	// provider's advertised ones that are in allowedAlgs.
	algs     []string
	oauth    oauth2.Config
	keys     *keySet
	verifier *gooidc.IDTokenVerifier
}

// New returns a client for cfg. It does not contact the provider: call Run.
func New(cfg Config) *Client {
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: fetchTimeout}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Leeway <= 0 {
		cfg.Leeway = DefaultLeeway
	}
	if cfg.MinRefetch <= 0 {
		cfg.MinRefetch = DefaultMinRefetch
	}
	if cfg.RetryMin <= 0 {
		cfg.RetryMin = retryMin
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	cfg.HostedDomain = strings.ToLower(cfg.HostedDomain)
	return &Client{cfg: cfg, log: cfg.Logger}
}

// Issuer returns the configured issuer.
func (c *Client) Issuer() string { return c.cfg.Issuer }

// IsGoogle reports whether the provider is Google (whose GIS button and One
// Tap the pages may then load).
func (c *Client) IsGoogle() bool { return c.cfg.Issuer == GoogleIssuer }

// Run discovers the provider, retrying with backoff until it succeeds or
// ctx ends. Each failure is logged as one clear line with the error of
// that very attempt (Run always makes or joins a fresh attempt; it never
// repeats the result of an earlier one).
func (c *Client) Run(ctx context.Context) {
	delay := c.cfg.RetryMin
	for {
		_, err := c.retry(ctx)
		if err == nil || ctx.Err() != nil {
			return
		}
		c.log.Error("OpenID discovery failed; Google sign-in is unavailable until it succeeds",
			"issuer", c.cfg.Issuer, "err", err, "retry_in", delay)
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		delay = min(2*delay, retryMax)
	}
}

// ready returns the discovered provider, running discovery if it has not
// succeeded and the last attempt is older than RetryMin (within it, the
// last attempt's error is answered at once). Concurrent callers share one
// attempt.
func (c *Client) ready(ctx context.Context) (*discovered, error) {
	return c.discovery(ctx, true)
}

// retry is ready without the RetryMin pacing, for Run, whose own backoff
// spaces its attempts.
func (c *Client) retry(ctx context.Context) (*discovered, error) {
	return c.discovery(ctx, false)
}

func (c *Client) discovery(ctx context.Context, paced bool) (*discovered, error) {
	c.mu.Lock()
	if c.disc != nil {
		d := c.disc
		c.mu.Unlock()
		return d, nil
	}
	a := c.inflight
	if a == nil {
		if paced && c.last != nil && time.Since(c.lastTry) < c.cfg.RetryMin {
			err := c.last.err
			c.mu.Unlock()
			return nil, discoveryError(err)
		}
		a = &discoveryAttempt{done: make(chan struct{})}
		c.inflight, c.lastTry = a, time.Now()
		go c.attempt(a)
	}
	c.mu.Unlock()
	select {
	case <-a.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if a.err != nil {
		return nil, discoveryError(a.err)
	}
	return a.disc, nil
}

func discoveryError(err error) error {
	return reject(ReasonDiscoveryFailed, err.Error())
}

func (c *Client) attempt(a *discoveryAttempt) {
	a.disc, a.err = c.discover(context.Background())
	c.mu.Lock()
	c.inflight, c.last = nil, a
	if a.err == nil {
		c.disc = a.disc
	}
	c.mu.Unlock()
	close(a.done)
	if a.err == nil {
		c.log.Info("OpenID provider discovered", "issuer", c.cfg.Issuer)
	}
}

// discover reads the discovery document. go-oidc refuses a document whose
// issuer differs from the configured one (security.md A.9); the error says
// both values so an operator sees the mismatch at once.
func (c *Client) discover(ctx context.Context) (*discovered, error) {
	ctx, cancel := context.WithTimeout(gooidc.ClientContext(ctx, c.cfg.HTTPClient), fetchTimeout)
	defer cancel()
	p, err := gooidc.NewProvider(ctx, c.cfg.Issuer)
	var mismatch *gooidc.IssuerMismatchError
	if errors.As(err, &mismatch) {
		return nil, fmt.Errorf("the discovery document at %s names the issuer %q, not %q: check TORII_OIDC_ISSUER (nothing from this provider is trusted)",
			c.cfg.Issuer, mismatch.Discovered, mismatch.Provided)
	} else if err != nil {
		return nil, fmt.Errorf("cannot read %s/.well-known/openid-configuration: %w", strings.TrimSuffix(c.cfg.Issuer, "/"), err)
	}
	var meta struct {
		JWKSURI string   `json:"jwks_uri"`
		Algs    []string `json:"id_token_signing_alg_values_supported"`
	}
	if err := p.Claims(&meta); err != nil {
		return nil, err
	}
	if meta.JWKSURI == "" {
		return nil, errors.New("the discovery document has no jwks_uri")
	}
	keys := &keySet{url: meta.JWKSURI, client: c.cfg.HTTPClient, now: c.cfg.Now, minRefetch: c.cfg.MinRefetch,
		onFetch: func(err error) {
			if err != nil {
				c.log.Warn("JWKS fetch failed", "url", meta.JWKSURI, "err", err)
			}
		}}
	algs := signingAlgs(meta.Algs)
	return &discovered{
		algs:     algs,
		keys:     keys,
		verifier: c.newVerifier(keys, algs),
		oauth: oauth2.Config{
			ClientID:     c.cfg.ClientID,
			ClientSecret: c.cfg.ClientSecret,
			Endpoint:     p.Endpoint(),
			RedirectURL:  c.cfg.RedirectURL,
			Scopes:       []string{gooidc.ScopeOpenID, "email", "profile"},
		},
	}, nil
}

// signingAlgs keeps the provider's advertised algorithms that we allow; a
// provider that advertises none of them gets RS256, the one OpenID requires.
func signingAlgs(advertised []string) []string {
	var out []string
	for _, a := range advertised {
		for _, ok := range allowedAlgs {
			if a == string(ok) {
				out = append(out, a)
			}
		}
	}
	if len(out) == 0 {
		return []string{gooidc.RS256}
	}
	return out
}

// AuthCodeURL returns the provider's authorization URL for one sign-in:
// state, nonce, and the S256 challenge of a fresh verifier (security.md B.14).
// With hosted domain set it also passes `hd` as a hint (the ID token is
// checked all the same).
// It returns the URL and the fresh PKCE verifier to keep for Exchange.
func (c *Client) AuthCodeURL(ctx context.Context, state, nonce string) (authURL, verifier string, err error) {
	d, err := c.ready(ctx)
	if err != nil {
		return "", "", err
	}
	verifier = oauth2.GenerateVerifier()
	opts := []oauth2.AuthCodeOption{gooidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)}
	if c.cfg.HostedDomain != "" {
		opts = append(opts, oauth2.SetAuthURLParam("hd", c.cfg.HostedDomain))
	}
	return d.oauth.AuthCodeURL(state, opts...), verifier, nil
}

// Exchange redeems an authorization code with its PKCE verifier and
// returns the raw ID token, still to be verified with Verify.
func (c *Client) Exchange(ctx context.Context, code, verifier string) (string, error) {
	d, err := c.ready(ctx)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.WithValue(ctx, oauth2.HTTPClient, c.cfg.HTTPClient), fetchTimeout)
	defer cancel()
	tok, err := d.oauth.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		return "", reject(exchangeReason(err), "code exchange: "+err.Error())
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return "", reject(ReasonNoIDToken, "the token response has no id_token")
	}
	return raw, nil
}

// exchangeReason tells a provider that cannot answer now (no connection,
// a timeout, 5xx, 429: try again, 503) from one that refused the code
// (4xx such as invalid_grant: a bad sign-in, 401).
func exchangeReason(err error) ErrReason {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		if re.Response != nil && (re.Response.StatusCode >= 500 || re.Response.StatusCode == http.StatusTooManyRequests) {
			return ReasonUnreachable
		}
		return ReasonExchangeRefused
	}
	var ue *url.Error
	if errors.As(err, &ue) || errors.Is(err, context.DeadlineExceeded) {
		return ReasonUnreachable
	}
	return ReasonExchangeRefused
}

// JWKSFetches returns how many times the key set was fetched (for tests
// and metrics); 0 before discovery.
func (c *Client) JWKSFetches() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.disc == nil {
		return 0
	}
	return c.disc.keys.fetches.Load()
}
