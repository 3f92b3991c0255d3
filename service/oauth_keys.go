package service

import (
	"context"
	"crypto/rsa"
	"sort"
)

// The OpenID Provider signs ID tokens and app access tokens with torii's
// own keys: the same keyring, rotation and JWKS (/.well-known/jwks.json)
// as torii's access tokens, shared by every instance. There is no second
// key set.

// CurrentSigningKey returns the key that signs now and its kid.
func (s *Service) CurrentSigningKey(ctx context.Context) (kid string, key *rsa.PrivateKey, err error) {
	st, err := s.signingKeys(ctx)
	if err != nil {
		return "", nil, err
	}
	return st.kid, st.priv, nil
}

// PublicSigningKey is one published verification key.
type PublicSigningKey struct {
	ID  string
	Key *rsa.PublicKey
}

// PublishedSigningKeys returns the keys the JWKS publishes, by kid.
func (s *Service) PublishedSigningKeys(ctx context.Context) ([]PublicSigningKey, error) {
	st, err := s.signingKeys(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]PublicSigningKey, 0, len(st.public))
	for kid, k := range st.public {
		out = append(out, PublicSigningKey{ID: kid, Key: k.key})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}
