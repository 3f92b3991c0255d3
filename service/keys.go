package service

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/toriihq/torii"
)

// The signing key schedule (docs/integrate.md, "Keys and rotation").
const (
	// KeyAlgorithm is the one algorithm torii signs and accepts: RS256 has
	// the widest verifier support (every JWT library, nginx modules, cloud
	// gateways).
	KeyAlgorithm = jose.RS256
	// keyBits is the RSA modulus size (NIST: good beyond 2030).
	keyBits = 2048
	// KeyRotationPeriod is how long a key signs before a new one takes
	// over.
	KeyRotationPeriod = 24 * time.Hour
	// KeyOverlap is how long a retired key stays published: twice the
	// access token lifetime, which covers the verification leeway and an
	// instance that has not yet reloaded the keys, with room to spare.
	KeyOverlap = 2 * accessTokenTTL
	// JWKSMaxAge is the JWKS's Cache-Control max-age. It is shorter than
	// KeyOverlap, so a verifier's cached copy never outlives a key it
	// still needs; a token signed by a key newer than the cached copy has
	// an unknown kid, on which verifiers (go-oidc, PyJWKClient) refetch.
	JWKSMaxAge = 5 * time.Minute
	// keyCacheTTL is how long an instance uses the keys it read before
	// reading them again (another instance may have rotated).
	keyCacheTTL = time.Minute
	// unknownKidReload bounds how often a token with an unknown kid makes
	// the instance re-read the keys, so a flood of forged kids costs no
	// more than one read per interval.
	unknownKidReload = 10 * time.Second
)

// keyring is the instance's view of the signing keys: the newest signs,
// every published one verifies. It re-reads the store every keyCacheTTL,
// and rotates (through the store's UpdateSigningKeys, safe against other
// instances) when the newest key is due.
type keyring struct {
	mu     sync.Mutex
	state  *keyState
	missAt time.Time
}

// keyState is one immutable snapshot of the keys.
type keyState struct {
	loadedAt time.Time
	kid      string
	signer   jose.Signer
	// priv is the current private key, for the OpenID Provider's signer
	// (oauth_keys.go).
	priv     *rsa.PrivateKey
	rotateAt time.Time
	public   map[string]publishedKey
	jwks     []byte
}

type publishedKey struct {
	key      *rsa.PublicKey
	notAfter time.Time
}

// signingKeys returns the current keys, rotating them first if they are
// due; every instance on the database agrees on the outcome.
func (s *Service) signingKeys(ctx context.Context) (*keyState, error) {
	now := s.now().UTC()
	s.keys.mu.Lock()
	defer s.keys.mu.Unlock()
	st := s.keys.state
	if st != nil && now.Sub(st.loadedAt) < keyCacheTTL && !now.Before(st.loadedAt) && now.Before(st.rotateAt) {
		return st, nil
	}
	return s.reloadKeys(ctx, now)
}

// keysForKid returns keys that publish kid if any do, re-reading the store
// (at most once per unknownKidReload) when the snapshot does not know it:
// another instance may have rotated a moment ago.
func (s *Service) keysForKid(ctx context.Context, kid string) (publishedKey, bool, error) {
	st, err := s.signingKeys(ctx)
	if err != nil {
		return publishedKey{}, false, err
	}
	if k, ok := st.public[kid]; ok {
		return k, true, nil
	}
	now := s.now().UTC()
	s.keys.mu.Lock()
	defer s.keys.mu.Unlock()
	if now.Sub(s.keys.missAt) < unknownKidReload && !now.Before(s.keys.missAt) {
		return publishedKey{}, false, nil
	}
	s.keys.missAt = now
	if st, err = s.reloadKeys(ctx, now); err != nil {
		return publishedKey{}, false, err
	}
	k, ok := st.public[kid]
	return k, ok, nil
}

// reloadKeys reads the keys, rotates them if due, and installs the
// snapshot. The caller holds s.keys.mu.
func (s *Service) reloadKeys(ctx context.Context, now time.Time) (*keyState, error) {
	keys, err := s.store.SigningKeys(ctx)
	if err != nil {
		return nil, err
	}
	if rotationDue(keys, now) || hasExpired(keys, now) {
		// The key is made outside the transaction (it takes tens of
		// milliseconds); if another instance rotates first, it is
		// dropped unused.
		var fresh torii.SigningKey
		if rotationDue(keys, now) {
			if fresh, err = newSigningKey(s.rsaKey, now); err != nil {
				return nil, err
			}
		}
		keys, err = s.store.UpdateSigningKeys(ctx, func(keys []torii.SigningKey) ([]torii.SigningKey, error) {
			return planKeys(keys, now, fresh), nil
		})
		if err != nil {
			return nil, err
		}
		if len(keys) > 0 && keys[0].ID == fresh.ID {
			s.log.Info("signing key rotated", "key", keys[0])
		}
	}
	st, err := newKeyState(keys, now)
	if err != nil {
		return nil, err
	}
	s.keys.state = st
	return st, nil
}

// rotationDue reports whether a new key must be made: there is none, or the
// newest has signed for its period (or has expired).
func rotationDue(keys []torii.SigningKey, now time.Time) bool {
	return len(keys) == 0 || !now.Before(keys[0].CreatedAt.Add(KeyRotationPeriod)) || !now.Before(keys[0].NotAfter)
}

func hasExpired(keys []torii.SigningKey, now time.Time) bool {
	for _, k := range keys {
		if !now.Before(k.NotAfter) {
			return true
		}
	}
	return false
}

// planKeys is the rotation decision, made on the keys as the store holds
// them inside its transaction: expired keys go; if the newest is due and a
// fresh key is at hand, the newest is retired (published for KeyOverlap
// more: it signs nothing after now) and the fresh key goes on top. Run by
// several instances at once, only the first adds a key: the others find
// the newest no longer due.
func planKeys(keys []torii.SigningKey, now time.Time, fresh torii.SigningKey) []torii.SigningKey {
	out := make([]torii.SigningKey, 0, len(keys)+1)
	for _, k := range keys {
		if now.Before(k.NotAfter) {
			out = append(out, k)
		}
	}
	if fresh.ID == "" || !rotationDue(out, now) {
		return out
	}
	if len(out) > 0 {
		out[0].NotAfter = now.Add(KeyOverlap)
	}
	return append([]torii.SigningKey{fresh}, out...)
}

// rsaKey makes the RSA key of a new signing key.
func (s *Service) rsaKey() (*rsa.PrivateKey, error) {
	if s.opts.RSAKey != nil {
		return s.opts.RSAKey()
	}
	return rsa.GenerateKey(s.rand, keyBits)
}

// newSigningKey makes an RSA key (with makeKey), its kid (the RFC 7638
// thumbprint) and its public JWK. A fresh key may sign for
// KeyRotationPeriod and verify for KeyOverlap after that.
func newSigningKey(makeKey func() (*rsa.PrivateKey, error), now time.Time) (torii.SigningKey, error) {
	priv, err := makeKey()
	if err != nil {
		return torii.SigningKey{}, fmt.Errorf("signing key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return torii.SigningKey{}, fmt.Errorf("signing key: %w", err)
	}
	thumb, err := (&jose.JSONWebKey{Key: &priv.PublicKey}).Thumbprint(crypto.SHA256)
	if err != nil {
		return torii.SigningKey{}, fmt.Errorf("signing key: %w", err)
	}
	kid := base64.RawURLEncoding.EncodeToString(thumb)
	pub, err := json.Marshal(jose.JSONWebKey{Key: &priv.PublicKey, KeyID: kid, Algorithm: string(KeyAlgorithm), Use: "sig"})
	if err != nil {
		return torii.SigningKey{}, fmt.Errorf("signing key: %w", err)
	}
	return torii.SigningKey{
		ID: kid, Algorithm: string(KeyAlgorithm), PrivateKey: der, PublicJWK: pub,
		CreatedAt: now, NotAfter: now.Add(KeyRotationPeriod + KeyOverlap),
	}, nil
}

// newKeyState parses the stored keys into a snapshot: the published ones
// (not yet past NotAfter), and a signer for the newest.
func newKeyState(keys []torii.SigningKey, now time.Time) (*keyState, error) {
	st := &keyState{loadedAt: now, public: map[string]publishedKey{}}
	var jwks struct {
		Keys []json.RawMessage `json:"keys"`
	}
	jwks.Keys = []json.RawMessage{}
	for _, k := range keys {
		if !now.Before(k.NotAfter) || k.Algorithm != string(KeyAlgorithm) {
			continue
		}
		var jwk jose.JSONWebKey
		if err := jwk.UnmarshalJSON(k.PublicJWK); err != nil {
			return nil, fmt.Errorf("signing key %s: public JWK: %w", k.ID, err)
		}
		pub, ok := jwk.Key.(*rsa.PublicKey)
		if !ok || jwk.KeyID != k.ID {
			return nil, fmt.Errorf("signing key %s: public JWK is not the RSA key it names", k.ID)
		}
		st.public[k.ID] = publishedKey{key: pub, notAfter: k.NotAfter}
		jwks.Keys = append(jwks.Keys, json.RawMessage(bytes.TrimSpace(k.PublicJWK)))
	}
	if len(keys) == 0 || keys[0].Algorithm != string(KeyAlgorithm) || !now.Before(keys[0].NotAfter) {
		return nil, errors.New("signing keys: no current key")
	}
	cur := keys[0]
	parsed, err := x509.ParsePKCS8PrivateKey(cur.PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: private key: %w", cur.ID, err)
	}
	priv, ok := parsed.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("signing key %s: not an RSA key", cur.ID)
	}
	st.kid, st.rotateAt, st.priv = cur.ID, cur.CreatedAt.Add(KeyRotationPeriod), priv
	st.signer, err = jose.NewSigner(jose.SigningKey{Algorithm: KeyAlgorithm, Key: jose.JSONWebKey{Key: priv, KeyID: cur.ID}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", cur.ID, err)
	}
	if st.jwks, err = json.Marshal(jwks); err != nil {
		return nil, err
	}
	return st, nil
}

// JWKS returns the published public keys as a JSON Web Key Set: the
// current key and those retired less than KeyOverlap ago.
func (s *Service) JWKS(ctx context.Context) ([]byte, error) {
	st, err := s.signingKeys(ctx)
	if err != nil {
		return nil, err
	}
	return st.jwks, nil
}

// EnsureSigningKeys makes the first key on a new database (and rotates a
// due one); the server calls it at start-up so the JWKS is never empty.
func (s *Service) EnsureSigningKeys(ctx context.Context) error {
	_, err := s.signingKeys(ctx)
	return err
}
