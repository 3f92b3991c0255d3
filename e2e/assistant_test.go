package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/toriihq/torii/gemini/geminitest"
	"github.com/toriihq/torii/testserver"
)

// startWithGemini runs torii with the assistant on, talking to the fake.
func startWithGemini(t *testing.T, fake *geminitest.Server) *testserver.Server {
	t.Helper()
	return testserver.Start(t, testserver.Options{Env: map[string]string{
		"TORII_GEMINI_API_KEY": "k", "TORII_GEMINI_BASE_URL": fake.URL}})
}

// waitLive waits until the page's event stream for the current room is open.
func waitLive(t *testing.T, ctx context.Context) {
	t.Helper()
	get(t, ctx, "stream is live", chromedp.Poll[bool]("document.getElementById('conn-state').dataset.state === 'live'"))
}

// newGeminiConversation clicks "New Gemini conversation" and waits for the
// new room to be open and live.
func newGeminiConversation(t *testing.T, ctx context.Context) {
	t.Helper()
	clickNewGemini(t, ctx)
	// The room list is drawn again whenever a room changes (the live
	// stream's room.add, the read marker), replacing its nodes: a node
	// found by one step may be gone by the next ("No node with given id
	// found"). So the active entry is found and read in one evaluation.
	const activeRoom = `(() => { const a = document.querySelector('#room-list .room-link.active');
		return a && a.querySelector('.room-icon') ? a.textContent.trim() : ""; })()`
	get(t, ctx, "the new room is active in the list", chromedp.Poll[bool](activeRoom+` !== ""`))
	if got := get(t, ctx, "read the active room", chromedp.Evaluate[string](activeRoom)); !strings.Contains(got, "✦") || !strings.Contains(got, "(Gemini conversation)") {
		t.Errorf("the new room is not marked as a Gemini conversation in the list: %q", got)
	}
	waitLive(t, ctx)
}

// clickNewGemini clicks "New Gemini conversation" and waits for the new
// room's header. The button sits below the room list: a list drawn
// between finding the button and clicking it moves it, and the click
// lands on what is there now. So the first room is open (the list drawn)
// before the click.
func clickNewGemini(t *testing.T, ctx context.Context) {
	t.Helper()
	get(t, ctx, "first room open", chromedp.Poll[bool](
		"!!document.querySelector('#room-list .room-link.active') && !document.getElementById('messages').hasAttribute('aria-busy')"))
	do(t, ctx, "new Gemini conversation", chromedp.Click(chromedp.ID("ask-gemini")),
		chromedp.WaitVisible(chromedp.ID("room-kind")))
}

// TestBrowser_GeminiConversationStreamsReply: "New Gemini conversation"
// opens a private assistant room in the chat, marked Gemini in the rooms
// list; the reply appears while it streams (Markdown rendered) in a pending
// bubble, Stop shows and Send is disabled meanwhile, and the stored reply
// replaces the bubble.
func TestBrowser_GeminiConversationStreamsReply(t *testing.T) {
	fake := geminitest.New(t)
	gate := geminitest.NewGate()
	defer gate.Release()
	fake.Enqueue(geminitest.Reply{
		Chunks: []string{"Two steps:\n\n", "- **first** step\n"},
		Gate:   gate,
		Rest:   []string{"- second step\n\n```go\nfmt.Println(\"<b>hi</b>\")\n```\n"},
	})
	srv := startWithGemini(t, fake)
	ctx := newBrowser(t)
	registerInBrowser(t, ctx, srv, "Ada Lovelace", "ada@example.com", "correct horse battery")

	newGeminiConversation(t, ctx)
	if got := text(t, ctx, "#room-name"); !strings.HasPrefix(got, "Gemini") {
		t.Errorf("room name %q", got)
	}
	do(t, ctx, "ask", chromedp.SendKeys(chromedp.ID("composer-body"), "How do I start?"), chromedp.KeyEvent(kb.Enter))

	// Mid-stream: the first chunks are on the page, rendered, with Stop
	// showing and Send disabled.
	<-gate.Reached()
	do(t, ctx, "wait for the streamed list item",
		chromedp.WaitVisible(chromedp.CSS("#messages li.assistant.streaming ul li strong")),
		chromedp.WaitVisible(chromedp.ID("assistant-stop")))
	wantText(t, ctx, "#messages li.assistant.streaming ul li", "first step")
	if !get(t, ctx, "send disabled", chromedp.Evaluate[bool]("document.getElementById('send').disabled")) {
		t.Error("Send is enabled while the reply streams")
	}
	screenshot(t, ctx, "streaming")

	gate.Release()
	do(t, ctx, "wait for the finished reply",
		chromedp.WaitVisible(chromedp.CSS("#messages li.assistant:not(.streaming) pre code")),
		chromedp.WaitNotVisible(chromedp.ID("assistant-stop")))
	if n := count(t, ctx, "#messages li.assistant"); n != 1 {
		t.Errorf("%d assistant messages, want 1 (the stored reply replaces the pending bubble)", n)
	}
	if n := count(t, ctx, "#messages li.assistant ul li"); n != 2 {
		t.Errorf("%d list items, want 2", n)
	}
	wantText(t, ctx, "#messages li.assistant pre code", `fmt.Println("<b>hi</b>")`)
	if n := count(t, ctx, "#messages li.assistant b, #messages li.assistant script"); n != 0 {
		t.Error("HTML in a reply became elements")
	}
	wantText(t, ctx, "#messages li.mine .body", "How do I start?")
	if get(t, ctx, "send enabled", chromedp.Evaluate[bool]("document.getElementById('send').disabled")) {
		t.Error("Send stays disabled after the reply")
	}
	screenshot(t, ctx, "done")
}

// TestBrowser_GeminiStopEndsReply: while a reply the user asked for
// streams, Stop (the button, or Esc) cancels it, in an assistant room and
// for @gemini in a shared room: the text so far stays, marked cut off, and
// the room says the reply was stopped.
func TestBrowser_GeminiStopEndsReply(t *testing.T) {
	// Parallel like the subtests (newBrowser): a parent that is not would
	// hold every other browser test back until its subtests end.
	t.Parallel()
	tests := []struct {
		name      string
		assistant bool // a Gemini conversation, else @gemini in general
		body      string
		stop      chromedp.Action[chromedp.Void]
	}{
		{"button in a Gemini conversation", true, "Tell me a long story", chromedp.Click(chromedp.ID("assistant-stop"))},
		{"Esc in a Gemini conversation", true, "Tell me a long story", chromedp.KeyEvent(kb.Escape)},
		{"button after @gemini in a shared room", false, "@gemini tell me a long story", chromedp.Click(chromedp.ID("assistant-stop"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := geminitest.New(t)
			gate := geminitest.NewGate()
			defer gate.Release()
			fake.Enqueue(geminitest.Reply{Chunks: []string{"Once upon a time"}, Gate: gate, Rest: []string{" the end."}})
			srv := startWithGemini(t, fake)
			ctx := newBrowser(t)
			registerInBrowser(t, ctx, srv, "Ada Lovelace", "ada@example.com", "correct horse battery")
			if tt.assistant {
				newGeminiConversation(t, ctx)
			} else {
				waitLive(t, ctx)
			}
			do(t, ctx, "ask", chromedp.SendKeys(chromedp.ID("composer-body"), tt.body), chromedp.KeyEvent(kb.Enter))
			<-gate.Reached()
			do(t, ctx, "reply streams", chromedp.WaitVisible(chromedp.CSS("#messages li.assistant.streaming")),
				chromedp.WaitVisible(chromedp.ID("assistant-stop")))
			do(t, ctx, "stop", tt.stop)
			get(t, ctx, "the room says the reply was stopped", chromedp.Poll[bool](
				"Array.from(document.querySelectorAll('#messages li.system .body')).some(e => e.textContent === 'The reply was stopped.')"))
			do(t, ctx, "stop hides", chromedp.WaitNotVisible(chromedp.ID("assistant-stop")))
			wantText(t, ctx, "#messages li.assistant:not(.streaming) .body", "Once upon a time")
			wantText(t, ctx, "#messages li.assistant .note", "This reply was cut off before it was finished.")
			if n := count(t, ctx, "#messages li.streaming"); n != 0 {
				t.Errorf("%d pending bubbles left", n)
			}
			screenshot(t, ctx, "stopped")
		})
	}
}

// TestBrowser_GeminiErrorShownInRoom: a reply that fails before any text
// leaves no bubble behind, and the room shows the human message.
func TestBrowser_GeminiErrorShownInRoom(t *testing.T) {
	fake := geminitest.New(t)
	fake.Enqueue(geminitest.Reply{Status: 429})
	srv := startWithGemini(t, fake)
	ctx := newBrowser(t)
	registerInBrowser(t, ctx, srv, "Ada Lovelace", "ada@example.com", "correct horse battery")
	newGeminiConversation(t, ctx)
	do(t, ctx, "ask", chromedp.SendKeys(chromedp.ID("composer-body"), "Hello?"), chromedp.KeyEvent(kb.Enter))
	do(t, ctx, "error line", chromedp.WaitVisible(chromedp.CSS("#messages li.system")))
	if got := text(t, ctx, "#messages li.system .body"); !strings.Contains(got, "usage limit") {
		t.Errorf("error line %q", got)
	}
	do(t, ctx, "stop hidden", chromedp.WaitNotVisible(chromedp.ID("assistant-stop")))
	if n := count(t, ctx, "#messages li.streaming, #messages li.assistant"); n != 0 {
		t.Errorf("%d Gemini bubbles left after a failure before any text", n)
	}
}

// TestBrowser_AssistantOffSaysSo: without a key the rooms list says plainly
// that the assistant is off and offers no "New Gemini conversation", and the
// composer does not suggest @gemini.
func TestBrowser_AssistantOffSaysSo(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	ctx := newBrowser(t)
	registerInBrowser(t, ctx, srv, "Ada Lovelace", "ada@example.com", "correct horse battery")
	do(t, ctx, "wait for the notice", chromedp.WaitVisible(chromedp.ID("assistant-off")))
	if n := count(t, ctx, "#ask-gemini"); n != 0 {
		t.Error("a New Gemini conversation button with the assistant off")
	}
	if got := text(t, ctx, "#assistant-off"); !strings.Contains(got, "assistant is off") {
		t.Errorf("notice = %q", got)
	}
	if got := text(t, ctx, "#composer-hint"); strings.Contains(got, "gemini") {
		t.Errorf("composer hint suggests @gemini with the assistant off: %q", got)
	}
}
