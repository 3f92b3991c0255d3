package oidc_test

import (
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/oidc"
)

// clock is a test clock that goroutines may read while the test moves it.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// rotated starts a provider with key "k1", a client that has fetched the
// JWKS once (at t0), and then makes "k2" the provider's signing key.
func rotated(t *testing.T) (*testProvider, *oidc.Client, *clock, *jose.JSONWebKey) {
	t.Helper()
	k1, k2 := rsaKey(t, "k1"), rsaKey(t, "k2")
	p := startProvider(t, []string{"RS256"}, jwk(t, k1, "RS256", "sig", false))
	clk := &clock{t: t0}
	c := p.client(clk.Now)
	if _, err := c.Verify(t.Context(), sign(t, k1, jose.RS256, "k1", p.claims(t0)), ""); err != nil {
		t.Fatal(err)
	}
	p.publish(jwk(t, k1, "RS256", "sig", false), jwk(t, k2, "RS256", "sig", false))
	return p, c, clk, k2
}

func TestKeySet_RotatedKeyAcceptedWithinTenSeconds(t *testing.T) {
	p, c, clk, k2 := rotated(t)
	if oidc.DefaultMinRefetch != 10*time.Second {
		t.Fatalf("DefaultMinRefetch = %v, want 10 s (issue 13)", oidc.DefaultMinRefetch)
	}
	clk.Advance(oidc.DefaultMinRefetch - time.Second)
	tok := sign(t, k2, jose.RS256, "k2", p.claims(clk.Now()))
	// Too soon after the last fetch: refused without a fetch, by reason.
	if _, err := c.Verify(t.Context(), tok, ""); oidc.ReasonOf(err) != oidc.ReasonUnknownKey {
		t.Fatalf("9 s after the last fetch: %v, want unknown_key", err)
	}
	if n := p.fetches.Load(); n != 1 {
		t.Fatalf("%d fetches, want 1", n)
	}
	clk.Advance(time.Second)
	if _, err := c.Verify(t.Context(), tok, ""); err != nil {
		t.Fatalf("10 s after the last fetch: %v", err)
	}
	if n := p.fetches.Load(); n != 2 {
		t.Fatalf("%d fetches, want 2", n)
	}
}

func TestKeySet_ConcurrentCallersShareOneFetch(t *testing.T) {
	p, c, clk, k2 := rotated(t)
	clk.Advance(oidc.DefaultMinRefetch)
	tok := sign(t, k2, jose.RS256, "k2", p.claims(clk.Now()))
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for range 32 {
		wg.Go(func() {
			_, err := c.Verify(t.Context(), tok, "")
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		// A caller that came while the fetch ran waited for it; one that
		// came after found the key cached.
		if err != nil {
			t.Fatalf("a concurrent sign-in with the new key: %v", err)
		}
	}
	if n := p.fetches.Load(); n != 2 {
		t.Fatalf("%d fetches for 32 concurrent sign-ins, want 2 (the first and one shared)", n)
	}
}

func TestKeySet_FloodOfRandomKidsFetchesAtMostOncePerTenSeconds(t *testing.T) {
	p, c, clk, _ := rotated(t)
	flood := func() {
		var wg sync.WaitGroup
		for i := range 50 {
			wg.Go(func() {
				k := unknownKeys()[i%4]
				_, err := c.Verify(t.Context(), sign(t, k, jose.RS256, fmt.Sprintf("random-%d-%d", clk.Now().Unix(), i), p.claims(clk.Now())), "")
				if oidc.ReasonOf(err) != oidc.ReasonUnknownKey {
					t.Errorf("random kid: %v, want unknown_key", err)
				}
			})
		}
		wg.Wait()
	}
	for step, want := range []int64{1, 1, 2, 2, 3} {
		if step > 0 {
			clk.Advance(5 * time.Second)
		}
		flood()
		if n := p.fetches.Load(); n != want {
			t.Fatalf("after %d s: %d fetches, want %d", 5*step, n, want)
		}
	}
}

// unknownKeys are a few signing keys the JWKS never holds, reused by the
// flood (generating 250 RSA keys would be the test's whole cost).
var unknownKeys = sync.OnceValue(func() []*jose.JSONWebKey {
	var out []*jose.JSONWebKey
	for i := range 4 {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		out = append(out, &jose.JSONWebKey{Key: k, KeyID: fmt.Sprint("unknown-", i)})
	}
	return out
})

func TestKeySet_UnreachableJWKSIsServiceUnavailable(t *testing.T) {
	k := rsaKey(t, "k")
	p := startProvider(t, []string{"RS256"}, jwk(t, k, "RS256", "sig", false))
	p.setJWKSFail(true)
	clk := &clock{t: t0}
	c := p.client(clk.Now)
	tok := sign(t, k, jose.RS256, "k", p.claims(t0))
	_, err := c.Verify(t.Context(), tok, "")
	if oidc.ReasonOf(err) != oidc.ReasonUnreachable || torii.ErrorCode(err) != torii.EServiceUnavailable {
		t.Fatalf("JWKS down at first use: %v, want provider_unreachable, SERVICE_UNAVAILABLE", err)
	}
	// Within the refetch bound the answer stays "try again", not a bad
	// sign-in: the provider is still the one at fault.
	if _, err := c.Verify(t.Context(), tok, ""); torii.ErrorCode(err) != torii.EServiceUnavailable {
		t.Fatalf("JWKS down, second try: %v", err)
	}
	p.setJWKSFail(false)
	clk.Advance(oidc.DefaultMinRefetch)
	if _, err := c.Verify(t.Context(), tok, ""); err != nil {
		t.Fatalf("after the JWKS came back: %v", err)
	}
}

func TestKeySet_StaleKeysServeWhileJWKSIsDown(t *testing.T) {
	k := rsaKey(t, "k")
	p := startProvider(t, []string{"RS256"}, jwk(t, k, "RS256", "sig", false))
	clk := &clock{t: t0}
	c := p.client(clk.Now)
	if _, err := c.Verify(t.Context(), sign(t, k, jose.RS256, "k", p.claims(t0)), ""); err != nil {
		t.Fatal(err)
	}
	p.setJWKSFail(true)
	clk.Advance(25 * time.Hour) // past any max-age
	if _, err := c.Verify(t.Context(), sign(t, k, jose.RS256, "k", p.claims(clk.Now())), ""); err != nil {
		t.Fatalf("a known key while the JWKS is down: %v", err)
	}
	if n := p.fetches.Load(); n != 2 {
		t.Fatalf("%d fetches, want 2 (the stale cache was refreshed once)", n)
	}
}
