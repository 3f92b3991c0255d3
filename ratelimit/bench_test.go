package ratelimit

import (
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// benchKeys look like client IPs; 4096 of them spread over every shard.
var benchKeys = func() []string {
	k := make([]string, 4096)
	for i := range k {
		k[i] = "198.51." + strconv.Itoa(i/256) + "." + strconv.Itoa(i%256)
	}
	return k
}()

func benchAllowParallel(b *testing.B, opts ...Option) {
	l := New(100, 15*time.Minute, nil, opts...)
	var next atomic.Uint32
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := next.Add(1) * 997
		for pb.Next() {
			l.Allow(benchKeys[i%uint32(len(benchKeys))])
			i++
		}
	})
}

// BenchmarkAllowParallel measures Allow from GOMAXPROCS goroutines on
// distinct keys, with the default sharding.
func BenchmarkAllowParallel(b *testing.B) { benchAllowParallel(b) }

// BenchmarkAllowParallelOneMutex is the same with a single shard, the
// baseline that justifies sharding.
func BenchmarkAllowParallelOneMutex(b *testing.B) { benchAllowParallel(b, withShards(1)) }
