//go:build unix

package web_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/toriihq/torii/devidp"
	"github.com/toriihq/torii/testserver"
)

// BenchmarkGoogleSignIn_ExistingUser is the sign-in path the load tool
// measures (tools/toriibench -scenario google) without its rounds and
// baseline: POST /api/v1/auth/google for a linked user over loopback, 64
// clients at once, from a pool of distinct tokens. It exists for
// `go test -bench GoogleSignIn -cpuprofile` (the load tool's profile also
// holds the token minting and the baselines); the figures that count are
// the load tool's.
func BenchmarkGoogleSignIn_ExistingUser(b *testing.B) {
	idp := testserver.StartIDP(b, devidp.Options{})
	env := idp.Env()
	for k, v := range map[string]string{"TORII_RATE_LOGIN_IP": "off", "TORII_RATE_LOGIN_ACCOUNT": "off", "TORII_LOG_LEVEL": "info"} {
		env[k] = v
	}
	srv := testserver.Start(b, testserver.Options{Env: env})
	u := devidp.User{Email: "bench@example.com", Name: "Bench", EmailVerified: true}
	bodies := make([][]byte, 2000)
	for i := range bodies {
		c := idp.Claims(u, testserver.IDPClientID, "")
		c["jti"] = fmt.Sprint("bench-", i)
		bodies[i] = []byte(`{"credential":"` + idp.Sign(c) + `"}`)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 128}}
	post := func(body []byte) error {
		resp, err := client.Post(srv.URL+"/api/v1/auth/google", "application/json", bytes.NewReader(body))
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		if resp.StatusCode/100 != 2 {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	}
	if err := post(bodies[0]); err != nil { // creates the user
		b.Fatal(err)
	}
	var next atomic.Int64
	b.SetParallelism(32)
	cpu0, t0 := cpuTime(), time.Now()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := post(bodies[next.Add(1)%int64(len(bodies))]); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	cpu, wall := cpuTime()-cpu0, time.Since(t0)
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/op")
	b.ReportMetric(100*cpu.Seconds()/wall.Seconds()/float64(runtime.GOMAXPROCS(0)), "%cpu")
}

// cpuTime is the CPU time this process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
