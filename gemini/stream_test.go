package gemini_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/gemini"
	"github.com/toriihq/torii/gemini/geminitest"
)

const testKey = "test-key-3f9a"

// codeOf returns the Code of a *gemini.Error, "" for anything else.
func codeOf(err error) string {
	var e *gemini.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// newClient returns a Client of the real SDK pointed at fake.
func newClient(t *testing.T, fake *geminitest.Server, edit ...func(*gemini.Config)) *gemini.Client {
	t.Helper()
	cfg := gemini.Config{APIKey: testKey, BaseURL: fake.URL, Model: "gemini-test", SystemPrompt: "Be brief."}
	for _, e := range edit {
		e(&cfg)
	}
	c, err := gemini.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// collect runs a Stream to its end.
func collect(ctx context.Context, c *gemini.Client, history ...gemini.Turn) (chunks []string, err error) {
	for chunk, e := range c.Stream(ctx, history) {
		if e != nil {
			return chunks, e
		}
		chunks = append(chunks, chunk)
	}
	return chunks, nil
}

func ask(text string) gemini.Turn { return gemini.Turn{Name: "Ada", Text: text} }

func TestStream_YieldsChunksInOrder(t *testing.T) {
	fake := geminitest.New(t)
	fake.Key = testKey
	fake.Enqueue(geminitest.Text("One, ", "two, ", "three."))
	chunks, err := collect(context.Background(), newClient(t, fake), ask("count"))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(chunks, "|"); got != "One, |two, |three." {
		t.Fatalf("chunks = %q", got)
	}
	reqs := fake.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if !r.Stream || r.Model != "gemini-test" || r.Path != "/v1beta/models/gemini-test:streamGenerateContent" {
		t.Errorf("request path %q model %q stream %v", r.Path, r.Model, r.Stream)
	}
	if r.APIKey != testKey {
		t.Errorf("x-goog-api-key = %q", r.APIKey)
	}
}

func TestStream_SendsSystemPromptAndHistory(t *testing.T) {
	fake := geminitest.New(t)
	c := newClient(t, fake)
	history := []gemini.Turn{
		{Name: "Ada", Text: "My cat is called Pixel."},
		{Model: true, Text: "Nice name!"},
		{Name: "Bob", Text: "What is her cat called?"},
	}
	if _, err := collect(context.Background(), c, history...); err != nil {
		t.Fatal(err)
	}
	r := fake.Requests()[0]
	if r.SystemInstruction == nil || !strings.HasPrefix(r.SystemInstruction.Text(), "Be brief.") {
		t.Fatalf("systemInstruction = %+v", r.SystemInstruction)
	}
	want := []geminitest.Content{
		{Role: "user", Parts: []geminitest.Part{{Text: "[Ada] My cat is called Pixel."}}},
		{Role: "model", Parts: []geminitest.Part{{Text: "Nice name!"}}},
		{Role: "user", Parts: []geminitest.Part{{Text: "[Bob] What is her cat called?"}}},
	}
	if len(r.Contents) != len(want) {
		t.Fatalf("contents = %+v", r.Contents)
	}
	for i := range want {
		if r.Contents[i].Role != want[i].Role || r.Contents[i].Text() != want[i].Text() {
			t.Errorf("content %d = %+v, want %+v", i, r.Contents[i], want[i])
		}
	}
}

func TestStream_ContextBudgetBoundsTheRequest(t *testing.T) {
	fake := geminitest.New(t)
	c := newClient(t, fake, func(c *gemini.Config) { c.ContextChars = 100 })
	var history []gemini.Turn
	for range 50 {
		history = append(history, ask(strings.Repeat("z", 30)), gemini.Turn{Model: true, Text: "ok"})
	}
	history = append(history, ask("last"))
	if _, err := collect(context.Background(), c, history...); err != nil {
		t.Fatal(err)
	}
	r := fake.Requests()[0]
	total := 0
	for _, c := range r.Contents {
		total += len(c.Text())
	}
	if total > 100 || !strings.HasSuffix(r.Contents[len(r.Contents)-1].Text(), "[Ada] last") {
		t.Fatalf("sent %d characters, last %q", total, r.Contents[len(r.Contents)-1].Text())
	}
}

func TestStream_Failures(t *testing.T) {
	tests := []struct {
		name       string
		reply      geminitest.Reply
		key        string // the fake's accepted key, when set
		wantChunks string
		wantCode   string
		retryAfter time.Duration
	}{
		{name: "429 is quota, with Google's retry delay",
			reply: geminitest.Reply{Status: 429, RetryDelay: "33s"}, wantCode: torii.AssistantQuota, retryAfter: 33 * time.Second},
		{name: "500 is unavailable", reply: geminitest.Reply{Status: 500}, wantCode: torii.AssistantUnavailable},
		{name: "503 overloaded is unavailable", reply: geminitest.Reply{Status: 503}, wantCode: torii.AssistantUnavailable},
		{name: "a wrong key is misconfigured", key: "another-key", wantCode: torii.AssistantMisconfigured},
		{name: "403 is misconfigured", reply: geminitest.Reply{Status: 403}, wantCode: torii.AssistantMisconfigured},
		{name: "an unknown model is misconfigured", reply: geminitest.Reply{Status: 404}, wantCode: torii.AssistantMisconfigured},
		{name: "another 400 is a failure", reply: geminitest.Reply{Status: 400}, wantCode: torii.AssistantFailed},
		{name: "a blocked prompt is blocked", reply: geminitest.Reply{BlockReason: "SAFETY"}, wantCode: torii.AssistantBlocked},
		{name: "finishReason SAFETY with no text is blocked", reply: geminitest.Reply{Finish: "SAFETY"}, wantCode: torii.AssistantBlocked},
		{name: "finishReason SAFETY after text keeps the text",
			reply: geminitest.Reply{Chunks: []string{"Sure, "}, Finish: "SAFETY"}, wantChunks: "Sure, ", wantCode: torii.AssistantBlocked},
		{name: "finishReason OTHER is a failure", reply: geminitest.Reply{Finish: "OTHER"}, wantCode: torii.AssistantFailed},
		{name: "a connection cut mid-stream is interrupted",
			reply: geminitest.Reply{Chunks: []string{"Half ", "a "}, Cut: true}, wantChunks: "Half a ", wantCode: torii.AssistantInterrupted},
		{name: "a stream ending without finishReason is interrupted",
			reply: geminitest.Reply{Chunks: []string{"Half"}, EndEarly: true}, wantChunks: "Half", wantCode: torii.AssistantInterrupted},
		{name: "a connection cut before any text is unavailable",
			reply: geminitest.Reply{Cut: true}, wantCode: torii.AssistantUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := geminitest.New(t)
			fake.Key = tt.key
			fake.Enqueue(tt.reply)
			chunks, err := collect(context.Background(), newClient(t, fake), ask("hi"))
			if got := strings.Join(chunks, ""); got != tt.wantChunks {
				t.Errorf("chunks = %q, want %q", got, tt.wantChunks)
			}
			var e *gemini.Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want a *gemini.Error", err)
			}
			if e.Code != tt.wantCode || e.Message == "" || e.RetryAfter != tt.retryAfter {
				t.Fatalf("err = %q %q retryAfter %v, want %s retryAfter %v", e.Code, e.Message, e.RetryAfter, tt.wantCode, tt.retryAfter)
			}
			if strings.Contains(e.Error(), testKey) || strings.Contains(e.Message, testKey) {
				t.Fatalf("error shows the API key: %v", e)
			}
			// The next request works.
			fake.Key = ""
			fake.Enqueue(geminitest.Text("fine"))
			if chunks, err := collect(context.Background(), newClient(t, fake), ask("again")); err != nil || strings.Join(chunks, "") != "fine" {
				t.Fatalf("next reply = %q, %v", chunks, err)
			}
		})
	}
}

func TestStream_UnreachableIsUnavailable(t *testing.T) {
	fake := geminitest.New(t)
	c := newClient(t, fake)
	fake.Close()
	_, err := collect(context.Background(), c, ask("hi"))
	if code := codeOf(err); code != torii.AssistantUnavailable {
		t.Fatalf("code = %q (%v), want %s", code, err, torii.AssistantUnavailable)
	}
}

func TestStream_CancelEndsTheRequest(t *testing.T) {
	fake := geminitest.New(t)
	gate := geminitest.NewGate()
	fake.Enqueue(geminitest.Reply{Chunks: []string{"Thinking "}, Gate: gate, Rest: []string{"never sent"}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var chunks []string
	var err error
	for chunk, e := range newClient(t, fake).Stream(ctx, []gemini.Turn{ask("hi")}) {
		if e != nil {
			err = e
			break
		}
		chunks = append(chunks, chunk)
		<-gate.Reached()
		cancel()
	}
	if codeOf(err) != torii.AssistantCancelled || strings.Join(chunks, "") != "Thinking " {
		t.Fatalf("chunks %q, err %v; want the first chunk then %s", chunks, err, torii.AssistantCancelled)
	}
	<-gate.ClientGone() // the fake saw the request go away
}

func TestStream_TimeoutBoundsTheReply(t *testing.T) {
	fake := geminitest.New(t)
	gate := geminitest.NewGate()
	defer gate.Release()
	fake.Enqueue(geminitest.Reply{Chunks: []string{"slow "}, Gate: gate})
	c := newClient(t, fake, func(c *gemini.Config) { c.Timeout = 20 * time.Millisecond })
	chunks, err := collect(context.Background(), c, ask("hi"))
	if codeOf(err) != torii.AssistantTimeout || strings.Join(chunks, "") != "slow " {
		t.Fatalf("chunks %q, err %v; want the first chunk then %s", chunks, err, torii.AssistantTimeout)
	}
	<-gate.ClientGone()
}

func TestStream_VertexAIPath(t *testing.T) {
	fake := geminitest.New(t)
	c := newClient(t, fake, func(c *gemini.Config) {
		c.APIKey, c.VertexAI, c.Project, c.Location = "", true, "proj-1", "europe-west1"
		c.HTTPClient = http.DefaultClient // skips Application Default Credentials
	})
	if _, err := collect(context.Background(), c, ask("hi")); err != nil {
		t.Fatal(err)
	}
	r := fake.Requests()[0]
	want := "/v1beta1/projects/proj-1/locations/europe-west1/publishers/google/models/gemini-test:streamGenerateContent"
	if r.Path != want || r.APIKey != "" {
		t.Fatalf("path %q key %q, want %q and no key", r.Path, r.APIKey, want)
	}
	if c.Backend() != "vertex-ai" {
		t.Fatalf("Backend = %q", c.Backend())
	}
}

func TestNew_RefusesMissingCredentials(t *testing.T) {
	for _, cfg := range []gemini.Config{{}, {VertexAI: true}} {
		if _, err := gemini.New(context.Background(), cfg); err == nil {
			t.Errorf("New(%+v) = nil error", cfg)
		}
	}
}
