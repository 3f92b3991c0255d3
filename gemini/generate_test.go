package gemini_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/gemini"
	"github.com/toriihq/torii/gemini/geminitest"
)

func TestGenerate_OneRequestWithItsOwnInstructionAndUsage(t *testing.T) {
	fake := geminitest.New(t)
	fake.Key = testKey
	fake.EnqueueUnary(geminitest.Reply{Chunks: []string{"Tea ", "brewing"}, Usage: &geminitest.Usage{Prompt: 40, Candidates: 3, Total: 43}})
	// A streamed reply enqueued for the conversation is not spent on it.
	fake.Enqueue(geminitest.Text("streamed"))
	text, usage, err := newClient(t, fake).Generate(context.Background(), "Name it.", "how to brew tea", 20, gemini.Options{Model: "gemini-small"})
	if err != nil {
		t.Fatal(err)
	}
	if text != "Tea brewing" || usage == nil || usage.TotalTokens != 43 || usage.PromptTokens != 40 {
		t.Fatalf("text %q usage %+v", text, usage)
	}
	reqs := fake.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	r := reqs[0]
	if r.Stream || r.Model != "gemini-small" || r.System() != "Name it." || len(r.Contents) != 1 || r.Contents[0].Text() != "how to brew tea" {
		t.Fatalf("request: stream %v model %q system %q contents %+v", r.Stream, r.Model, r.System(), r.Contents)
	}
	chunks, err := collect(context.Background(), newClient(t, fake), ask("hi"))
	if err != nil || len(chunks) != 1 || chunks[0] != "streamed" {
		t.Fatalf("the streamed reply after: %q %v", chunks, err)
	}
}

func TestGenerate_APIErrorIsCoded(t *testing.T) {
	fake := geminitest.New(t)
	fake.Key = testKey
	fake.EnqueueUnary(geminitest.Reply{Status: http.StatusTooManyRequests})
	_, _, err := newClient(t, fake).Generate(context.Background(), "Name it.", "q", 0, gemini.Options{})
	if codeOf(err) != torii.AssistantQuota {
		t.Fatalf("err = %v (code %q), want %s", err, codeOf(err), torii.AssistantQuota)
	}
}
