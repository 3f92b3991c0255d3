package oidc

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"

	"github.com/toriihq/torii"
)

// maxTokenBytes bounds the ID tokens we parse; Google's are about 1 KiB.
const maxTokenBytes = 16 << 10

// extraClaims are the claims torii reads beyond go-oidc's IDToken fields.
type extraClaims struct {
	AZP           string          `json:"azp"`
	Email         string          `json:"email"`
	EmailVerified json.RawMessage `json:"email_verified"`
	Name          string          `json:"name"`
	Picture       string          `json:"picture"`
	HD            string          `json:"hd"`
}

// newVerifier returns go-oidc's verifier for the discovered provider: our
// key set, our client id, the advertised safe algorithms, and a clock set
// Leeway back, so go-oidc's `exp` check (which has no leeway of its own)
// tolerates that much skew.
func (c *Client) newVerifier(keys *keySet, algs []string) *gooidc.IDTokenVerifier {
	now, leeway := c.cfg.Now, c.cfg.Leeway
	return gooidc.NewVerifier(c.cfg.Issuer, keys, &gooidc.Config{
		ClientID:             c.cfg.ClientID,
		SupportedSigningAlgs: algs,
		Now:                  func() time.Time { return now().Add(-leeway) },
	})
}

// Verify checks a raw ID token (a GIS credential or the code flow's) and
// returns its claims. go-oidc's IDTokenVerifier checks the signature (with
// our key set: see keyset.go), the algorithm against the provider's
// advertised safe ones, `iss` (for Google both spellings), `aud`, `exp`
// (with Leeway) and `nbf`; then Verify checks what go-oidc leaves to its
// callers: `azp` equal to our client id when `aud` has several values,
// `iat` present and not beyond Leeway in the future, `sub` present, `nonce`
// equal to nonce when nonce is not empty (the code flow; GIS tokens carry
// none we set), and `hd` when a hosted domain is configured (NOT_ALLOWED).
//
// Every refusal is an *Error whose Reason names the check.
func (c *Client) Verify(ctx context.Context, raw, nonce string) (torii.IDClaims, error) {
	if raw == "" || len(raw) > maxTokenBytes {
		return torii.IDClaims{}, reject(ReasonMalformed, "missing or oversized token")
	}
	d, err := c.ready(ctx)
	if err != nil {
		return torii.IDClaims{}, err
	}
	call := &verifyCall{}
	tok, err := d.verifier.Verify(context.WithValue(ctx, callKey{}, call), raw)
	if err != nil {
		return torii.IDClaims{}, reject(classify(err, call, raw), err.Error())
	}
	var cl extraClaims
	if err := tok.Claims(&cl); err != nil {
		return torii.IDClaims{}, reject(ReasonMalformed, "claims: "+err.Error())
	}
	now := c.cfg.Now()
	switch {
	case len(tok.Audience) > 1 && cl.AZP != c.cfg.ClientID:
		return torii.IDClaims{}, reject(ReasonAZPMismatch, fmt.Sprintf("several audiences and azp %q is not our client", cl.AZP))
	case tok.IssuedAt.IsZero():
		return torii.IDClaims{}, reject(ReasonMissingIAT, "no iat claim")
	case tok.IssuedAt.After(now.Add(c.cfg.Leeway)):
		return torii.IDClaims{}, reject(ReasonIATInFuture, "iat "+tok.IssuedAt.UTC().Format(time.RFC3339)+" is in the future")
	case tok.Subject == "":
		return torii.IDClaims{}, reject(ReasonMissingSub, "no sub claim")
	case nonce != "" && subtle.ConstantTimeCompare([]byte(tok.Nonce), []byte(nonce)) != 1:
		return torii.IDClaims{}, reject(ReasonNonceMismatch, "nonce missing or not the one sent")
	case c.cfg.HostedDomain != "" && !strings.EqualFold(cl.HD, c.cfg.HostedDomain):
		return torii.IDClaims{}, reject(ReasonHostedDomain, fmt.Sprintf("hd %q is not %q", cl.HD, c.cfg.HostedDomain))
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

// anyAlg is every algorithm a JWS header may name, to tell a token whose
// algorithm we refuse from one that is not a JWS at all.
var anyAlg = append(slices.Clone(allowedAlgs), jose.HS256, jose.HS384, jose.HS512, "none")

// classify names the check behind a go-oidc refusal. go-oidc reports its
// errors as text (only an expired token has a type), so the key set's
// reason travels in call, a token go-oidc refused to parse is parsed again
// to see whether only its algorithm was wrong, and the claim checks go-oidc
// makes after the signature are told apart by their messages (pinned by
// this package's tests, so an upgrade that rewords them fails loudly).
func classify(err error, call *verifyCall, raw string) ErrReason {
	var expired *gooidc.TokenExpiredError
	switch {
	case errors.As(err, &expired):
		return ReasonExpired
	case call.called && call.reason != "":
		return call.reason
	case !call.called:
		if _, perr := jose.ParseSigned(raw, anyAlg); perr == nil {
			// A well-formed JWS whose algorithm go-oidc's list lacks.
			return ReasonAlgNotAllowed
		}
		return ReasonMalformed
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "issued by a different provider"):
		return ReasonWrongIssuer
	case strings.Contains(msg, "expected audience"):
		return ReasonWrongAudience
	case strings.Contains(msg, "nbf"):
		return ReasonNotYetValid
	case strings.Contains(msg, "unmarshal claims"):
		return ReasonMalformed
	}
	return ReasonRejected
}

// isTrue reads email_verified, a boolean that some providers (and older
// Google tokens) send as the string "true".
func isTrue(v json.RawMessage) bool {
	s := strings.TrimSpace(string(v))
	return s == "true" || s == `"true"`
}
