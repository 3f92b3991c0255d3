//go:build unix

package oidc_test

import (
	"syscall"
	"testing"
	"time"

	"github.com/toriihq/torii/oidc"
)

// BenchmarkVerify is Verify of a valid RS256 ID token, the part of a
// Google sign-in that the load tool's baseline (a bare crypto/rsa check)
// measures the core of.
func BenchmarkVerify(b *testing.B) {
	p, srv := startIDP(b)
	c := oidc.New(oidc.Config{Issuer: srv.URL, ClientID: "client", Now: func() time.Time { return t0 }})
	tok := p.Sign(p.Claims(ada, "client", ""))
	if _, err := c.Verify(b.Context(), tok, ""); err != nil {
		b.Fatal(err)
	}
	cpu0 := cpuTime()
	for b.Loop() {
		if _, err := c.Verify(b.Context(), tok, ""); err != nil {
			b.Fatal(err)
		}
	}
	// CPU time per op says more than wall time on a shared machine.
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// cpuTime is the CPU time this process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
