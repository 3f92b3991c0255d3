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
// `kid`s costs at most one request to the provider per interval, and a
// provider's key rotation refuses sign-ins for at most that long.
const (
	defaultKeyTTL = time.Hour
	minKeyTTL     = 5 * time.Minute
	maxKeyTTL     = 24 * time.Hour
	maxJWKSBytes  = 1 << 20
)

// DefaultMinRefetch is the least time between two JWKS fetches.
const DefaultMinRefetch = 10 * time.Second

// keySet is go-oidc's KeySet for one provider: it verifies a token's
// signature with the provider's JWKS through go-jose. It replaces go-oidc's
// RemoteKeySet, which fetches again for every token whose `kid` it does not
// know; and it says why it refused (the `kid` of a key it does not trust,
// an `alg` the key does not allow) so each filter is tested by its reason.
type keySet struct {
	url        string
	client     *http.Client
	now        func() time.Time
	minRefetch time.Duration
	onFetch    func(err error)

	mu        sync.Mutex
	keys      []jose.JSONWebKey    // usable: public, asymmetric, for signing
	dropped   map[string]ErrReason // kid → why the key published under it is not used
	expires   time.Time
	lastFetch time.Time     // start of the last attempt, successful or not (k.now)
	lastErr   error         // the last attempt's error
	inflight  chan struct{} // closed when the running fetch ends

	fetches atomic.Int64
}

// verifyCall collects, for one Verify, what the key set saw: go-oidc
// passes its errors on as text only, so the reason travels beside it.
type verifyCall struct {
	called bool
	reason ErrReason
	detail string
}

type callKey struct{}

// VerifySignature implements go-oidc's KeySet. go-oidc has already checked
// the header's alg against the provider's advertised safe algorithms.
func (k *keySet) VerifySignature(ctx context.Context, raw string) ([]byte, error) {
	payload, reason, detail := k.verify(ctx, raw)
	if call, ok := ctx.Value(callKey{}).(*verifyCall); ok {
		call.called, call.reason, call.detail = true, reason, detail
	}
	if reason != "" {
		return nil, fmt.Errorf("%s: %s", reason, detail)
	}
	return payload, nil
}

func (k *keySet) verify(ctx context.Context, raw string) ([]byte, ErrReason, string) {
	jws, err := jose.ParseSignedCompact(raw, allowedAlgs)
	if err != nil {
		return nil, ReasonMalformed, err.Error()
	}
	if len(jws.Signatures) != 1 {
		return nil, ReasonMalformed, "not exactly one signature"
	}
	kid := jws.Signatures[0].Header.KeyID

	if _, fresh := k.cached(); !fresh {
		// Empty or past its max-age. If the provider cannot be reached,
		// the stale keys still serve rather than refusing every sign-in.
		k.refresh(ctx)
	}
	payload, reason, detail := k.match(jws, kid)
	if reason == ReasonUnknownKey {
		// An unknown kid may be a key the provider has just started to
		// use: look again, at most once per minRefetch. A caller that
		// finds a fetch running waits for it and shares its result.
		k.refresh(ctx)
		payload, reason, detail = k.match(jws, kid)
		if reason == ReasonUnknownKey {
			if err := k.lastError(); err != nil {
				return nil, ReasonUnreachable, err.Error()
			}
		}
	}
	return payload, reason, detail
}

// match verifies jws with the cached keys named by kid (every key when the
// token names none).
func (k *keySet) match(jws *jose.JSONWebSignature, kid string) ([]byte, ErrReason, string) {
	keys, _ := k.cached()
	alg := jws.Signatures[0].Header.Algorithm
	reason, detail := ReasonUnknownKey, fmt.Sprintf("no key %q in the provider's key set", kid)
	for i := range keys {
		key := &keys[i]
		if kid != "" && key.KeyID != kid {
			continue
		}
		// RFC 7517 §4.4: a key that names its algorithm is used with that
		// one only.
		if key.Algorithm != "" && key.Algorithm != alg {
			reason, detail = ReasonKeyAlgMismatch, fmt.Sprintf("key %q is for %s, the token says %s", key.KeyID, key.Algorithm, alg)
			continue
		}
		payload, err := jws.Verify(key)
		if err == nil {
			return payload, "", ""
		}
		reason, detail = ReasonBadSignature, fmt.Sprintf("key %q: %v", key.KeyID, err)
	}
	if reason == ReasonUnknownKey {
		k.mu.Lock()
		why, ok := k.dropped[kid]
		k.mu.Unlock()
		if ok && kid != "" {
			return nil, why, fmt.Sprintf("the provider's key %q is not usable to verify ID tokens", kid)
		}
	}
	return nil, reason, detail
}

// cached returns the usable keys and whether they are within their max-age.
func (k *keySet) cached() ([]jose.JSONWebKey, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.keys, len(k.keys) > 0 && k.now().Before(k.expires)
}

func (k *keySet) lastError() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.lastErr
}

// refresh fetches the key set unless a fetch started within minRefetch.
// Concurrent callers share one fetch: whoever comes while it runs waits
// for it (or for its own ctx to end).
func (k *keySet) refresh(ctx context.Context) {
	k.mu.Lock()
	if wait := k.inflight; wait != nil {
		k.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
		}
		return
	}
	now := k.now()
	// A clock that went back (now before last) does not block a fetch.
	if !k.lastFetch.IsZero() && now.Sub(k.lastFetch) < k.minRefetch && !now.Before(k.lastFetch) {
		k.mu.Unlock()
		return
	}
	done := make(chan struct{})
	k.lastFetch, k.inflight = now, done
	k.mu.Unlock()

	keys, dropped, ttl, err := k.fetch(ctx)
	k.fetches.Add(1)
	k.mu.Lock()
	k.lastErr, k.inflight = err, nil
	if err == nil {
		k.keys, k.dropped, k.expires = keys, dropped, now.Add(ttl)
	}
	k.mu.Unlock()
	close(done)
	if k.onFetch != nil {
		k.onFetch(err)
	}
}

// fetch downloads the JWKS and keeps the keys that may verify ID tokens:
// public asymmetric keys whose `use` is `sig` or absent. The others are
// remembered by kid with the reason they are not used. An `oct` key in a
// JWKS would let anyone who reads it sign tokens (HMAC key confusion); a
// key for encryption must not verify signatures (RFC 7517 §4.2).
func (k *keySet) fetch(ctx context.Context) ([]jose.JSONWebKey, map[string]ErrReason, time.Duration, error) {
	// The fetch outlives a cancelled request: other requests wait for it.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), fetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.url, nil)
	if err != nil {
		return nil, nil, 0, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := k.client.Do(req)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("fetch keys: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes))
	if err != nil {
		return nil, nil, 0, fmt.Errorf("fetch keys: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, nil, 0, fmt.Errorf("fetch keys from %s: %s", k.url, resp.Status)
	}
	var raw struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, nil, 0, fmt.Errorf("fetch keys: %w", err)
	}
	var keys []jose.JSONWebKey
	dropped := map[string]ErrReason{}
	for _, r := range raw.Keys {
		var key jose.JSONWebKey
		if err := json.Unmarshal(r, &key); err != nil {
			continue // a key type we do not know: RFC 7517 §5 says ignore it
		}
		if why := unusable(&key); why != "" {
			dropped[key.KeyID] = why
			continue
		}
		if !key.Valid() {
			continue
		}
		keys = append(keys, key)
	}
	if len(keys) == 0 {
		return nil, nil, 0, errors.New("fetch keys: the key set holds no usable public signing key")
	}
	return keys, dropped, maxAge(resp.Header.Get("Cache-Control")), nil
}

// unusable says why key may not verify ID tokens, "" if it may.
func unusable(key *jose.JSONWebKey) ErrReason {
	switch {
	case key.Use != "" && key.Use != "sig":
		return ReasonKeyNotForSig
	case isSymmetric(key):
		return ReasonSymmetricKey
	case !key.IsPublic():
		return ReasonNotPublicKey
	}
	return ""
}

func isSymmetric(key *jose.JSONWebKey) bool {
	_, ok := key.Key.([]byte)
	return ok
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
