package password

import (
	"context"
	"testing"

	"golang.org/x/crypto/argon2"
)

// BenchmarkHashDefault measures one raw argon2id computation at
// DefaultParams, without the semaphore or encoding: the "raw hashes per
// second" baseline that the load tool compares sign-in throughput against.
// Run it briefly (-benchtime=20x): each op allocates 19 MiB.
func BenchmarkHashDefault(b *testing.B) {
	p := DefaultParams
	salt := make([]byte, p.SaltLen)
	pw := []byte(testPassword)
	b.ReportAllocs()
	for b.Loop() {
		argon2.IDKey(pw, salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	}
}

// BenchmarkVerifyDefaultParallel measures Verify at DefaultParams from many
// goroutines, through the semaphore (concurrency = NumCPU).
func BenchmarkVerifyDefaultParallel(b *testing.B) {
	h := New(DefaultParams, 0, nil)
	ctx := context.Background()
	enc, err := h.Hash(ctx, testPassword)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if ok, err := h.Verify(ctx, testPassword, enc); !ok || err != nil {
				b.Errorf("Verify = %v, %v", ok, err)
				return
			}
		}
	})
}
