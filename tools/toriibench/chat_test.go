package main

import "testing"

func TestParseStamp_ReadsTheBodysLeadingNanoseconds(t *testing.T) {
	for _, c := range []struct {
		line string
		want int64
		ok   bool
	}{
		{`data: {"id":7,"roomId":2,"author":"user","user":{"id":3,"name":"B","avatarUrl":""},"body":"t123456 bench message","clientId":"a-1"}` + "\n", 123456, true},
		{`data: {"id":7,"body":"t0"}`, 0, true},
		{`data: {"id":7,"body":"hello"}`, 0, false},
		{`data: {"id":7,"body":"t"}`, 0, false},
		{`: ping`, 0, false},
	} {
		got, ok := parseStamp([]byte(c.line))
		if got != c.want || ok != c.ok {
			t.Errorf("parseStamp(%q) = %d, %v; want %d, %v", c.line, got, ok, c.want, c.ok)
		}
	}
}

func TestMessageID_ReadsTheCreatedMessagesID(t *testing.T) {
	id, err := messageID([]byte(`{"message":{"id":4521,"roomId":2,"author":"user"}}`))
	if err != nil || id != 4521 {
		t.Fatalf("messageID = %d, %v; want 4521", id, err)
	}
	if _, err := messageID([]byte(`{"error":{"code":"NOT_FOUND"}}`)); err == nil {
		t.Fatal("messageID of an error answer: no error")
	}
}

func TestIDSet_HoldsExactlyTheIDsAboveItsBase(t *testing.T) {
	var s idSet
	s.reset(100)
	for _, id := range []int64{99, 100, 101, 164, 165, 1000} {
		s.add(id)
	}
	for id, want := range map[int64]bool{99: false, 100: false, 101: true, 102: false, 164: true, 165: true, 1000: true, 1001: false} {
		if s.has(id) != want {
			t.Errorf("has(%d) = %v, want %v", id, !want, want)
		}
	}
	if s.len() != 4 {
		t.Errorf("len = %d, want 4", s.len())
	}
	s.reset(1000)
	if s.has(1000) || s.len() != 0 {
		t.Error("reset kept ids")
	}
}
