package main

import (
	"io"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestUserStreamReader_CountsMessageEventsByTheirMessageID: on a user
// stream the SSE ids are event log ids and other events (presence, read,
// room.add) come in between; only message events count, by the message id
// in their data.
func TestUserStreamReader_CountsMessageEventsByTheirMessageID(t *testing.T) {
	c := &chatClient{userStream: true, base: time.Now()}
	s := &subscriber{c: c, done: make(chan struct{})}
	body := "event: presence\ndata: {\"roomId\":null,\"userId\":7,\"online\":true}\n\n" +
		"id: 500\nevent: message\ndata: {\"id\":41,\"roomId\":1,\"body\":\"t1 hi\"}\n\n" +
		"id: 501\nevent: read\ndata: {\"roomId\":1,\"lastRead\":41}\n\n" +
		": ping\n\n" +
		"id: 502\nevent: message.edit\ndata: {\"id\":41,\"roomId\":1,\"body\":\"t1 edited\"}\n\n" +
		"id: 503\nevent: message\ndata: {\"id\":45,\"roomId\":1,\"body\":\"t2 there\"}\n\n"
	s.read(io.NopCloser(strings.NewReader(body)))
	if got := s.count.Load(); got != 2 {
		t.Fatalf("%d messages counted, want 2", got)
	}
	if s.last.Load() != 45 || !s.seen.has(41) || !s.seen.has(45) || s.dups.Load() != 0 {
		t.Fatalf("last %d, dups %d", s.last.Load(), s.dups.Load())
	}
}

func TestDisturbed_NamesTheRoundsWhereOthersTookMoreThanTheThreshold(t *testing.T) {
	r := &TeamResult{
		Latency:  ChatLatency{Rounds: []ChatLatencyRound{{CPU: CPU{Others: 0.02}}, {CPU: CPU{Others: 0.30}}}},
		Baseline: ChatLatency{Rounds: []ChatLatencyRound{{CPU: CPU{Others: 0.06}}}},
	}
	got := r.disturbed()
	want := []string{"team latency round 2 (30 %)", "team baseline round 1 (6 %)"}
	if !slices.Equal(got, want) {
		t.Fatalf("disturbed() = %q, want %q", got, want)
	}
	c := &ChatResult{Throughput: ChatThroughput{Rounds: []ChatRateRound{{CPU: CPU{Others: 0.5}}}}}
	if got := c.disturbed(); !slices.Equal(got, []string{"chat (b) throughput round 1 (50 %)"}) {
		t.Fatalf("chat disturbed() = %q", got)
	}
}
