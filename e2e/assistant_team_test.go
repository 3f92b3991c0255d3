package e2e

import (
	"context"
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/toriihq/torii/gemini/geminitest"
	"github.com/toriihq/torii/testserver"
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

// TestBrowser_AdminSeesGeminiUsageAndSetsABudget: yesterday's usage per
// person shows on /admin with a total and a CSV link, a budget set there
// is listed, and /account shows the user's own usage; the conversation's
// owner changes its model and instructions from the room header.
func TestBrowser_AdminSeesGeminiUsageAndSetsABudget(t *testing.T) {
	fake := geminitest.New(t)
	fake.SetDefault(geminitest.Reply{Chunks: []string{"Sure."}, Usage: &geminitest.Usage{Prompt: 900, Candidates: 100, Total: 1000}})
	srv := testserver.Start(t, testserver.Options{Env: map[string]string{"TORII_ADMIN_EMAILS": "boss@example.com",
		"TORII_GEMINI_API_KEY": "k", "TORII_GEMINI_BASE_URL": fake.URL, "TORII_GEMINI_MODELS": "gemini-2.5-flash,gemini-2.5-pro",
		"TORII_ASSISTANT_QUOTA_DAILY": "200000"}})
	seedVerifiedUser(t, srv, "Boss", "boss@example.com", goodPassword)
	for _, vp := range []struct {
		name          string
		width, height int64
	}{{"desktop", 1280, 800}} {
		t.Run(vp.name, func(t *testing.T) {
			ctx := newBrowser(t)
			do(t, ctx, "size", chromedp.EmulateViewport(vp.width, vp.height))
			signInInBrowser(t, ctx, srv, "boss@example.com", goodPassword)
			newGeminiConversation(t, ctx)
			do(t, ctx, "settings show", chromedp.WaitVisible(chromedp.ID("assistant-settings")))
			waitTextHas(t, ctx, "#assistant-settings", "gemini-2.5-flash")
			do(t, ctx, "open settings", chromedp.Click(chromedp.ID("assistant-settings")),
				chromedp.WaitVisible(chromedp.ID("assistant-panel")),
				chromedp.SetValue(chromedp.ID("assistant-model"), "gemini-2.5-pro"),
				chromedp.SendKeys(chromedp.ID("assistant-prompt"), "Answer in one sentence."))
			screenshot(t, ctx, "settings")
			do(t, ctx, "save", chromedp.Click(chromedp.CSS("#assistant-panel button[type=submit]")),
				chromedp.WaitNotVisible(chromedp.ID("assistant-panel")))
			waitTextHas(t, ctx, "#assistant-settings", "gemini-2.5-pro")
			do(t, ctx, "ask", chromedp.SendKeys(chromedp.ID("composer-body"), "Hello"), chromedp.KeyEvent(kb.Enter))
			waitTextHas(t, ctx, "#messages li.assistant .reply-meta", "gemini-2.5-pro")
			screenshot(t, ctx, "reply")

			open(t, ctx, srv.URL, "/admin")
			do(t, ctx, "usage shows", chromedp.WaitVisible(chromedp.ID("gemini-usage-table")))
			waitTextHas(t, ctx, "#gemini-usage-table tbody", "boss@example.com")
			fill(t, ctx, "gemini-quota-id", "1", "gemini-quota-daily", "500000")
			do(t, ctx, "set a budget", chromedp.Click(chromedp.CSS("#gemini-quota-form button[type=submit]")))
			waitTextHas(t, ctx, "#gemini-quota-table", "500,000")
			screenshot(t, ctx, "admin")
			open(t, ctx, srv.URL, "/account")
			waitTextHas(t, ctx, "#gemini-quota", "500,000")
			screenshot(t, ctx, "account")
		})
	}
}
