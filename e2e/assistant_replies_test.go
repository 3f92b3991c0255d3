package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/toriihq/torii/gemini/geminitest"
	"github.com/toriihq/torii/testserver"
)

// stubClipboard replaces the page's Clipboard API with one that records
// what it is given, in window.__copied (a headless browser may refuse the
// real clipboard; what the page hands it is what this test checks).
const stubClipboard = `window.__copied = []; navigator.clipboard.writeText = t => { window.__copied.push(t); return Promise.resolve(); }; true`

// TestBrowser_GeminiRepliesRegenerateEditResendCopyCodeRenameExport: in a
// Gemini conversation the reply's code is highlighted and its copy button
// copies the code; the first exchange names the conversation; Regenerate
// replaces the last reply; Edit and resend changes the last question and
// gets a new answer to it; the header panel renames, exports (Markdown,
// JSON) and deletes the conversation. In English and Japanese, screenshots
// at desktop and phone widths.
func TestBrowser_GeminiRepliesRegenerateEditResendCopyCodeRenameExport(t *testing.T) {
	t.Parallel()
	for _, lang := range []string{"en", "ja"} {
		t.Run(lang, func(t *testing.T) {
			fake := geminitest.New(t)
			fake.Enqueue(geminitest.Text("Use this:\n\n", "```go\nfmt.Println(\"tea\")\n```\n"))
			fake.EnqueueUnary(geminitest.Text("Printing tea in Go"))
			srv := testserver.Start(t, testserver.Options{Env: map[string]string{
				"TORII_GEMINI_API_KEY": "k", "TORII_GEMINI_BASE_URL": fake.URL, "TORII_GEMINI_MODELS": "gemini-2.5-flash"}})
			ctx := newBrowser(t)
			if lang == "ja" {
				open(t, ctx, srv.URL, "/login?lang=ja") // remembered in a cookie
			}
			registerInBrowser(t, ctx, srv, "Ada Lovelace", "ada@example.com", "correct horse battery")
			clickNewGemini(t, ctx)
			waitLive(t, ctx)
			do(t, ctx, "ask", chromedp.SendKeys(chromedp.ID("composer-body"), "How do I print in Go?"), chromedp.KeyEvent(kb.Enter))

			// The code is highlighted (highlight.js) and has its copy button.
			do(t, ctx, "the reply with highlighted code",
				chromedp.WaitVisible(chromedp.CSS(`#messages li.assistant:not(.streaming) .code-block pre code.language-go span[class^="hljs-"]`)),
				chromedp.WaitVisible(chromedp.CSS(`#messages li.assistant .code-block .code-copy`)))
			get(t, ctx, "the title from the first exchange",
				chromedp.Poll[bool](`document.getElementById('room-name').textContent === 'Printing tea in Go'`))
			get(t, ctx, "stub the clipboard", chromedp.Evaluate[bool](stubClipboard))
			do(t, ctx, "copy the code", chromedp.Click(chromedp.CSS(`#messages li.assistant .code-copy`)))
			get(t, ctx, "the code is copied", chromedp.Poll[bool](`window.__copied.length === 1 && window.__copied[0] === 'fmt.Println("tea")\n'`))
			do(t, ctx, "copy the reply", chromedp.Click(chromedp.CSS(`#messages li.assistant .copy-reply`)))
			get(t, ctx, "the reply is copied as Markdown", chromedp.Poll[bool]("window.__copied[1] === 'Use this:\\n\\n```go\\nfmt.Println(\"tea\")\\n```\\n'"))
			screenshot(t, ctx, "reply-"+lang+"-desktop")

			// Regenerate: the last reply is replaced by a new answer.
			fake.Enqueue(geminitest.Text("A second answer."))
			do(t, ctx, "regenerate", chromedp.Click(chromedp.CSS(`#messages li.last-reply .regen-reply`)))
			waitTextHas(t, ctx, "#messages li.assistant:not(.deleted):not(.streaming) .body", "A second answer.")
			get(t, ctx, "one reply shows", chromedp.Poll[bool](`document.querySelectorAll('#messages li.assistant:not(.deleted)').length === 1 &&
				getComputedStyle(document.querySelector('#messages li.assistant.deleted')).display === 'none'`))

			// Edit and resend: the question changes, the model hears it.
			fake.Enqueue(geminitest.Text("Use println!."))
			do(t, ctx, "edit the last question",
				chromedp.WaitVisible(chromedp.CSS(`#messages li.last-question .edit-question`)),
				chromedp.Click(chromedp.CSS(`#messages li.last-question .edit-question`)))
			do(t, ctx, "the editor opens", chromedp.WaitVisible(chromedp.CSS(`.question-editor textarea`)))
			if got := get(t, ctx, "the editor holds the question", chromedp.Evaluate[string](`document.querySelector('.question-editor textarea').value`)); got != "How do I print in Go?" {
				t.Errorf("the editor holds %q", got)
			}
			get(t, ctx, "change the question", chromedp.Evaluate[bool](`document.querySelector('.question-editor textarea').value = 'How do I print in Rust?'; true`))
			screenshot(t, ctx, "editing-"+lang+"-desktop")
			do(t, ctx, "resend", chromedp.Click(chromedp.CSS(`.question-editor button[type="submit"]`)))
			waitTextHas(t, ctx, "#messages li.mine .body", "How do I print in Rust?")
			waitTextHas(t, ctx, "#messages li.assistant:not(.deleted):not(.streaming) .body", "Use println!.")
			reqs := fake.Requests()
			last := reqs[len(reqs)-1]
			if got := last.Contents[len(last.Contents)-1].Text(); !last.Stream || !strings.HasSuffix(got, "How do I print in Rust?") {
				t.Errorf("the model was asked %q", got)
			}

			// Rename from the header panel.
			do(t, ctx, "open the panel", chromedp.Click(chromedp.ID("assistant-settings")),
				chromedp.WaitVisible(chromedp.ID("assistant-name")))
			wantValue := get(t, ctx, "name field", chromedp.Evaluate[string](`document.getElementById('assistant-name').value`))
			if wantValue != "Printing tea in Go" {
				t.Errorf("the name field holds %q", wantValue)
			}
			for _, vp := range viewports {
				do(t, ctx, "resize", chromedp.EmulateViewport(vp.width, vp.height))
				screenshot(t, ctx, "panel-"+lang+"-"+vp.name)
			}
			do(t, ctx, "restore size", chromedp.EmulateViewport(viewportWidth, viewportHeight))
			do(t, ctx, "rename", chromedp.SetValue(chromedp.ID("assistant-name"), "Printing in two languages"),
				chromedp.Click(chromedp.CSS(`#assistant-panel button[type="submit"]`)))
			get(t, ctx, "renamed", chromedp.Poll[bool](`document.getElementById('room-name').textContent === 'Printing in two languages'`))

			// Export: the panel's links download the conversation.
			md := get(t, ctx, "export Markdown", chromedp.Evaluate[string](
				`fetch(document.getElementById('assistant-export-md').href).then(r => r.text())`, chromedp.EvalAwaitPromise))
			for _, want := range []string{"# Printing in two languages\n", "## Ada Lovelace · ", "How do I print in Rust?", "## Gemini (gemini-2.5-flash)", "Use println!."} {
				if !strings.Contains(md, want) {
					t.Errorf("the Markdown export lacks %q:\n%s", want, md)
				}
			}
			if strings.Contains(md, "A second answer.") {
				t.Errorf("the export holds the replaced reply:\n%s", md)
			}
			n := get(t, ctx, "export JSON", chromedp.Evaluate[int](
				`fetch(document.getElementById('assistant-export-json').href).then(r => r.json()).then(j => j.messages.length)`, chromedp.EvalAwaitPromise))
			if n != 2 {
				t.Errorf("the JSON export holds %d messages, want 2", n)
			}
			for _, vp := range viewports {
				do(t, ctx, "resize", chromedp.EmulateViewport(vp.width, vp.height))
				screenshot(t, ctx, "conversation-"+lang+"-"+vp.name)
			}
			do(t, ctx, "restore size", chromedp.EmulateViewport(viewportWidth, viewportHeight))

			// Delete, after the confirmation.
			get(t, ctx, "confirm", chromedp.Evaluate[bool](`window.confirm = () => true; true`))
			do(t, ctx, "open the panel", chromedp.WaitVisible(chromedp.ID("assistant-settings")))
			if get(t, ctx, "panel hidden", chromedp.Evaluate[bool](`document.getElementById('assistant-panel').hidden`)) {
				do(t, ctx, "open the panel", chromedp.Click(chromedp.ID("assistant-settings")))
			}
			do(t, ctx, "delete", chromedp.Click(chromedp.ID("assistant-delete")))
			get(t, ctx, "the conversation is gone", chromedp.Poll[bool](
				`![...document.querySelectorAll('#room-list .room-link')].some(b => b.textContent.includes('Printing in two languages'))`))
		})
	}
}
