package service_test

import (
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/toriihq/torii/service"
	"github.com/toriihq/torii/sqlstore"
	"github.com/toriihq/torii/testserver"
)

// Instances that start (or find the key due) at the same moment, each with
// its own connections to one database, end up with exactly one new key:
// the rotation decision runs inside the store's exclusive transaction.
func TestKeys_ConcurrentInstancesMakeExactlyOneKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "torii.db")
	clock := testserver.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	const n = 4
	var services []*service.Service
	var first *sqlstore.Store
	for i := range n {
		st, err := sqlstore.Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		if i == 0 {
			if err := st.Migrate(t.Context()); err != nil {
				t.Fatal(err)
			}
			first = st
		}
		services = append(services, service.New(service.Options{Store: st, Now: clock.Now, Issuer: "https://torii.example.com"}))
	}
	race := func() {
		var wg sync.WaitGroup
		for _, s := range services {
			wg.Go(func() {
				if err := s.EnsureSigningKeys(t.Context()); err != nil {
					t.Errorf("EnsureSigningKeys: %v", err)
				}
			})
		}
		wg.Wait()
	}
	race()
	keys, err := first.SigningKeys(t.Context())
	if err != nil || len(keys) != 1 {
		t.Fatalf("after a concurrent first start: %d keys (%v), want 1", len(keys), err)
	}
	clock.Advance(service.KeyRotationPeriod)
	race()
	keys, err = first.SigningKeys(t.Context())
	if err != nil || len(keys) != 2 {
		t.Fatalf("after a concurrent rotation: %d keys (%v), want 2", len(keys), err)
	}
	if want := clock.Now().Add(service.KeyOverlap); !keys[1].NotAfter.Equal(want) {
		t.Errorf("retired key published until %v, want %v", keys[1].NotAfter, want)
	}
	for _, s := range services {
		jwks, err := s.JWKS(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			if !containsKid(jwks, k.ID) {
				t.Errorf("an instance does not publish %s", k.ID)
			}
		}
	}
}

func containsKid(jwks []byte, kid string) bool {
	return kid != "" && strings.Contains(string(jwks), `"kid":"`+kid+`"`)
}
