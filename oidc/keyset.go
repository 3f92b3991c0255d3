package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Key set cache bounds. A fetched JWKS is trusted for its Cache-Control
// max-age, clamped to [minKeyTTL, maxKeyTTL]; an unknown `kid` or an
// expired cache triggers a fetch, but never more than one per
// DefaultMinRefetch (security.md A.7), so a flood of tokens with random
// `kid`s costs at most one request to the provider per interval.
const (
	defaultKeyTTL = time.Hour
	minKeyTTL     = 5 * time.Minute
	maxKeyTTL     = 24 * time.Hour
	maxJWKSBytes  = 1 << 20
)

// DefaultMinRefetch is the least time between two JWKS fetches.
const DefaultMinRefetch = time.Minute

// keySet verifies JWS signatures against the provider's JWKS. It replaces
// go-oidc's RemoteKeySet, which fetches again for every token whose `kid`
// it does not know.
type keySet struct {
	url        string
	client     *http.Client
	now        func() time.Time
	minRefetch time.Duration
	onFetch    func(err error)

	mu        sync.RWMutex
	keys      []jose.JSONWebKey
	expires   time.Time
	lastFetch time.Time // last attempt, successful or not

	fetchMu sync.Mutex // one fetch at a time
	fetches atomic.Int64
}

// verify checks the signature of a parsed token and returns its payload.
// The caller has already checked the algorithm against the allowed list.
func (k *keySet) verify(ctx context.Context, jws *parsedJWS) ([]byte, error) {
	kid := jws.kid

	keys, fresh := k.cached()
	if fresh {
		if payload, ok := verifyWith(jws, keys, kid); ok {
			return payload, nil
		}
		// An unknown kid may be a key the provider has just started to
		// use: look again, at most once per minRefetch.
		if !k.refresh(ctx) {
			return nil, fmt.Errorf("oidc: no key %q in the provider's key set verifies the token", kid)
		}
	} else {
		// Empty or past its max-age. If the provider cannot be reached,
		// the stale keys still serve rather than refusing every sign-in.
		k.refresh(ctx)
	}
	keys, _ = k.cached()
	if payload, ok := verifyWith(jws, keys, kid); ok {
		return payload, nil
	}
	return nil, fmt.Errorf("oidc: no key %q in the provider's key set verifies the token", kid)
}

func verifyWith(jws *parsedJWS, keys []jose.JSONWebKey, kid string) ([]byte, bool) {
	for i := range keys {
		if kid != "" && keys[i].KeyID != kid {
			continue
		}
		if payload, ok := jws.verify(&keys[i]); ok {
			return payload, true
		}
	}
	return nil, false
}

// cached returns the keys and whether they are within their max-age.
func (k *keySet) cached() ([]jose.JSONWebKey, bool) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.keys, len(k.keys) > 0 && k.now().Before(k.expires)
}

// refresh fetches the key set unless a fetch happened within minRefetch,
// and reports whether it fetched successfully. Concurrent callers wait for
// one fetch instead of starting their own.
func (k *keySet) refresh(ctx context.Context) bool {
	k.fetchMu.Lock()
	defer k.fetchMu.Unlock()
	k.mu.RLock()
	last := k.lastFetch
	k.mu.RUnlock()
	now := k.now()
	if !last.IsZero() && now.Sub(last) < k.minRefetch && !now.Before(last) {
		return false
	}
	k.mu.Lock()
	k.lastFetch = now
	k.mu.Unlock()
	keys, ttl, err := k.fetch(ctx)
	k.fetches.Add(1)
	if k.onFetch != nil {
		k.onFetch(err)
	}
	if err != nil {
		return false
	}
	k.mu.Lock()
	k.keys, k.expires = keys, now.Add(ttl)
	k.mu.Unlock()
	return true
}

// fetch downloads the JWKS and keeps the public signing keys it can use.
// Symmetric keys are dropped: an `oct` key in a JWKS would let anyone who
// reads it sign tokens (HS256 key confusion).
func (k *keySet) fetch(ctx context.Context) ([]jose.JSONWebKey, time.Duration, error) {
	// The fetch outlives a cancelled request: other requests wait for it.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), fetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.url, nil)
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := k.client.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("oidc: fetch keys: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes))
	if err != nil {
		return nil, 0, fmt.Errorf("oidc: fetch keys: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, 0, fmt.Errorf("oidc: fetch keys: %s", resp.Status)
	}
	var raw struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, 0, fmt.Errorf("oidc: fetch keys: %w", err)
	}
	var keys []jose.JSONWebKey
	for _, r := range raw.Keys {
		var key jose.JSONWebKey
		if err := json.Unmarshal(r, &key); err != nil {
			continue // a key type we do not know: RFC 7517 §5 says ignore it
		}
		if !key.Valid() || !key.IsPublic() || (key.Use != "" && key.Use != "sig") {
			continue
		}
		keys = append(keys, key)
	}
	if len(keys) == 0 {
		return nil, 0, errors.New("oidc: fetch keys: the key set holds no usable public key")
	}
	return keys, maxAge(resp.Header.Get("Cache-Control")), nil
}

// maxAge reads Cache-Control's max-age, clamped to the cache bounds.
func maxAge(cc string) time.Duration {
	for _, part := range strings.Split(cc, ",") {
		name, val, _ := strings.Cut(strings.TrimSpace(part), "=")
		if strings.EqualFold(name, "max-age") {
			if n, err := strconv.Atoi(strings.Trim(val, `"`)); err == nil {
				return min(max(time.Duration(n)*time.Second, minKeyTTL), maxKeyTTL)
			}
		}
	}
	return defaultKeyTTL
}
