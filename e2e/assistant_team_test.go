package e2e

import (
	"context"
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/toriihq/torii/gemini/geminitest"
)

// TestBrowser_GeminiReloadMidReplyKeepsReadingAndStop: a user who reloads
// the page in the middle of a long answer sees the text so far at once,
// with Stop, and the rest as it arrives; the finished reply shows its
// model, tokens and a Copy button.
func TestBrowser_GeminiReloadMidReplyKeepsReadingAndStop(t *testing.T) {
	fake := geminitest.New(t)
	gate := geminitest.NewGate()
	defer gate.Release()
	fake.Enqueue(geminitest.Reply{Chunks: []string{"Chapter one. ", "It was a dark night."}, Gate: gate,
		Rest: []string{" The end."}, Usage: &geminitest.Usage{Prompt: 40, Candidates: 20, Total: 60}})
	srv := startWithGemini(t, fake)
	ctx := newBrowser(t)
	registerInBrowser(t, ctx, srv, "Ada Lovelace", "ada@example.com", "correct horse battery")
	newGeminiConversation(t, ctx)
	do(t, ctx, "ask", chromedp.SendKeys(chromedp.ID("composer-body"), "Tell me a long story"), chromedp.KeyEvent(kb.Enter))
	<-gate.Reached()
	do(t, ctx, "reply streams", chromedp.WaitVisible(chromedp.CSS("#messages li.assistant.streaming")))
	waitTextHas(t, ctx, "#messages li.assistant.streaming .body", "Chapter one. It was a dark night.")

	do(t, ctx, "reload", chromedp.Reload())
	waitLive(t, ctx)
	do(t, ctx, "the partial reply and Stop are back",
		chromedp.WaitVisible(chromedp.CSS("#messages li.assistant.streaming")),
		chromedp.WaitVisible(chromedp.ID("assistant-stop")))
	waitTextHas(t, ctx, "#messages li.assistant.streaming .body", "Chapter one. It was a dark night.")
	screenshot(t, ctx, "reloaded-mid-reply")

	gate.Release()
	do(t, ctx, "the reply finishes", chromedp.WaitVisible(chromedp.CSS("#messages li.assistant:not(.streaming) .reply-meta")),
		chromedp.WaitNotVisible(chromedp.ID("assistant-stop")))
	wantText(t, ctx, "#messages li.assistant .body", "Chapter one. It was a dark night. The end.")
	waitTextHas(t, ctx, "#messages li.assistant .reply-meta .muted", "60 tokens")
	if n := count(t, ctx, "#messages li.assistant .copy-reply"); n != 1 {
		t.Errorf("%d Copy buttons, want 1", n)
	}
	do(t, ctx, "the header shows the model", chromedp.WaitVisible(chromedp.ID("assistant-settings")))
	screenshot(t, ctx, "finished")
}

// waitTextHas waits until the first element matching sel contains want.
func waitTextHas(t *testing.T, ctx context.Context, sel, want string) {
	t.Helper()
	js := fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && e.textContent.includes(%q); })()`, sel, want)
	get(t, ctx, sel+" shows "+want, chromedp.Poll[bool](js))
}
