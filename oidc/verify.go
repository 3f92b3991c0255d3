package oidc

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

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

// tokenClaims are the claims of an ID token, decoded once.
type tokenClaims struct {
	Issuer        string          `json:"iss"`
	Subject       string          `json:"sub"`
	Audience      audience        `json:"aud"`
	Expiry        *float64        `json:"exp"`
	NotBefore     *float64        `json:"nbf"`
	IAT           *float64        `json:"iat"`
	Nonce         string          `json:"nonce"`
	AZP           string          `json:"azp"`
	Email         string          `json:"email"`
	EmailVerified json.RawMessage `json:"email_verified"`
	Name          string          `json:"name"`
	Picture       string          `json:"picture"`
	HD            string          `json:"hd"`
}

// audience is `aud`: one string or an array of them.
type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	var one string
	if json.Unmarshal(b, &one) == nil {
		*a = audience{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*a = many
	return nil
}

// nbfSkew is the clock skew tolerated on `nbf`, as go-oidc tolerates it.
const nbfSkew = 5 * time.Minute

// unixTime reads a NumericDate (seconds, possibly fractional) as go-oidc
// does: whole seconds.
func unixTime(f float64) time.Time { return time.Unix(int64(f), 0) }

// Verify checks a raw ID token (a GIS credential or the code flow's) and
// returns its claims: signature by a key of the provider with an allowed
// algorithm, `iss` (for Google both spellings), `aud` containing our client
// id and, when it holds several values, `azp` equal to it; `exp` present
// and not past (with Leeway), `nbf` if present not ahead by more than five
// minutes, `iat` present and not in the future, `sub` present; `nonce`
// equal to nonce when nonce is not empty (the code flow; GIS tokens carry
// none we set); and `hd` when a hosted domain is configured (NOT_ALLOWED).
//
// These are go-oidc's IDTokenVerifier checks plus the ones it leaves to
// its callers, done here on one parse of the token: go-oidc's verifier
// parses it with go-jose before asking the key set, which parses it again,
// and then decodes the claims twice, about as much work as the RSA
// signature check itself (docs/benchmarks.md). Discovery and the code
// exchange still go through go-oidc and oauth2.
func (c *Client) Verify(ctx context.Context, raw, nonce string) (torii.IDClaims, error) {
	if raw == "" || len(raw) > maxTokenBytes {
		return torii.IDClaims{}, reject(torii.EUnauthorized, "missing or oversized token")
	}
	d, err := c.ready(ctx)
	if err != nil {
		return torii.IDClaims{}, err
	}
	// The signature first: nothing of an unsigned token is looked at.
	jws, err := parseJWS(raw)
	if err != nil {
		return torii.IDClaims{}, reject(torii.EUnauthorized, err.Error())
	}
	if !slices.Contains(d.algs, jws.alg) {
		return torii.IDClaims{}, reject(torii.EUnauthorized, fmt.Sprintf("signing algorithm %q is not allowed", jws.alg))
	}
	payload, err := d.keys.verify(ctx, jws)
	if err != nil {
		return torii.IDClaims{}, reject(torii.EUnauthorized, err.Error())
	}
	var cl tokenClaims
	if err := json.Unmarshal(payload, &cl); err != nil {
		return torii.IDClaims{}, reject(torii.EUnauthorized, "claims: "+err.Error())
	}
	now := c.cfg.Now()
	switch {
	case cl.Issuer != c.cfg.Issuer && !(c.cfg.Issuer == GoogleIssuer && cl.Issuer == googleIssuerNoScheme):
		return torii.IDClaims{}, reject(torii.EUnauthorized, fmt.Sprintf("issued by %q, not %q", cl.Issuer, c.cfg.Issuer))
	case !slices.Contains(cl.Audience, c.cfg.ClientID):
		return torii.IDClaims{}, reject(torii.EUnauthorized, fmt.Sprintf("audience %q does not hold our client", []string(cl.Audience)))
	case cl.Expiry == nil:
		return torii.IDClaims{}, reject(torii.EUnauthorized, "no exp claim")
	case unixTime(*cl.Expiry).Before(now.Add(-c.cfg.Leeway)):
		return torii.IDClaims{}, reject(torii.EUnauthorized, "token expired at "+unixTime(*cl.Expiry).UTC().Format(time.RFC3339))
	case cl.NotBefore != nil && unixTime(*cl.NotBefore).After(now.Add(nbfSkew)):
		return torii.IDClaims{}, reject(torii.EUnauthorized, "nbf in the future")
	case cl.Subject == "":
		return torii.IDClaims{}, reject(torii.EUnauthorized, "no sub claim")
	case cl.IAT == nil:
		return torii.IDClaims{}, reject(torii.EUnauthorized, "no iat claim")
	case unixTime(*cl.IAT).After(now.Add(c.cfg.Leeway)):
		return torii.IDClaims{}, reject(torii.EUnauthorized, "iat in the future")
	case len(cl.Audience) > 1 && cl.AZP != c.cfg.ClientID:
		return torii.IDClaims{}, reject(torii.EUnauthorized, fmt.Sprintf("several audiences and azp %q is not our client", cl.AZP))
	case nonce != "" && subtle.ConstantTimeCompare([]byte(cl.Nonce), []byte(nonce)) != 1:
		return torii.IDClaims{}, reject(torii.EUnauthorized, "nonce missing or not the one sent")
	case c.cfg.HostedDomain != "" && !strings.EqualFold(cl.HD, c.cfg.HostedDomain):
		return torii.IDClaims{}, reject(torii.ENotAllowed, fmt.Sprintf("hd %q is not %q", cl.HD, c.cfg.HostedDomain))
	}
	return torii.IDClaims{
		Issuer:        c.cfg.Issuer,
		Subject:       cl.Subject,
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
