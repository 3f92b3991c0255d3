package oidc

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"

	jose "github.com/go-jose/go-jose/v4"
)

// parsedJWS is a compact JWS, parsed once. go-jose's parse is a good part
// of a sign-in's cost, so the common case — RS256, the algorithm Google and
// most providers use — is checked here with crypto/rsa directly on the
// signing input. Every other case (another algorithm, a `crit` or `b64`
// header) goes through go-jose, which also refuses critical headers it does
// not know.
type parsedJWS struct {
	raw          string
	alg, kid     string
	signingInput string
	payload      []byte
	signature    []byte
	// general is true when go-jose must verify this token.
	general bool
}

var errMalformed = errors.New("oidc: malformed jwt")

func parseJWS(raw string) (*parsedJWS, error) {
	header, rest, ok1 := strings.Cut(raw, ".")
	payload, sig, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || strings.Contains(sig, ".") {
		return nil, errMalformed
	}
	hb, err := base64.RawURLEncoding.Strict().DecodeString(header)
	if err != nil {
		return nil, errMalformed
	}
	var h map[string]json.RawMessage
	if err := json.Unmarshal(hb, &h); err != nil {
		return nil, errMalformed
	}
	j := &parsedJWS{raw: raw, signingInput: raw[:len(header)+1+len(payload)]}
	if err := unquote(h["alg"], &j.alg); err != nil {
		return nil, errMalformed
	}
	if err := unquote(h["kid"], &j.kid); err != nil {
		return nil, errMalformed
	}
	_, crit := h["crit"]
	_, b64 := h["b64"]
	j.general = j.alg != string(jose.RS256) || crit || b64
	if !j.general {
		if j.payload, err = base64.RawURLEncoding.Strict().DecodeString(payload); err != nil {
			return nil, errMalformed
		}
		if j.signature, err = base64.RawURLEncoding.Strict().DecodeString(sig); err != nil {
			return nil, errMalformed
		}
	}
	return j, nil
}

func unquote(v json.RawMessage, dst *string) error {
	if v == nil {
		return nil
	}
	return json.Unmarshal(v, dst)
}

// verify checks the signature with key and returns the payload.
func (j *parsedJWS) verify(key *jose.JSONWebKey) ([]byte, bool) {
	if !j.general {
		pub, ok := key.Key.(*rsa.PublicKey)
		if !ok || (key.Algorithm != "" && key.Algorithm != string(jose.RS256)) {
			return nil, false
		}
		sum := sha256.Sum256([]byte(j.signingInput))
		if rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], j.signature) != nil {
			return nil, false
		}
		return j.payload, true
	}
	jws, err := jose.ParseSigned(j.raw, allowedAlgs)
	if err != nil || len(jws.Signatures) != 1 {
		return nil, false
	}
	payload, err := jws.Verify(key)
	return payload, err == nil
}
