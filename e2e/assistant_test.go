package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/toriihq/torii/gemini/geminitest"
	"github.com/toriihq/torii/testserver"
)

// TestBrowser_AskGeminiStreamsReply: "Ask Gemini" opens a private assistant
// room; the reply appears while it streams (Markdown rendered), the stop
// button shows meanwhile, and the finished reply replaces the stream.
func TestBrowser_AskGeminiStreamsReply(t *testing.T) {
	fake := geminitest.New(t)
	gate := geminitest.NewGate()
	defer gate.Release()
	fake.Enqueue(geminitest.Reply{
		Chunks: []string{"Two steps:\n\n", "- **first** step\n"},
		Gate:   gate,
		Rest:   []string{"- second step\n\n```go\nfmt.Println(\"<b>hi</b>\")\n```\n"},
	})
	srv := testserver.Start(t, testserver.Options{Env: map[string]string{
		"TORII_GEMINI_API_KEY": "k", "TORII_GEMINI_BASE_URL": fake.URL}})
	ctx := newBrowser(t)
	registerInBrowser(t, ctx, srv, "Ada Lovelace", "ada@example.com", "correct horse battery")

	do(t, ctx, "open the Gemini panel", chromedp.Click(chromedp.ID("ask-gemini")),
		chromedp.WaitVisible(chromedp.ID("assistant-input")))
	fill(t, ctx, "assistant-input", "How do I start?")
	do(t, ctx, "send", chromedp.Click(chromedp.ID("assistant-send")))

	// Mid-stream: the first chunks are on the page, rendered, with the
	// stop button showing.
	<-gate.Reached()
	do(t, ctx, "wait for the streamed list item",
		chromedp.WaitVisible(chromedp.CSS(".bubble.assistant.streaming ul li strong")),
		chromedp.WaitVisible(chromedp.ID("assistant-stop")))
	wantText(t, ctx, ".bubble.assistant.streaming ul li", "first step")
	screenshot(t, ctx, "streaming")

	gate.Release()
	do(t, ctx, "wait for the finished reply",
		chromedp.WaitVisible(chromedp.CSS(".bubble.assistant:not(.streaming) pre code")),
		chromedp.WaitNotVisible(chromedp.ID("assistant-stop")))
	if n := count(t, ctx, ".bubble.assistant ul li"); n != 2 {
		t.Errorf("%d list items, want 2", n)
	}
	wantText(t, ctx, ".bubble.assistant pre code", `fmt.Println("<b>hi</b>")`)
	if n := count(t, ctx, ".bubble.assistant b, .bubble.assistant script"); n != 0 {
		t.Error("HTML in a reply became elements")
	}
	wantText(t, ctx, ".bubble.user .body", "How do I start?")
	screenshot(t, ctx, "done")
}

// TestBrowser_AssistantOffSaysSo: without a key the page says plainly that
// the assistant is off, and offers no button.
func TestBrowser_AssistantOffSaysSo(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	ctx := newBrowser(t)
	registerInBrowser(t, ctx, srv, "Ada Lovelace", "ada@example.com", "correct horse battery")
	do(t, ctx, "wait for the notice", chromedp.WaitVisible(chromedp.ID("assistant-off")))
	if n := count(t, ctx, "#ask-gemini"); n != 0 {
		t.Error("an Ask Gemini button with the assistant off")
	}
	if got := text(t, ctx, "#assistant-off"); !strings.Contains(got, "assistant is off") {
		t.Errorf("notice = %q", got)
	}
}
