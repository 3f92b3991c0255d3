package service

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"time"

	"github.com/toriihq/torii"
)

// The rules of "Sign in with torii" (issue 16) that the OpenID Provider
// (package oidcop, built on zitadel/oidc's pkg/op) calls at each step. The
// protocol (parameters, PKCE, signatures, error responses) is the
// library's; who may get in, what an app learns and when tokens die are
// torii's, and live here.

// Lifetimes of the OpenID Provider's artefacts.
const (
	// oauthRequestTTL bounds the time from /authorize to the code: the
	// sign-in and consent steps happen within it.
	oauthRequestTTL = 10 * time.Minute
	// OAuthCodeTTL: codes expire within a minute (issue 16).
	OAuthCodeTTL = time.Minute
	// OAuthAccessTTL is the lifetime of an app's access token (and ID
	// token), as short as torii's own.
	OAuthAccessTTL = accessTokenTTL
	// oauthRefreshTTL is the lifetime of each refresh token of an app
	// (offline_access); every use rotates it.
	oauthRefreshTTL = 30 * 24 * time.Hour
	// oauthTokenBytes is the size of refresh tokens, codes and ids.
	oauthTokenBytes = 32
)

// OAuth scopes torii knows (issue 16).
const (
	ScopeOpenID        = "openid"
	ScopeProfile       = "profile"
	ScopeEmail         = "email"
	ScopeGroups        = "groups"
	ScopeOfflineAccess = "offline_access"
)

// OAuthScopes lists the supported scopes, as discovery advertises them.
var OAuthScopes = []string{ScopeOpenID, ScopeProfile, ScopeEmail, ScopeGroups, ScopeOfflineAccess}

// OAuth errors the provider turns into protocol errors.
var (
	// errOAuthRequestGone: the authorization request is unknown or
	// expired (the user waited too long, or the link was forged).
	errOAuthRequestGone = torii.Errorf(torii.ENotFound, "This sign-in request has expired. Go back to the app and start again.")
	// errOAuthClientUnknown: no such client.
	errOAuthClientUnknown = torii.Errorf(torii.ENotFound, "This app is not registered with torii.")
	errOAuthTokenInvalid  = torii.Errorf(torii.ETokenInvalid, "The token is invalid, expired or revoked.")
)

// OAuthClientByID returns a registered client for the protocol (no admin
// check: the client id is public).
func (s *Service) OAuthClientByID(ctx context.Context, id string) (torii.OAuthClient, error) {
	c, err := s.store.OAuthClientByID(ctx, id)
	if errors.Is(err, torii.ErrNotFound) {
		return c, errOAuthClientUnknown
	}
	return c, err
}

// AuthenticateOAuthClient checks a confidential client's secret. Errors:
// UNAUTHORIZED (unknown client, public client, wrong secret: one answer).
func (s *Service) AuthenticateOAuthClient(ctx context.Context, id, secret string) (torii.OAuthClient, error) {
	c, err := s.store.OAuthClientByID(ctx, id)
	if err != nil && !errors.Is(err, torii.ErrNotFound) {
		return c, err
	}
	if err != nil || !CheckClientSecret(c, secret) {
		return torii.OAuthClient{}, torii.Errorf(torii.EUnauthorized, "Client authentication failed.")
	}
	return c, nil
}

// StartAuthRequest stores a validated authorization request (the library
// has checked the client, the redirect URI and PKCE's form) and returns it
// with its id. Torii's own rules: only S256 challenges, and a public
// client must send one. Errors: VALIDATION_ERROR.
func (s *Service) StartAuthRequest(ctx context.Context, r torii.OAuthAuthRequest) (torii.OAuthAuthRequest, error) {
	c, err := s.OAuthClientByID(ctx, r.ClientID)
	if err != nil {
		return r, err
	}
	switch {
	case r.CodeChallenge != "" && r.CodeChallengeMethod != "S256":
		return r, torii.Invalid(map[string]string{"code_challenge_method": "must be S256"})
	case c.Public && r.CodeChallenge == "":
		return r, torii.Invalid(map[string]string{"code_challenge": "is required for public clients (PKCE, S256)"})
	}
	if r.ID, err = s.randomString(oauthTokenBytes); err != nil {
		return r, err
	}
	now := s.now().UTC()
	r.CreatedAt, r.ExpiresAt = now, now.Add(oauthRequestTTL)
	r.UserID, r.SessionID, r.AuthTime, r.AMR, r.Done = 0, "", time.Time{}, []string{}, false
	if err := s.store.CreateOAuthAuthRequest(ctx, r); err != nil {
		return r, err
	}
	return s.store.OAuthAuthRequestByID(ctx, r.ID)
}

// AuthRequest returns a live authorization request (errOAuthRequestGone
// once expired).
func (s *Service) AuthRequest(ctx context.Context, id string) (torii.OAuthAuthRequest, error) {
	r, err := s.store.OAuthAuthRequestByID(ctx, id)
	if errors.Is(err, torii.ErrNotFound) || (err == nil && !s.now().Before(r.ExpiresAt)) {
		return torii.OAuthAuthRequest{}, errOAuthRequestGone
	}
	return r, err
}

// AuthStep is what the browser must do next for an authorization request.
type AuthStep int

const (
	// StepLogin: sign in (again) at torii, then come back.
	StepLogin AuthStep = iota
	// StepConsent: show the consent page.
	StepConsent
	// StepDone: the request is complete; send the browser to the
	// library's callback, which issues the code.
	StepDone
)

// AuthDecision is ContinueAuthRequest's answer.
type AuthDecision struct {
	Step    AuthStep
	Request torii.OAuthAuthRequest
	Client  torii.OAuthClient
	// ForceLogin: the sign-in page must ask even though a session exists
	// (prompt=login, max_age, another user expected).
	ForceLogin bool
	// NoPrompt: prompt=none — the provider answers login_required or
	// consent_required instead of showing a page.
	NoPrompt bool
}

// ContinueAuthRequest applies torii's rules to request id for the browser's
// principal (nil: not signed in). The sign-in must be fresh enough
// (prompt=login, max_age), by the user an id_token_hint names; the user
// must be admitted to the client (ClientAdmits: errors USER_INACTIVE,
// NOT_ALLOWED, EMAIL_NOT_VERIFIED, FORBIDDEN, for a clear page); an
// untrusted client needs the user's consent to the requested scopes. When
// all holds the request is completed (StepDone). Errors also:
// errOAuthRequestGone.
func (s *Service) ContinueAuthRequest(ctx context.Context, id string, p *Principal) (AuthDecision, error) {
	r, err := s.AuthRequest(ctx, id)
	if err != nil {
		return AuthDecision{}, err
	}
	c, err := s.OAuthClientByID(ctx, r.ClientID)
	if err != nil {
		return AuthDecision{}, err
	}
	d := AuthDecision{Request: r, Client: c, NoPrompt: slices.Contains(r.Prompt, "none")}
	if p == nil || p.Session.ID == "" {
		return d, nil
	}
	if !s.freshEnough(r, p.Session) || (r.HintSubject != "" && r.HintSubject != strconv.FormatInt(p.User.ID, 10)) {
		d.ForceLogin = true
		return d, nil
	}
	if err := s.ClientAdmits(ctx, c, p.User); err != nil {
		s.audit(ctx, torii.AuditSignInFailure, &p.User.ID, p.User.Email, Meta{}, map[string]any{
			"reason": torii.ErrorCode(err), "method": "oauth", "clientId": c.ID})
		return d, err
	}
	if !c.Trusted {
		// prompt=consent asks again; otherwise a remembered consent
		// covering every requested scope is enough.
		ask := slices.Contains(r.Prompt, "consent")
		if !ask {
			cs, err := s.store.OAuthConsent(ctx, p.User.ID, c.ID)
			if err != nil && !errors.Is(err, torii.ErrNotFound) {
				return d, err
			}
			ask = err != nil || !coversScopes(cs.Scopes, r.Scopes)
		}
		if ask {
			d.Step = StepConsent
			return d, nil
		}
	}
	if d.Request, err = s.completeAuthRequest(ctx, r, c, *p); err != nil {
		return d, err
	}
	d.Step = StepDone
	return d, nil
}

// ConsentAuthRequest records the principal's answer on the consent page.
// Approving remembers the consent (per user and client, audited as
// oauth.consent) and completes the request; refusing leaves it incomplete
// (the provider answers access_denied). The request must belong to a
// sign-in of this user that ContinueAuthRequest sent to consent.
func (s *Service) ConsentAuthRequest(ctx context.Context, id string, p Principal, approve bool, m Meta) (AuthDecision, error) {
	d, err := s.ContinueAuthRequest(ctx, id, &p)
	if err != nil || d.Step != StepConsent {
		return d, err
	}
	if !approve {
		s.audit(ctx, torii.AuditOAuthConsent, &p.User.ID, p.User.Email, m, map[string]any{"clientId": d.Client.ID, "approved": false})
		return d, nil
	}
	now := s.now().UTC()
	if err := s.store.SaveOAuthConsent(ctx, torii.OAuthConsent{UserID: p.User.ID, ClientID: d.Client.ID,
		Scopes: d.Request.Scopes, CreatedAt: now, UpdatedAt: now}); err != nil {
		return d, err
	}
	s.audit(ctx, torii.AuditOAuthConsent, &p.User.ID, p.User.Email, m, map[string]any{
		"clientId": d.Client.ID, "approved": true, "scopes": d.Request.Scopes})
	if d.Request, err = s.completeAuthRequest(ctx, d.Request, d.Client, p); err != nil {
		return d, err
	}
	d.Step = StepDone
	return d, nil
}

// completeAuthRequest binds the request to the user and session and marks
// it done. A trusted client's sign-in is remembered like a consent, so
// /account lists every app the user signed in to.
func (s *Service) completeAuthRequest(ctx context.Context, r torii.OAuthAuthRequest, c torii.OAuthClient, p Principal) (torii.OAuthAuthRequest, error) {
	now := s.now().UTC()
	if c.Trusted {
		if _, err := s.store.OAuthConsent(ctx, p.User.ID, c.ID); errors.Is(err, torii.ErrNotFound) {
			if err := s.store.SaveOAuthConsent(ctx, torii.OAuthConsent{UserID: p.User.ID, ClientID: c.ID,
				Scopes: r.Scopes, CreatedAt: now, UpdatedAt: now}); err != nil {
				return r, err
			}
		}
	}
	amr := s.sessionAMR(ctx, p)
	return s.store.UpdateOAuthAuthRequest(ctx, r.ID, func(x *torii.OAuthAuthRequest) error {
		x.UserID, x.SessionID, x.AuthTime, x.AMR, x.Done = p.User.ID, p.Session.ID, p.Session.AuthenticatedAt(), amr, true
		return nil
	})
}

// freshEnough applies prompt=login and max_age (the library turns
// prompt=login into max_age=0): the session's last sign-in must be within
// max_age, or have happened after the request started (the sign-in this
// request asked for).
func (s *Service) freshEnough(r torii.OAuthAuthRequest, sess torii.Session) bool {
	if r.MaxAge == nil {
		return true
	}
	at := sess.AuthenticatedAt()
	if !at.Before(r.CreatedAt) {
		return true
	}
	return *r.MaxAge > 0 && !s.now().After(at.Add(time.Duration(*r.MaxAge)*time.Second))
}

// sessionAMR says how the session's user signed in (RFC 8176 amr): "pwd"
// for a password, "fed" for Google; read from the latest sign-in event.
func (s *Service) sessionAMR(ctx context.Context, p Principal) []string {
	uid := p.User.ID
	evs, err := s.store.ListAudit(ctx, torii.AuditFilter{UserID: &uid, Event: torii.AuditSignInSuccess, Limit: 1})
	if err != nil || len(evs) == 0 {
		return []string{}
	}
	switch m, _ := evs[0].Detail["method"].(string); m {
	case "password":
		return []string{"pwd"}
	case "":
		return []string{}
	default:
		return []string{"fed"}
	}
}

func coversScopes(granted, requested []string) bool {
	for _, sc := range requested {
		if !slices.Contains(granted, sc) {
			return false
		}
	}
	return true
}

// SaveAuthCode stores the code the library made for a completed request
// (only its hash).
func (s *Service) SaveAuthCode(ctx context.Context, requestID, code string) error {
	r, err := s.AuthRequest(ctx, requestID)
	if err != nil {
		return err
	}
	now := s.now().UTC()
	return s.store.CreateOAuthCode(ctx, torii.OAuthCode{ID: SessionID(code), AuthRequestID: r.ID, ClientID: r.ClientID,
		CreatedAt: now, ExpiresAt: now.Add(OAuthCodeTTL)})
}

// SpendAuthCode consumes a code at the token endpoint and returns its
// request: a code is single-use, and a reused one revokes every token it
// issued (audited as token.reuse). The user must still be admitted to the
// client. Errors: TOKEN_INVALID, and ClientAdmits's.
func (s *Service) SpendAuthCode(ctx context.Context, code string) (torii.OAuthAuthRequest, error) {
	now := s.now().UTC()
	r, err := s.store.SpendOAuthCode(ctx, SessionID(code), now)
	if errors.Is(err, torii.ErrOAuthCodeReused) {
		s.audit(ctx, torii.AuditTokenReuse, nil, "", Meta{}, map[string]any{"kind": "oauth.code"})
		return r, err
	}
	if err != nil {
		if errors.Is(err, torii.ErrNotFound) {
			return r, errOAuthTokenInvalid
		}
		return r, err
	}
	if !r.Done || r.UserID == 0 {
		return r, errOAuthTokenInvalid
	}
	if err := s.admitted(ctx, r.ClientID, r.UserID); err != nil {
		return r, err
	}
	return r, nil
}

// admitted re-checks ClientAdmits for a user id.
func (s *Service) admitted(ctx context.Context, clientID string, userID int64) error {
	c, err := s.OAuthClientByID(ctx, clientID)
	if err != nil {
		return err
	}
	u, err := s.store.UserByID(ctx, userID)
	if err != nil {
		return errOAuthTokenInvalid
	}
	return s.ClientAdmits(ctx, c, u)
}

// OAuthGrant is what tokens are issued for: a completed authorization
// request, or the refresh token being rotated.
type OAuthGrant struct {
	ClientID string
	UserID   int64
	GrantID  string
	Scopes   []string
	AuthTime time.Time
	AMR      []string
}

// IssuedTokens are the ids of what IssueOAuthTokens stored.
type IssuedTokens struct {
	AccessID     string
	RefreshToken string // "" when none was asked for
	Expires      time.Time
}

// IssueOAuthTokens stores an access token (its id is the JWT's jti) and,
// with refresh, the first refresh token of the grant. Audited as
// oauth.token. Errors: USER_INACTIVE (deactivated meanwhile).
func (s *Service) IssueOAuthTokens(ctx context.Context, g OAuthGrant, refresh bool) (IssuedTokens, error) {
	now := s.now().UTC()
	out, tokens, err := s.newOAuthTokens(g, refresh, now)
	if err != nil {
		return out, err
	}
	if err := s.store.CreateOAuthTokens(ctx, tokens...); err != nil {
		return IssuedTokens{}, err
	}
	s.audit(ctx, torii.AuditOAuthToken, &g.UserID, "", Meta{}, map[string]any{
		"clientId": g.ClientID, "grant": "authorization_code", "scopes": g.Scopes, "refresh": refresh})
	return out, nil
}

func (s *Service) newOAuthTokens(g OAuthGrant, refresh bool, now time.Time) (IssuedTokens, []torii.OAuthToken, error) {
	jti, err := s.randomString(oauthTokenBytes)
	if err != nil {
		return IssuedTokens{}, nil, err
	}
	amr := g.AMR
	if amr == nil {
		amr = []string{}
	}
	base := torii.OAuthToken{ClientID: g.ClientID, UserID: g.UserID, GrantID: g.GrantID, Scopes: g.Scopes,
		AuthTime: g.AuthTime, AMR: amr, CreatedAt: now}
	access := base
	access.ID, access.Kind, access.ExpiresAt = jti, torii.OAuthAccess, now.Add(OAuthAccessTTL)
	out := IssuedTokens{AccessID: jti, Expires: access.ExpiresAt}
	tokens := []torii.OAuthToken{access}
	if refresh {
		rt, err := s.randomString(oauthTokenBytes)
		if err != nil {
			return IssuedTokens{}, nil, err
		}
		r := base
		r.ID, r.Kind, r.ExpiresAt = SessionID(rt), torii.OAuthRefresh, now.Add(oauthRefreshTTL)
		tokens = append(tokens, r)
		out.RefreshToken = rt
	}
	return out, tokens, nil
}

// RefreshGrant looks a refresh token up for the token endpoint: it must be
// usable, its user still admitted to its client. A refresh token used a
// second time revokes its whole grant (token.reuse). Errors:
// TOKEN_INVALID, ErrRefreshTokenReused, ClientAdmits's.
func (s *Service) RefreshGrant(ctx context.Context, token string) (torii.OAuthToken, error) {
	if token == "" || len(token) > maxTokenLen {
		return torii.OAuthToken{}, errOAuthTokenInvalid
	}
	t, err := s.store.OAuthTokenByID(ctx, SessionID(token))
	if errors.Is(err, torii.ErrNotFound) || (err == nil && t.Kind != torii.OAuthRefresh) {
		return torii.OAuthToken{}, errOAuthTokenInvalid
	}
	if err != nil {
		return t, err
	}
	now := s.now().UTC()
	if t.SpentAt != nil && t.RevokedAt == nil {
		s.refreshReused(ctx, t, now)
		return t, torii.ErrRefreshTokenReused
	}
	if !t.Usable(now) {
		return t, errOAuthTokenInvalid
	}
	if err := s.admitted(ctx, t.ClientID, t.UserID); err != nil {
		return t, err
	}
	return t, nil
}

func (s *Service) refreshReused(ctx context.Context, t torii.OAuthToken, now time.Time) {
	if _, err := s.store.RevokeOAuthGrant(ctx, t.GrantID, now); err != nil {
		s.log.Warn("revoking a reused grant failed", "err", err)
	}
	s.audit(ctx, torii.AuditTokenReuse, &t.UserID, "", Meta{}, map[string]any{"kind": "oauth.refresh", "clientId": t.ClientID})
}

// RotateOAuthRefresh spends refresh token `token` and issues the next
// access and refresh tokens of its grant (scopes may only narrow). Of two
// concurrent rotations one wins; the other is a reuse. Audited as
// oauth.token.
func (s *Service) RotateOAuthRefresh(ctx context.Context, token string, scopes []string) (IssuedTokens, error) {
	now := s.now().UTC()
	old, err := s.store.OAuthTokenByID(ctx, SessionID(token))
	if err != nil {
		return IssuedTokens{}, errOAuthTokenInvalid
	}
	if len(scopes) == 0 || !coversScopes(old.Scopes, scopes) {
		scopes = old.Scopes
	}
	g := OAuthGrant{ClientID: old.ClientID, UserID: old.UserID, GrantID: old.GrantID, Scopes: scopes, AuthTime: old.AuthTime, AMR: old.AMR}
	out, tokens, err := s.newOAuthTokens(g, true, now)
	if err != nil {
		return out, err
	}
	if _, err := s.store.RotateOAuthRefreshToken(ctx, old.ID, tokens, now); err != nil {
		switch {
		case errors.Is(err, torii.ErrRefreshTokenReused):
			s.refreshReused(ctx, old, now)
		case errors.Is(err, torii.ErrNotFound):
			err = errOAuthTokenInvalid
		}
		return IssuedTokens{}, err
	}
	s.audit(ctx, torii.AuditOAuthToken, &old.UserID, "", Meta{}, map[string]any{
		"clientId": old.ClientID, "grant": "refresh_token", "scopes": scopes})
	return out, nil
}

// OAuthAccessToken returns a usable access token by its jti, for userinfo
// and introspection: not revoked or expired, its user still admitted.
func (s *Service) OAuthAccessToken(ctx context.Context, jti string) (torii.OAuthToken, error) {
	t, err := s.store.OAuthTokenByID(ctx, jti)
	if err != nil || t.Kind != torii.OAuthAccess || !t.Usable(s.now().UTC()) {
		return torii.OAuthToken{}, errOAuthTokenInvalid
	}
	if err := s.admitted(ctx, t.ClientID, t.UserID); err != nil {
		return torii.OAuthToken{}, errOAuthTokenInvalid
	}
	return t, nil
}

// RevokeOAuthToken revokes, for clientID, the grant of a refresh token
// (the token itself) or of an access token (its jti): RFC 7009 lets a
// refresh token's revocation take its access tokens along, and torii does.
// A token of another client, or an unknown one, is ignored (RFC 7009 §2.2:
// the answer is the same). Audited as oauth.revoke.
func (s *Service) RevokeOAuthToken(ctx context.Context, tokenOrID, clientID string) error {
	for _, id := range []string{SessionID(tokenOrID), tokenOrID} {
		t, err := s.store.OAuthTokenByID(ctx, id)
		if errors.Is(err, torii.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if t.ClientID != clientID {
			return nil
		}
		if t.Kind == torii.OAuthAccess && id != tokenOrID {
			continue
		}
		if _, err := s.store.RevokeOAuthGrant(ctx, t.GrantID, s.now().UTC()); err != nil {
			return err
		}
		s.audit(ctx, torii.AuditOAuthRevoke, &t.UserID, "", Meta{}, map[string]any{"clientId": clientID, "kind": t.Kind, "reason": "client"})
		return nil
	}
	return nil
}

// UserClaims is what an app may learn about a user, by scope.
type UserClaims struct {
	Subject       string
	Name          string
	Picture       string
	Email         string
	EmailVerified bool
	Groups        []string
	Roles         []string
}

// OAuthUserClaims returns the claims of userID for the given scopes (the
// caller filters by scope). Groups are the names of the user's groups;
// roles their torii admin roles.
func (s *Service) OAuthUserClaims(ctx context.Context, userID int64, scopes []string) (UserClaims, error) {
	u, err := s.store.UserByID(ctx, userID)
	if err != nil {
		return UserClaims{}, errOAuthTokenInvalid
	}
	c := UserClaims{Subject: strconv.FormatInt(u.ID, 10), Name: u.Name, Picture: u.AvatarURL, Email: u.Email, EmailVerified: u.EmailVerified}
	if slices.Contains(scopes, ScopeGroups) {
		ms, err := s.store.UserGroups(ctx, u.ID)
		if err != nil {
			return c, err
		}
		c.Groups = make([]string, 0, len(ms))
		for _, m := range ms {
			c.Groups = append(c.Groups, m.Group.Name)
		}
		if c.Roles, err = s.store.UserRoles(ctx, u.ID); err != nil {
			return c, err
		}
	}
	return c, nil
}

// EndOAuthSession ends the browser's torii session (RP-initiated logout)
// when it is userID's, the subject of the request's id_token_hint. Without
// a hint nothing is ended: any site could send the browser there, and a
// logout must not be forced on a user by a stranger. The apps' refresh
// tokens live on: they were granted offline access.
func (s *Service) EndOAuthSession(ctx context.Context, sessionToken string, userID string, m Meta) error {
	if sessionToken == "" || userID == "" {
		return nil
	}
	p, err := s.Authenticate(ctx, sessionToken)
	if err != nil {
		return nil
	}
	if userID != strconv.FormatInt(p.User.ID, 10) {
		return nil
	}
	return s.Logout(ctx, p, m)
}

// OAuthRefreshTokenInfo finds a refresh token of clientID for the
// revocation endpoint. Errors: TOKEN_INVALID.
func (s *Service) OAuthRefreshTokenInfo(ctx context.Context, clientID, token string) (torii.OAuthToken, error) {
	t, err := s.store.OAuthTokenByID(ctx, SessionID(token))
	if err != nil || t.Kind != torii.OAuthRefresh || t.ClientID != clientID {
		return torii.OAuthToken{}, errOAuthTokenInvalid
	}
	return t, nil
}
