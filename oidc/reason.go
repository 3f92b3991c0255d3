package oidc

import (
	"errors"
	"fmt"

	"github.com/toriihq/torii"
)

// ErrReason names the check that refused an ID token or a sign-in step.
// It goes to the log and to the `check` field of the `signin.failure`
// audit event, never to a client; tests assert it, so that each check is
// proven by a test that fails without it.
type ErrReason string

// The reasons. Every one but the provider ones is UNAUTHORIZED, except
// ReasonHostedDomain (NOT_ALLOWED).
const (
	// The token as a whole.
	ReasonMalformed     ErrReason = "malformed"       // not a compact JWS, oversized, or claims that do not decode
	ReasonAlgNotAllowed ErrReason = "alg_not_allowed" // header alg not among the provider's advertised safe algorithms

	// The key set (keyset.go).
	ReasonUnknownKey      ErrReason = "unknown_key"         // no key with the token's kid, even after the allowed refetch
	ReasonKeyNotForSig    ErrReason = "key_not_for_signing" // the kid names a key whose `use` is not `sig`
	ReasonSymmetricKey    ErrReason = "symmetric_key"       // the kid names an `oct` key (HMAC key confusion)
	ReasonNotPublicKey    ErrReason = "not_public_key"      // the kid names a key published with its private part
	ReasonKeyAlgMismatch  ErrReason = "key_alg_mismatch"    // the key's JWK `alg` pins another algorithm
	ReasonBadSignature    ErrReason = "bad_signature"       // the signature does not verify
	ReasonWrongIssuer     ErrReason = "wrong_issuer"        // go-oidc: iss
	ReasonWrongAudience   ErrReason = "wrong_audience"      // go-oidc: aud lacks our client id
	ReasonExpired         ErrReason = "expired"             // go-oidc: exp (with our leeway)
	ReasonNotYetValid     ErrReason = "not_yet_valid"       // go-oidc: nbf
	ReasonAZPMismatch     ErrReason = "azp_mismatch"        // several audiences and azp not our client id
	ReasonMissingIAT      ErrReason = "missing_iat"         // no iat
	ReasonIATInFuture     ErrReason = "iat_in_future"       // iat beyond the leeway ahead
	ReasonMissingSub      ErrReason = "missing_sub"         // no sub
	ReasonNonceMismatch   ErrReason = "nonce_mismatch"      // code flow: nonce missing or not ours
	ReasonHostedDomain    ErrReason = "hd_mismatch"         // hd missing or not TORII_GOOGLE_HOSTED_DOMAIN
	ReasonExchangeRefused ErrReason = "exchange_refused"    // the token endpoint refused the code (4xx)
	ReasonNoIDToken       ErrReason = "no_id_token"         // the token response has no id_token
	ReasonRejected        ErrReason = "rejected"            // go-oidc refused for a reason not named above

	// The provider could not be reached or answered 5xx: SERVICE_UNAVAILABLE.
	ReasonUnreachable     ErrReason = "provider_unreachable"
	ReasonDiscoveryFailed ErrReason = "discovery_failed"
)

var (
	errUnverified  = torii.Errorf(torii.EUnauthorized, "The Google sign-in could not be verified. Please try again.")
	errDomain      = torii.Errorf(torii.ENotAllowed, "This Google account is not part of the organisation allowed here.")
	errUnavailable = torii.Errorf(torii.EServiceUnavailable,
		"Google sign-in is temporarily unavailable. Please try again in a moment.")
)

// Error is a refusal: the coded torii error clients see (Unwrap), the
// reason (which check), and a detail for the log.
type Error struct {
	Reason ErrReason
	Detail string
	coded  *torii.Error
}

func (e *Error) Error() string {
	if e.Detail == "" {
		return fmt.Sprintf("oidc: %s: %v", e.Reason, e.coded)
	}
	return fmt.Sprintf("oidc: %s: %s: %v", e.Reason, e.Detail, e.coded)
}

// Unwrap returns the coded error, so torii.ErrorCode sees its code.
func (e *Error) Unwrap() error { return e.coded }

// FailedCheck returns the reason as a string: callers outside this
// package (the service's audit) read it through this method.
func (e *Error) FailedCheck() string { return string(e.Reason) }

// reject returns the refusal for reason, coded by the reason's class.
func reject(reason ErrReason, detail string) error {
	coded := errUnverified
	switch reason {
	case ReasonHostedDomain:
		coded = errDomain
	case ReasonUnreachable, ReasonDiscoveryFailed:
		coded = errUnavailable
	}
	return &Error{Reason: reason, Detail: detail, coded: coded}
}

// ReasonOf returns the reason of an error from this package, "" if none.
func ReasonOf(err error) ErrReason {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}
