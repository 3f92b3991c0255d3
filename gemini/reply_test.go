package gemini_test

import (
	"context"
	"strings"
	"testing"

	"github.com/toriihq/torii/gemini"
	"github.com/toriihq/torii/gemini/geminitest"
)

func TestReply_SendsTheConversationsModelInstructionAndGroundingTool(t *testing.T) {
	fake := geminitest.New(t)
	c := newClient(t, fake)
	for _, err := range c.Reply(context.Background(), []gemini.Turn{ask("hi")},
		gemini.Options{Model: "gemini-2.5-pro", SystemPrompt: "Answer in French.", Grounding: true}) {
		if err != nil {
			t.Fatal(err)
		}
	}
	r := fake.Requests()[0]
	if r.Model != "gemini-2.5-pro" {
		t.Errorf("model %q, want the conversation's", r.Model)
	}
	if !strings.HasPrefix(r.System(), "Answer in French.") || strings.Contains(r.System(), "Be brief.") {
		t.Errorf("system instruction %q, want the conversation's replacing the default", r.System())
	}
	if !r.GoogleSearch() {
		t.Errorf("tools %v, want googleSearch", r.Tools)
	}
}

func TestReply_DefaultsUseTheClientsModelAndNoTool(t *testing.T) {
	fake := geminitest.New(t)
	for _, err := range newClient(t, fake).Reply(context.Background(), []gemini.Turn{ask("hi")}, gemini.Options{}) {
		if err != nil {
			t.Fatal(err)
		}
	}
	r := fake.Requests()[0]
	if r.Model != "gemini-test" || !strings.HasPrefix(r.System(), "Be brief.") || r.GoogleSearch() {
		t.Fatalf("model %q system %q tools %v; want the defaults and no tool", r.Model, r.System(), r.Tools)
	}
}

func TestReply_ReportsUsageMetadataAndSources(t *testing.T) {
	fake := geminitest.New(t)
	fake.Enqueue(geminitest.Reply{Chunks: []string{"a", "b"},
		Usage:   &geminitest.Usage{Prompt: 120, Candidates: 30, Thoughts: 7, Total: 157},
		Sources: []geminitest.Source{{Title: "Go", URI: "https://go.dev/"}, {Title: "Go", URI: "https://go.dev/"}}})
	var usage *gemini.Usage
	var srcs []gemini.Source
	var text string
	for ch, err := range newClient(t, fake).Reply(context.Background(), []gemini.Turn{ask("hi")}, gemini.Options{Grounding: true}) {
		if err != nil {
			t.Fatal(err)
		}
		text += ch.Text
		if ch.Usage != nil {
			usage = ch.Usage
		}
		srcs = append(srcs, ch.Sources...)
	}
	want := gemini.Usage{PromptTokens: 120, CandidatesTokens: 30, ThoughtsTokens: 7, TotalTokens: 157}
	if text != "ab" || usage == nil || *usage != want {
		t.Fatalf("text %q usage %+v, want ab and %+v", text, usage, want)
	}
	if len(srcs) != 1 || srcs[0].URI != "https://go.dev/" {
		t.Fatalf("sources %+v, want go.dev once", srcs)
	}
}
