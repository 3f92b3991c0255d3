package devidp

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// accessGrant is what an access token gives userinfo.
type accessGrant struct {
	user    User
	expires time.Time
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

// token redeems an authorization code (RFC 6749 §4.1.3) after checking the
// client's credentials, the redirect URI and the PKCE verifier (RFC 7636).
// A code works once.
func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	if p.failing(&p.failToken, w) {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "bad form")
		return
	}
	f := r.PostForm
	id, secret, basic := r.BasicAuth()
	if basic {
		// RFC 6749 §2.3.1: form-urlencoded before the Basic encoding.
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	} else {
		id, secret = f.Get("client_id"), f.Get("client_secret")
	}
	c, ok := p.client(id)
	if !ok || subtle.ConstantTimeCompare([]byte(c.Secret), []byte(secret)) != 1 {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "unknown client or wrong secret")
		return
	}
	if f.Get("grant_type") != "authorization_code" {
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "only authorization_code")
		return
	}
	p.mu.Lock()
	code, found := p.codes[f.Get("code")]
	delete(p.codes, f.Get("code"))
	hook := p.idTokenHook
	p.mu.Unlock()
	now := p.opts.Now()
	switch {
	case !found || now.After(code.expires):
		oauthError(w, http.StatusBadRequest, "invalid_grant", "unknown, used or expired code")
		return
	case code.req.ClientID != id || code.req.RedirectURI != f.Get("redirect_uri"):
		oauthError(w, http.StatusBadRequest, "invalid_grant", "code issued to another client or redirect_uri")
		return
	case !pkceMatches(f.Get("code_verifier"), code.req.Challenge):
		oauthError(w, http.StatusBadRequest, "invalid_grant", "code_verifier does not match the code_challenge")
		return
	}
	claims := p.Claims(code.user, id, code.req.Nonce)
	if hook != nil {
		hook(claims)
	}
	access := randomString(24)
	p.mu.Lock()
	p.access[access] = accessGrant{user: code.user, expires: now.Add(p.opts.TokenTTL)}
	p.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": access,
		"token_type":   "Bearer",
		"expires_in":   int(p.opts.TokenTTL.Seconds()),
		"id_token":     p.Sign(claims),
		"scope":        code.req.Scope,
	})
}

func pkceMatches(verifier, challenge string) bool {
	if len(verifier) < 43 || len(verifier) > 128 {
		return false
	}
	sum := sha256.Sum256([]byte(verifier))
	got := base64.RawURLEncoding.EncodeToString(sum[:])
	return subtle.ConstantTimeCompare([]byte(got), []byte(challenge)) == 1
}

// userinfo answers the claims of the user behind a Bearer access token.
func (p *Provider) userinfo(w http.ResponseWriter, r *http.Request) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	p.mu.Lock()
	g, found := p.access[tok]
	p.mu.Unlock()
	if !ok || !found || p.opts.Now().After(g.expires) {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		oauthError(w, http.StatusUnauthorized, "invalid_token", "unknown or expired access token")
		return
	}
	info := map[string]any{"sub": g.user.Subject, "email": g.user.Email, "email_verified": g.user.EmailVerified}
	if g.user.Name != "" {
		info["name"] = g.user.Name
	}
	if g.user.HostedDomain != "" {
		info["hd"] = g.user.HostedDomain
	}
	writeJSON(w, http.StatusOK, info)
}
