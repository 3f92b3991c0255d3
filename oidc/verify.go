package oidc

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"

	"github.com/toriihq/torii"
)

// maxTokenBytes bounds the ID tokens we parse; Google's are about 1 KiB.
const maxTokenBytes = 16 << 10

var (
	errUnverified = torii.Errorf(torii.EUnauthorized, "The Google sign-in could not be verified. Please try again.")
	errDomain     = torii.Errorf(torii.ENotAllowed, "This Google account is not part of the organisation allowed here.")
)

// reject returns the coded error for code, wrapped with the reason (logged
// and audited, never sent to a client).
func reject(code, reason string) error {
	base := errUnverified
	if code == torii.ENotAllowed {
		base = errDomain
	}
	return fmt.Errorf("oidc: %s: %w", reason, base)
}

// tokenClaims are the claims Verify reads beyond go-oidc's.
type tokenClaims struct {
	Email         string          `json:"email"`
	EmailVerified json.RawMessage `json:"email_verified"`
	Name          string          `json:"name"`
	Picture       string          `json:"picture"`
	HD            string          `json:"hd"`
	AZP           string          `json:"azp"`
	IAT           *float64        `json:"iat"`
}

// Verify checks a raw ID token (a GIS credential or the code flow's) and
// returns its claims: signature by a key of the provider with an allowed
// algorithm, `iss` (for Google both spellings), `aud` containing our client
// id and, when it holds several values, `azp` equal to it; `exp` (with
// Leeway), `iat` present and not in the future, `sub` present; `nonce`
// equal to nonce when nonce is not empty (the code flow; GIS tokens carry
// none we set); and `hd` when a hosted domain is configured (NOT_ALLOWED).
func (c *Client) Verify(ctx context.Context, raw, nonce string) (torii.IDClaims, error) {
	if raw == "" || len(raw) > maxTokenBytes {
		return torii.IDClaims{}, reject(torii.EUnauthorized, "missing or oversized token")
	}
	d, err := c.ready(ctx)
	if err != nil {
		return torii.IDClaims{}, err
	}
	tok, err := d.verifier.Verify(ctx, raw)
	var expired *gooidc.TokenExpiredError
	if errors.As(err, &expired) {
		return torii.IDClaims{}, reject(torii.EUnauthorized, "token expired at "+expired.Expiry.UTC().Format(time.RFC3339))
	} else if err != nil {
		return torii.IDClaims{}, reject(torii.EUnauthorized, err.Error())
	}
	var cl tokenClaims
	if err := tok.Claims(&cl); err != nil {
		return torii.IDClaims{}, reject(torii.EUnauthorized, "claims: "+err.Error())
	}
	switch {
	case tok.Subject == "":
		return torii.IDClaims{}, reject(torii.EUnauthorized, "no sub claim")
	case cl.IAT == nil:
		return torii.IDClaims{}, reject(torii.EUnauthorized, "no iat claim")
	case time.Unix(int64(*cl.IAT), 0).After(c.cfg.Now().Add(c.cfg.Leeway)):
		return torii.IDClaims{}, reject(torii.EUnauthorized, "iat in the future")
	case len(tok.Audience) > 1 && cl.AZP != c.cfg.ClientID:
		return torii.IDClaims{}, reject(torii.EUnauthorized, fmt.Sprintf("several audiences and azp %q is not our client", cl.AZP))
	case nonce != "" && subtle.ConstantTimeCompare([]byte(tok.Nonce), []byte(nonce)) != 1:
		return torii.IDClaims{}, reject(torii.EUnauthorized, "nonce missing or not the one sent")
	case c.cfg.HostedDomain != "" && !strings.EqualFold(cl.HD, c.cfg.HostedDomain):
		return torii.IDClaims{}, reject(torii.ENotAllowed, fmt.Sprintf("hd %q is not %q", cl.HD, c.cfg.HostedDomain))
	}
	return torii.IDClaims{
		Issuer:        c.cfg.Issuer,
		Subject:       tok.Subject,
		Email:         cl.Email,
		EmailVerified: isTrue(cl.EmailVerified),
		Name:          cl.Name,
		Picture:       cl.Picture,
		HostedDomain:  cl.HD,
	}, nil
}

// isTrue reads email_verified, a boolean that some providers (and older
// Google tokens) send as the string "true".
func isTrue(v json.RawMessage) bool {
	s := strings.TrimSpace(string(v))
	return s == "true" || s == `"true"`
}
