package oidcop

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strconv"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/service"
)

// storage implements op.Storage over torii's service: every decision
// (who may get in, what an app learns, when a token dies) is the
// service's; this file only translates between the library's types and
// torii's.
type storage struct {
	svc    *service.Service
	issuer string
}

var _ op.Storage = (*storage)(nil)

// --- authorization requests and codes ---

func (s *storage) CreateAuthRequest(ctx context.Context, r *oidc.AuthRequest, hintSubject string) (op.AuthRequest, error) {
	req := torii.OAuthAuthRequest{
		ClientID: r.ClientID, RedirectURI: r.RedirectURI, State: r.State, Nonce: r.Nonce,
		Scopes: []string(r.Scopes), ResponseType: string(r.ResponseType), ResponseMode: string(r.ResponseMode),
		CodeChallenge: r.CodeChallenge, CodeChallengeMethod: string(r.CodeChallengeMethod),
		Prompt: []string(r.Prompt), LoginHint: r.LoginHint, HintSubject: hintSubject,
	}
	if req.Scopes == nil {
		req.Scopes = []string{}
	}
	if req.Prompt == nil {
		req.Prompt = []string{}
	}
	if r.MaxAge != nil {
		v := int64(*r.MaxAge)
		req.MaxAge = &v
	}
	if r.ResponseType != oidc.ResponseTypeCode {
		return nil, oidc.ErrInvalidRequest().WithDescription("torii supports the authorization code flow only")
	}
	saved, err := s.svc.StartAuthRequest(ctx, req)
	if err != nil {
		if torii.IsCode(err, torii.EValidation) {
			return nil, oidc.ErrInvalidRequest().WithDescription("%s", fieldsOf(err))
		}
		return nil, err
	}
	return &authRequest{saved}, nil
}

func fieldsOf(err error) string {
	var e *torii.Error
	if errors.As(err, &e) {
		for k, v := range e.Fields {
			return k + " " + v
		}
		return e.Message
	}
	return "invalid request"
}

func (s *storage) AuthRequestByID(ctx context.Context, id string) (op.AuthRequest, error) {
	r, err := s.svc.AuthRequest(ctx, id)
	if err != nil {
		return nil, err
	}
	return &authRequest{r}, nil
}

// AuthRequestByCode spends the code: the library calls it once per token
// request, before client authentication, so even a failed exchange uses
// the code up (single-use), and a second use revokes what the first
// issued.
func (s *storage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	r, err := s.svc.SpendAuthCode(ctx, code)
	if err != nil {
		return nil, err
	}
	return &authRequest{r}, nil
}

func (s *storage) SaveAuthCode(ctx context.Context, id, code string) error {
	return s.svc.SaveAuthCode(ctx, id, code)
}

// DeleteAuthRequest keeps the request: its code's row must survive the
// exchange so that a reuse is recognised (and its grant revoked). It
// expires and is pruned with the rest.
func (s *storage) DeleteAuthRequest(context.Context, string) error { return nil }

// --- tokens ---

func grantOf(r op.TokenRequest) (service.OAuthGrant, error) {
	a, ok := r.(*authRequest)
	if !ok {
		return service.OAuthGrant{}, errors.New("oidcop: unexpected token request")
	}
	return service.OAuthGrant{ClientID: a.ClientID, UserID: a.UserID, GrantID: a.ID, Scopes: a.Scopes,
		AuthTime: a.AuthTime, AMR: a.AMR}, nil
}

func (s *storage) CreateAccessToken(ctx context.Context, r op.TokenRequest) (string, time.Time, error) {
	g, err := grantOf(r)
	if err != nil {
		return "", time.Time{}, err
	}
	t, err := s.svc.IssueOAuthTokens(ctx, g, false)
	return t.AccessID, t.Expires, err
}

func (s *storage) CreateAccessAndRefreshTokens(ctx context.Context, r op.TokenRequest, current string) (string, string, time.Time, error) {
	if current != "" {
		t, err := s.svc.RotateOAuthRefresh(ctx, current, r.GetScopes())
		if err != nil {
			return "", "", time.Time{}, op.ErrInvalidRefreshToken
		}
		return t.AccessID, t.RefreshToken, t.Expires, nil
	}
	g, err := grantOf(r)
	if err != nil {
		return "", "", time.Time{}, err
	}
	t, err := s.svc.IssueOAuthTokens(ctx, g, true)
	return t.AccessID, t.RefreshToken, t.Expires, err
}

func (s *storage) TokenRequestByRefreshToken(ctx context.Context, token string) (op.RefreshTokenRequest, error) {
	t, err := s.svc.RefreshGrant(ctx, token)
	if err != nil {
		return nil, op.ErrInvalidRefreshToken
	}
	return &refreshRequest{t: t, scopes: t.Scopes}, nil
}

// TerminateSession ends the browser's torii session at the end_session
// endpoint: the handler put the session cookie in the context.
func (s *storage) TerminateSession(ctx context.Context, userID, _ string) error {
	b, _ := ctx.Value(browserKey{}).(browser)
	return s.svc.EndOAuthSession(ctx, b.sessionToken, userID, b.meta)
}

func (s *storage) RevokeToken(ctx context.Context, tokenOrID, _ string, clientID string) *oidc.Error {
	if err := s.svc.RevokeOAuthToken(ctx, tokenOrID, clientID); err != nil {
		return oidc.ErrServerError().WithParent(err)
	}
	return nil
}

func (s *storage) GetRefreshTokenInfo(ctx context.Context, clientID, token string) (string, string, error) {
	t, err := s.svc.OAuthRefreshTokenInfo(ctx, clientID, token)
	if err != nil {
		return "", "", op.ErrInvalidRefreshToken
	}
	return strconv.FormatInt(t.UserID, 10), t.ID, nil
}

// --- keys: torii's own ---

func (s *storage) SigningKey(ctx context.Context) (op.SigningKey, error) {
	kid, key, err := s.svc.CurrentSigningKey(ctx)
	if err != nil {
		return nil, err
	}
	return signingKey{kid: kid, key: key}, nil
}

func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{service.KeyAlgorithm}, nil
}

func (s *storage) KeySet(ctx context.Context) ([]op.Key, error) {
	keys, err := s.svc.PublishedSigningKeys(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]op.Key, 0, len(keys))
	for _, k := range keys {
		out = append(out, publicKey{kid: k.ID, key: k.Key})
	}
	return out, nil
}

type signingKey struct {
	kid string
	key any
}

func (k signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return service.KeyAlgorithm }
func (k signingKey) Key() any                                    { return k.key }
func (k signingKey) ID() string                                  { return k.kid }

type publicKey struct {
	kid string
	key any
}

func (k publicKey) ID() string                         { return k.kid }
func (k publicKey) Algorithm() jose.SignatureAlgorithm { return service.KeyAlgorithm }
func (k publicKey) Use() string                        { return "sig" }
func (k publicKey) Key() any                           { return k.key }

// --- clients and claims ---

func (s *storage) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := s.svc.OAuthClientByID(ctx, id)
	if err != nil {
		return nil, err
	}
	return &client{c: c, loginURL: s.issuer + ContinuePath}, nil
}

func (s *storage) AuthorizeClientIDSecret(ctx context.Context, id, secret string) error {
	_, err := s.svc.AuthenticateOAuthClient(ctx, id, secret)
	return err
}

func (s *storage) SetUserinfoFromScopes(ctx context.Context, ui *oidc.UserInfo, userID, _ string, scopes []string) error {
	id, err := strconv.ParseInt(userID, 10, 64)
	if err != nil {
		return err
	}
	c, err := s.svc.OAuthUserClaims(ctx, id, scopes)
	if err != nil {
		return err
	}
	fillUserinfo(ui, c, scopes)
	return nil
}

func fillUserinfo(ui *oidc.UserInfo, c service.UserClaims, scopes []string) {
	ui.Subject = c.Subject
	for _, sc := range scopes {
		switch sc {
		case service.ScopeProfile:
			ui.Name, ui.Picture = c.Name, c.Picture
		case service.ScopeEmail:
			ui.Email, ui.EmailVerified = c.Email, oidc.Bool(c.EmailVerified)
			if !c.EmailVerified {
				// The library's field omits false; apps must be told.
				ui.AppendClaims("email_verified", false)
			}
		case service.ScopeGroups:
			ui.AppendClaims("groups", c.Groups)
			ui.AppendClaims("roles", c.Roles)
		}
	}
}

// SetUserinfoFromToken answers /userinfo for a usable access token of a
// user the client still admits.
func (s *storage) SetUserinfoFromToken(ctx context.Context, ui *oidc.UserInfo, tokenID, subject, _ string) error {
	t, err := s.svc.OAuthAccessToken(ctx, tokenID)
	if err != nil || strconv.FormatInt(t.UserID, 10) != subject {
		return errors.New("oidcop: access token invalid")
	}
	return s.SetUserinfoFromScopes(ctx, ui, subject, t.ClientID, t.Scopes)
}

// SetIntrospectionFromToken answers introspection for the client's own
// access tokens only: a client learns nothing of another's.
func (s *storage) SetIntrospectionFromToken(ctx context.Context, resp *oidc.IntrospectionResponse, tokenID, subject, clientID string) error {
	t, err := s.svc.OAuthAccessToken(ctx, tokenID)
	if err != nil || t.ClientID != clientID || strconv.FormatInt(t.UserID, 10) != subject {
		return errors.New("oidcop: token not active for this client")
	}
	ui := new(oidc.UserInfo)
	if err := s.SetUserinfoFromScopes(ctx, ui, subject, clientID, t.Scopes); err != nil {
		return err
	}
	resp.SetUserInfo(ui)
	resp.Scope, resp.ClientID, resp.TokenType = t.Scopes, t.ClientID, oidc.BearerToken
	resp.Expiration, resp.IssuedAt, resp.AuthTime = oidc.FromTime(t.ExpiresAt), oidc.FromTime(t.CreatedAt), oidc.FromTime(t.AuthTime)
	resp.Audience, resp.Issuer, resp.JWTID, resp.Subject = oidc.Audience{t.ClientID}, s.issuer, t.ID, subject
	return nil
}

// GetPrivateClaimsFromScopes adds nothing to access tokens: apps read the
// user from the ID token or /userinfo.
func (s *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

func (s *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errors.New("oidcop: JWT client authentication is not supported")
}

func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("oidcop: the JWT profile grant is not supported")
}

func (s *storage) Health(ctx context.Context) error { return s.svc.Ping(ctx) }

// --- codes ---

// opaqueCodes is the provider's "crypto": torii's codes are random (256
// bits) and only their hash is stored, so nothing is ever decrypted, and
// no key must be shared between instances. Access tokens are JWTs signed
// with torii's keys, so the library never needs Decrypt for them either.
type opaqueCodes struct{}

func (opaqueCodes) Encrypt(string) (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func (opaqueCodes) Decrypt(string) (string, error) {
	return "", errors.New("oidcop: opaque value")
}
