package service

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/toriihq/torii"
)

const (
	// accessTokenTTL is the lifetime of an access token (api.md: at most
	// 15 minutes). Access tokens cannot be revoked: deactivation and
	// logout bite through refresh tokens and torii's own Bearer check.
	accessTokenTTL = 15 * time.Minute
	// tokenLeeway is the clock skew allowed when torii checks exp and iat.
	tokenLeeway = 30 * time.Second
	// maxTokenLen bounds what is parsed from an Authorization header or a
	// refresh request (torii's tokens are well under 2 KiB).
	maxTokenLen = 4096
)

// TokenPair is what POST /auth/token and /auth/token/refresh answer.
type TokenPair struct {
	AccessToken  string
	ExpiresIn    time.Duration
	RefreshToken string
	Audience     string
}

// AccessClaims are the claims of torii's access tokens: the registered
// ones (iss, sub, aud, iat, exp) and the user's email and name.
type AccessClaims struct {
	jwt.Claims
	Email string `json:"email"`
	// EmailVerified is the OpenID Connect `email_verified` claim: whether
	// torii holds the address as proved.
	EmailVerified bool   `json:"email_verified"`
	Name          string `json:"name"`
}

var errTokenRevoked = torii.Errorf(torii.EUnauthorized, "This access token was revoked: sign in again.")

var errNeedsSession = torii.Errorf(torii.EForbidden,
	"Tokens are minted from a session: sign in with a browser or the login API, not with an access token.")

// Issuer returns the `iss` of torii's tokens (the base URL), which is also
// the audience torii's own API accepts.
func (s *Service) Issuer() string { return s.opts.Issuer }

// TokenAudience checks a requested audience: "" means the base URL (the
// Issuer), anything else must be one of TokenAudiences (VALIDATION_ERROR
// with fields.audience).
func (s *Service) TokenAudience(aud string) (string, error) {
	if aud == "" {
		return s.opts.Issuer, nil
	}
	if !slices.Contains(s.opts.TokenAudiences, aud) && aud != s.opts.Issuer {
		return "", torii.Invalid(map[string]string{"audience": "is not the base URL or one of TORII_TOKEN_AUDIENCES"})
	}
	return aud, nil
}

// IssueTokens mints an access token for audience and the first refresh
// token of a new chain, bound to the principal's session: the chain dies
// with the session (logout, revocation, expiry, deactivation). A principal
// that came with a Bearer token has no session: FORBIDDEN.
func (s *Service) IssueTokens(ctx context.Context, p Principal, audience string) (TokenPair, error) {
	if p.Session.ID == "" {
		return TokenPair{}, errNeedsSession
	}
	if err := p.WaitingErr(); err != nil {
		return TokenPair{}, err
	}
	aud, err := s.TokenAudience(audience)
	if err != nil {
		return TokenPair{}, err
	}
	refresh, err := s.newToken()
	if err != nil {
		return TokenPair{}, err
	}
	now := s.now().UTC()
	err = s.store.CreateRefreshToken(ctx, torii.RefreshToken{
		ID: SessionID(refresh), UserID: p.User.ID, SessionID: p.Session.ID, Audience: aud,
		CreatedAt: now, ExpiresAt: p.Session.ExpiresAt,
	})
	if errors.Is(err, torii.ErrNotFound) {
		return TokenPair{}, errUnauthorized // the session went away meanwhile
	} else if err != nil {
		return TokenPair{}, err
	}
	return s.tokenPair(ctx, p.User, aud, refresh, now)
}

// Refresh exchanges a refresh token for a new pair and spends it. Errors:
// VALIDATION_ERROR (missing), UNAUTHORIZED (unknown, spent, revoked,
// expired, or its session is no longer live; a spent token's whole chain is
// revoked and the re-use audited as token.reuse), USER_INACTIVE or
// NOT_ALLOWED (the chain is revoked too).
func (s *Service) Refresh(ctx context.Context, token string, m Meta) (TokenPair, error) {
	if token == "" {
		return TokenPair{}, torii.Invalid(map[string]string{"refreshToken": "is required"})
	}
	if len(token) > maxTokenLen {
		return TokenPair{}, errUnauthorized
	}
	id := SessionID(token)
	now := s.now().UTC()
	rt, err := s.store.RefreshTokenByID(ctx, id)
	if err != nil {
		return TokenPair{}, missingIsUnauthorized(err)
	}
	u, err := s.store.UserByID(ctx, rt.UserID)
	if err != nil {
		return TokenPair{}, missingIsUnauthorized(err)
	}
	if err := s.checkAccess(ctx, u); isWaiting(err) {
		// Waiting for the address to be confirmed is not a loss of the
		// account: no token meanwhile, but the chain is kept.
		return TokenPair{}, err
	} else if err != nil {
		if _, rerr := s.store.RevokeRefreshChain(ctx, rt.ChainID, now); rerr != nil {
			return TokenPair{}, rerr
		}
		return TokenPair{}, err
	}
	sess, err := s.store.SessionByID(ctx, rt.SessionID)
	if err != nil {
		return TokenPair{}, missingIsUnauthorized(err)
	}
	if !sess.Live(now, s.opts.SessionIdle) {
		return TokenPair{}, errUnauthorized
	}
	if _, err := s.TokenAudience(rt.Audience); err != nil {
		// TORII_TOKEN_AUDIENCES no longer lists the chain's audience.
		return TokenPair{}, errUnauthorized
	}
	next, err := s.newToken()
	if err != nil {
		return TokenPair{}, err
	}
	spent, err := s.store.RotateRefreshToken(ctx, id, torii.RefreshToken{
		ID: SessionID(next), CreatedAt: now, ExpiresAt: sess.ExpiresAt,
	}, now)
	switch {
	case errors.Is(err, torii.ErrRefreshTokenReused):
		s.log.Warn("refresh token re-used: chain revoked", "user", spent.UserID)
		s.audit(ctx, torii.AuditTokenReuse, &spent.UserID, u.Email, m, map[string]any{"chainRevoked": true})
		return TokenPair{}, errUnauthorized
	case errors.Is(err, torii.ErrNotFound):
		return TokenPair{}, errUnauthorized
	case err != nil:
		return TokenPair{}, err
	}
	// Using a session's tokens is activity of that session: the idle
	// timeout runs from the last refresh as from the last page view.
	if now.Sub(sess.LastActivity) >= touchInterval {
		if err := s.store.TouchSession(ctx, sess.ID, now); err != nil && !errors.Is(err, torii.ErrNotFound) {
			return TokenPair{}, err
		}
	}
	return s.tokenPair(ctx, u, rt.Audience, next, now)
}

func (s *Service) tokenPair(ctx context.Context, u torii.User, aud, refresh string, now time.Time) (TokenPair, error) {
	access, err := s.accessToken(ctx, u, aud, now)
	if err != nil {
		return TokenPair{}, err
	}
	return TokenPair{AccessToken: access, ExpiresIn: accessTokenTTL, RefreshToken: refresh, Audience: aud}, nil
}

// accessToken signs an access token for u with the current key.
func (s *Service) accessToken(ctx context.Context, u torii.User, aud string, now time.Time) (string, error) {
	st, err := s.signingKeys(ctx)
	if err != nil {
		return "", err
	}
	return jwt.Signed(st.signer).Claims(AccessClaims{
		Claims: jwt.Claims{
			Issuer:   s.opts.Issuer,
			Subject:  strconv.FormatInt(u.ID, 10),
			Audience: jwt.Audience{aud},
			IssuedAt: jwt.NewNumericDate(now),
			Expiry:   jwt.NewNumericDate(now.Add(accessTokenTTL)),
		},
		Email:         u.Email,
		EmailVerified: u.EmailVerified,
		Name:          u.Name,
	}).Serialize()
}

// VerifyAccessToken checks an access token as any verifier should: RS256
// only (so `none` and HS256 key confusion fail to parse), signed by a
// published key named by its kid, issued by this torii, for audience (in
// `aud`, a string or an array), with exp and iat present and valid within
// tokenLeeway. Every failure is UNAUTHORIZED.
func (s *Service) VerifyAccessToken(ctx context.Context, raw, audience string) (AccessClaims, error) {
	if raw == "" || len(raw) > maxTokenLen {
		return AccessClaims{}, errUnauthorized
	}
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{KeyAlgorithm})
	if err != nil || len(tok.Headers) != 1 || tok.Headers[0].KeyID == "" {
		return AccessClaims{}, errUnauthorized
	}
	key, ok, err := s.keysForKid(ctx, tok.Headers[0].KeyID)
	if err != nil {
		return AccessClaims{}, err
	}
	if !ok {
		return AccessClaims{}, errUnauthorized
	}
	var c AccessClaims
	if err := tok.Claims(key.key, &c); err != nil {
		return AccessClaims{}, errUnauthorized
	}
	if c.Expiry == nil || c.IssuedAt == nil || c.Subject == "" {
		return AccessClaims{}, errUnauthorized
	}
	err = c.Claims.ValidateWithLeeway(jwt.Expected{
		Issuer:      s.opts.Issuer,
		AnyAudience: jwt.Audience{audience},
		Time:        s.now(),
	}, tokenLeeway)
	if err != nil {
		return AccessClaims{}, errUnauthorized
	}
	return c, nil
}

// AuthenticateBearer resolves an access token whose audience is audience
// to its principal. The user is read and checked at every request, so
// deactivation (USER_INACTIVE) or removal from the allowlist (NOT_ALLOWED)
// bites at once even while the token is unexpired, and a token issued at
// or before the user's token epoch (torii.TokenIssuedBeforeEpoch: the
// takeover reset, deactivation, a password change, "sign out everywhere
// else") is UNAUTHORIZED. The principal has no session; Waiting is set as
// Authenticate sets it.
func (s *Service) AuthenticateBearer(ctx context.Context, raw, audience string) (Principal, error) {
	c, err := s.VerifyAccessToken(ctx, raw, audience)
	if err != nil {
		return Principal{}, err
	}
	uid, err := strconv.ParseInt(c.Subject, 10, 64)
	if err != nil {
		return Principal{}, errUnauthorized
	}
	u, err := s.store.UserByID(ctx, uid)
	if err != nil {
		return Principal{}, missingIsUnauthorized(err)
	}
	// Status and allowlist first: a deactivated user hears USER_INACTIVE,
	// whatever the epoch says.
	waiting := false
	if err := s.checkAccess(ctx, u); isWaiting(err) {
		waiting = true
	} else if err != nil {
		return Principal{}, err
	}
	if torii.TokenIssuedBeforeEpoch(c.IssuedAt.Time(), u.TokensValidAfter) {
		return Principal{}, errTokenRevoked
	}
	p, err := s.principalOf(ctx, u, torii.Session{})
	p.Waiting = waiting
	return p, err
}

// forwardTokenReuse is how much life a cached forward-auth token must have
// left to be handed out again: more than half, so an upstream always
// receives a token valid for at least 7.5 minutes.
const forwardTokenReuse = accessTokenTTL / 2

// maxForwardTokens bounds the cache; reaching it empties it, which only
// costs a signature per user.
const maxForwardTokens = 10_000

// forwardTokens caches the access tokens minted for forward-auth answers,
// so a page that loads fifty assets costs one RSA signature, not fifty.
type forwardTokens struct {
	mu sync.Mutex
	m  map[string]forwardToken
}

type forwardToken struct {
	raw string
	exp time.Time
}

// ForwardToken returns an access token for u and audience, for the
// forward-auth answer to hand to the upstream (X-Auth-Request-Access-Token).
// A token minted for the same user, unchanged since, and the same audience
// is reused while it has more than half its life left.
func (s *Service) ForwardToken(ctx context.Context, u torii.User, audience string) (string, error) {
	now := s.now().UTC()
	key := strconv.FormatInt(u.ID, 10) + "|" + strconv.FormatInt(u.UpdatedAt.UnixMicro(), 10) + "|" + audience
	s.fwd.mu.Lock()
	t, ok := s.fwd.m[key]
	s.fwd.mu.Unlock()
	if ok && t.exp.Sub(now) > forwardTokenReuse && !now.Before(t.exp.Add(-accessTokenTTL)) {
		return t.raw, nil
	}
	raw, err := s.accessToken(ctx, u, audience, now)
	if err != nil {
		return "", err
	}
	s.fwd.mu.Lock()
	if s.fwd.m == nil || len(s.fwd.m) >= maxForwardTokens {
		s.fwd.m = map[string]forwardToken{}
	}
	s.fwd.m[key] = forwardToken{raw: raw, exp: now.Add(accessTokenTTL)}
	s.fwd.mu.Unlock()
	return raw, nil
}
