package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/service"
)

// tokenPairJSON is the answer of POST /auth/token and /auth/token/refresh.
type tokenPairJSON struct {
	AccessToken  string `json:"accessToken"`
	TokenType    string `json:"tokenType"`
	ExpiresIn    int    `json:"expiresIn"`
	RefreshToken string `json:"refreshToken"`
}

func pairOf(p service.TokenPair) tokenPairJSON {
	return tokenPairJSON{AccessToken: p.AccessToken, TokenType: "Bearer", ExpiresIn: int(p.ExpiresIn.Seconds()), RefreshToken: p.RefreshToken}
}

// issueTokens mints a pair for the signed-in caller; ?audience= picks the
// access token's aud (api.md).
func (s *Server) issueTokens(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	pair, err := s.svc.IssueTokens(r.Context(), p, r.URL.Query().Get("audience"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pairOf(pair))
	return nil
}

type refreshJSON struct {
	RefreshToken string `json:"refreshToken"`
}

// refreshTokens exchanges a refresh token for a new pair; no cookie needed.
func (s *Server) refreshTokens(w http.ResponseWriter, r *http.Request) error {
	var in refreshJSON
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	pair, err := s.svc.Refresh(r.Context(), in.RefreshToken, s.meta(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pairOf(pair))
	return nil
}

// jwks publishes the public keys. Caches may keep the set for
// service.JWKSMaxAge, less than a retired key stays published; any origin
// may read it (public keys only), so verifiers in browsers work too.
func (s *Server) jwks(w http.ResponseWriter, r *http.Request) error {
	b, err := s.svc.JWKS(r.Context())
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "public, max-age="+strconv.Itoa(int(service.JWKSMaxAge.Seconds())))
	h.Set("Access-Control-Allow-Origin", "*")
	_, _ = w.Write(b)
	return nil
}

// verify is the forward-auth check (nginx auth_request, Traefik
// forwardAuth, Caddy forward_auth): 200 with the X-Auth-Request-* headers
// for a valid session cookie or Bearer token (for ?audience=, default the
// base URL), else the error — 401 to sign in, 403 for a signed-in user who
// may not pass. With ?audience= naming another audience than the base
// URL, the answer also carries X-Auth-Request-Access-Token, a JWT for that
// audience that the upstream can verify itself. See docs/integrate.md.
func (s *Server) verify(w http.ResponseWriter, r *http.Request) error {
	aud, err := s.svc.TokenAudience(r.URL.Query().Get("audience"))
	if err != nil {
		return err
	}
	p, err := s.principalFor(r, aud)
	if err == nil {
		// An account waiting for its address to be confirmed passes no
		// proxy: 403 EMAIL_NOT_VERIFIED.
		err = p.WaitingErr()
	}
	if err != nil {
		return s.verifyFailed(w, r, err)
	}
	h := w.Header()
	h.Set("X-Auth-Request-User", strconv.FormatInt(p.User.ID, 10))
	h.Set("X-Auth-Request-Email", p.User.Email)
	// Only for an audience the proxy names: a token for torii's own
	// audience would hand the upstream the user's full API access. And
	// only for a cookie session: a Bearer token never gets a fresh one,
	// or an app token would renew itself forever through forward-auth
	// (even after logout). The upstream gets the caller's own token.
	_, bearer := bearerToken(r)
	if aud != s.svc.Issuer() && !bearer {
		tok, err := s.svc.ForwardToken(r.Context(), p.User, aud)
		if err != nil {
			return err
		}
		h.Set("X-Auth-Request-Access-Token", tok)
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": userOf(p.User, len(p.Identities))})
	return nil
}

// verifyFailed adds the sign-in guidance to a failed forward-auth check.
// When the proxy says which URI was asked for (X-Forwarded-Uri from
// Traefik and Caddy, X-Original-URI set in an nginx config), the answer
// carries X-Auth-Request-Redirect: the login page with that path as next
// (only a same-origin path, as everywhere). With ?redirect=true, a request
// without a Bearer token (a browser) gets a 302 there instead of a 401,
// for proxies that pass the auth answer on to the client as it is.
func (s *Server) verifyFailed(w http.ResponseWriter, r *http.Request, err error) error {
	orig := r.Header.Get("X-Forwarded-Uri")
	if orig == "" {
		orig = r.Header.Get("X-Original-URI")
	}
	if orig == "" {
		return err
	}
	loc := s.svc.Issuer() + loginURL(safeNext(orig))
	w.Header().Set("X-Auth-Request-Redirect", loc)
	_, hasBearer := bearerToken(r)
	if redirect, _ := strconv.ParseBool(r.URL.Query().Get("redirect")); redirect && !hasBearer && torii.IsCode(err, torii.EUnauthorized) {
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, loc, http.StatusFound)
		return nil
	}
	return err
}

// bearerToken returns the token of an `Authorization: Bearer` header (the
// scheme is case-insensitive, RFC 9110). ok is false when the request
// carries no such header.
func bearerToken(r *http.Request) (token string, ok bool) {
	scheme, token, found := strings.Cut(r.Header.Get("Authorization"), " ")
	if !found || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimSpace(token), true
}
