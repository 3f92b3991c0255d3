package service

import (
	"context"
	"io"
	"iter"
	"log/slog"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestCleanTitle_FirstLineWithoutMarksQuotesOrFullStopWithinTheBound(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Brewing green tea", "Brewing green tea"},
		{"\"Brewing green tea.\"\n", "Brewing green tea"},
		{"## **Brewing tea**\nmore text", "Brewing tea"},
		{"Title: Tea time", "Tea time"},
		{"「緑茶のいれ方」。", "緑茶のいれ方"},
		{"\n\n  \n", ""},
		{strings.Repeat("word ", 30), strings.TrimSpace(strings.Repeat("word ", 11)) + "…"},
	}
	for _, tt := range tests {
		got := cleanTitle(tt.in)
		if got != tt.want {
			t.Errorf("cleanTitle(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if utf8.RuneCountInString(got) > maxTitleRunes {
			t.Errorf("cleanTitle(%q) is %d characters", tt.in, utf8.RuneCountInString(got))
		}
	}
}

func TestFirstWords_SixWordsOrFortyCharacters(t *testing.T) {
	tests := []struct{ in, want string }{
		{"How do I brew tea?", "How do I brew tea?"},
		{"Please explain how the quick brown fox jumps over dogs", "Please explain how the quick brown…"},
		{"## Line one\nline two", "Line one line two"},
		{"緑茶をおいしくいれるには、お湯の温度と時間をどのくらいにすればよいですか？もっと詳しく", "緑茶をおいしくいれるには、お湯の温度と時間をどのくらいにすればよいですか？もっ…"},
	}
	for _, tt := range tests {
		if got := firstWords(tt.in); got != tt.want {
			t.Errorf("firstWords(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// stuckGenerator is a model whose one-shot answer never comes.
type stuckGenerator struct{ asked chan struct{} }

func (stuckGenerator) Stream(ctx context.Context, _ []AssistantTurn) iter.Seq2[string, error] {
	return func(func(string, error) bool) {}
}

func (g stuckGenerator) Generate(ctx context.Context, _, _, _ string, _ int) (string, *AssistantTokens, error) {
	close(g.asked)
	<-ctx.Done()
	return "", nil, ctx.Err()
}

func TestGenerateTitle_ASlowTitleCallEndsAtItsTimeoutWithTheFirstWords(t *testing.T) {
	old := titleTimeout
	titleTimeout = 50 * time.Millisecond
	defer func() { titleTimeout = old }()
	g := stuckGenerator{asked: make(chan struct{})}
	s := &Service{opts: Options{Assistant: g}, now: time.Now, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	start := time.Now()
	got := s.generateTitle(context.Background(), 1, "How do I brew green tea at home?", "Like this.", AssistantRequest{}, "m", 1)
	if got != "How do I brew green tea…" {
		t.Fatalf("title %q", got)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("the title call took %v, past its bound", d)
	}
	<-g.asked
}
