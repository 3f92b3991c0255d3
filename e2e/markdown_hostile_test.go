package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/toriihq/torii/gemini/geminitest"
	"github.com/toriihq/torii/testserver"
)

const (
	// responsiveWithin bounds a JavaScript round trip ("1+1") to a page
	// showing hostile replies. A frozen page never answers; a busy one
	// answers in milliseconds; the bound is generous for loaded CI machines.
	responsiveWithin = 3 * time.Second
	// renderWithin bounds one render of a hostile reply of at most 32 KiB,
	// measured in the page: tens of milliseconds on an idle machine, under a
	// second on a loaded 2-core one (the hand-written renderer took 4–8 s
	// for 32 KiB of "a *" on an idle one and hung on 6,000 backticks).
	renderWithin = 3 * time.Second
)

// hostileReply is a reply made to hurt a Markdown renderer, and a marker
// that must be visible on the page once it is shown.
type hostileReply struct {
	name, text, marker string
}

// hostileReplies are the inputs of issue 13 and their kin, each at most
// 32 KiB (what torii stores of a reply), each ending in a marker.
func hostileReplies() []hostileReply {
	var deepList strings.Builder
	for i := 0; i < 100; i++ {
		deepList.WriteString(strings.Repeat("  ", i) + "- item\n")
	}
	return []hostileReply{
		{"12000 nested quotes", strings.Repeat(">", 12000) + " quote-end", "quote-end"},
		{"6000 backticks", "see " + strings.Repeat("`", 6000) + " backtick-end", "backtick-end"},
		{"6000 backtick runs of every length", "see " + strings.Repeat("` `` ", 2000) + "runs-end", "runs-end"},
		{"32 KiB of a-star", strings.Repeat("a *", 10900) + " star-end", "star-end"},
		{"20000 open brackets", strings.Repeat("[", 20000) + " bracket-end", "bracket-end"},
		{"lists nested 5000 deep on one line", strings.Repeat("- ", 5000) + "list-end", "list-end"},
		{"lists indented 100 deep", deepList.String() + "\nindent-end", "indent-end"},
		{"1100 links in a row", strings.Repeat("[a](https://example.com/x) ", 1100) + "links-end", "links-end"},
		{"6000 unclosed links", strings.Repeat("[a](https://e.com/ ", 1500) + " unclosed-end", "unclosed-end"},
		{"nested emphasis openers", strings.Repeat("*a **", 6000) + " emph-end", "emph-end"},
		{"a 5000-row table", "|a|b|\n|-|-|\n" + strings.Repeat("|x|y|\n", 5000) + "\ntable-end", "table-end"},
		{"1800 bare URLs", strings.Repeat("http://a.example/ ", 1800) + "url-end", "url-end"},
		{"script in every form", strings.Repeat("<script>window.__xss=1</script> [x](javascript:window.__xss=2) "+
			"<img src=x onerror=\"window.__xss=3\"> <javascript:window.__xss=4> ", 150) + "```\"><img src=x onerror=window.__xss=5>\nx\n```\nxss-end", "xss-end"},
	}
}

// chunked splits s into n pieces, as a model streams it.
func chunked(s string, n int) []string {
	var out []string
	size := (len(s) + n - 1) / n
	for len(s) > size {
		out = append(out, s[:size])
		s = s[size:]
	}
	return append(out, s)
}

// responsive fails the test unless the page answers a JavaScript round
// trip within responsiveWithin.
func responsive(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	rctx, cancel := context.WithTimeout(ctx, responsiveWithin)
	defer cancel()
	start := time.Now()
	if v, err := chromedp.Run(rctx, chromedp.Evaluate[int]("1+1")); err != nil || v != 2 {
		t.Fatalf("%s: the page did not answer 1+1 within %v (got %d, %v): it is frozen", what, responsiveWithin, v, err)
	}
	if d := time.Since(start); d > responsiveWithin/2 {
		t.Logf("%s: 1+1 took %v", what, d)
	}
}

// noScriptRan fails the test if a payload ran or made a dangerous element.
func noScriptRan(t *testing.T, ctx context.Context) {
	t.Helper()
	if v := get(t, ctx, "read window.__xss", chromedp.Evaluate[string]("String(window.__xss)")); v != "undefined" {
		t.Errorf("a payload ran: window.__xss = %s", v)
	}
	if n := get(t, ctx, "count unsafe nodes", chromedp.Evaluate[int]("(() => { const d = document.getElementById('messages'); return "+unsafeNodes+"; })()")); n != 0 {
		t.Errorf("the message list holds %d unsafe nodes", n)
	}
}

// markerShown is the JS condition "an assistant message shows marker, and
// its text is on screen (it has a size)".
func markerShown(sel, marker string) string {
	return "Array.from(document.querySelectorAll(" + jsString(sel) + ")).some(b => b.textContent.includes(" +
		jsString(marker) + ") && b.getBoundingClientRect().height > 0 && b.getBoundingClientRect().width > 0)"
}

// TestBrowser_HostileRepliesStreamWithoutFreezingThePage: each hostile
// reply of issue 13 — 12,000 nested quotes, 6,000 backticks, 32 KiB of
// "a *" and their kin — streams into a Gemini conversation and is stored;
// while it streams and once it is stored the page answers at once, shows the
// reply, and runs nothing from it. (A few replies per browser: one browser's
// whole life is bounded by browserTimeout.)
func TestBrowser_HostileRepliesStreamWithoutFreezingThePage(t *testing.T) {
	// Parallel like the subtests (newBrowser): a parent that is not would
	// hold every other browser test back until its subtests end.
	t.Parallel()
	replies := hostileReplies()
	for first := 0; first < len(replies); first += 3 {
		group := replies[first:min(first+3, len(replies))]
		t.Run(group[0].name, func(t *testing.T) {
			fake := geminitest.New(t)
			gates := make([]*geminitest.Gate, len(group))
			for i, r := range group {
				gates[i] = geminitest.NewGate()
				defer gates[i].Release()
				parts := chunked(r.text, 40)
				fake.Enqueue(geminitest.Reply{Chunks: parts[:len(parts)-1], Gate: gates[i], Rest: parts[len(parts)-1:]})
			}
			srv := startWithGemini(t, fake)
			ctx := newBrowser(t)
			registerInBrowser(t, ctx, srv, "Ada Lovelace", "ada@example.com", goodPassword)
			newGeminiConversation(t, ctx)
			for i, r := range group {
				do(t, ctx, "ask for "+r.name, chromedp.SendKeys(chromedp.ID("composer-body"), fmt.Sprintf("reply %d", i)), chromedp.KeyEvent(kb.Enter))
				reached(t, gates[i])
				// Mid-stream: the bubble shows what came so far (a prefix
				// may be only a rule or an empty code block, so: something,
				// with a size), and the page answers.
				get(t, ctx, r.name+": streaming reply shown", chromedp.Poll[bool](
					"(() => { const b = document.querySelector('#messages li.streaming .body'); return !!b && b.childNodes.length > 0 && b.getBoundingClientRect().height > 0; })()"))
				responsive(t, ctx, r.name+" (streaming)")
				gates[i].Release()
				get(t, ctx, r.name+": stored reply shown", chromedp.Poll[bool](fmt.Sprintf(
					"document.querySelectorAll('#messages li.assistant:not(.streaming)').length === %d && !document.querySelector('#messages li.streaming') && %s",
					i+1, markerShown("#messages li.assistant:not(.streaming) .body", r.marker))))
				responsive(t, ctx, r.name+" (stored)")
				noScriptRan(t, ctx)
				get(t, ctx, "send enabled again", chromedp.Poll[bool]("!document.getElementById('send').disabled"))
			}
		})
	}
}

// TestBrowser_HostileRepliesInHistoryWithoutFreezingThePage: a Gemini
// conversation holding every hostile reply opens (all of them rendered from
// the history at once) with the page answering at once, every reply's text
// on screen, and nothing from them run; one render of each takes well under
// a second.
func TestBrowser_HostileRepliesInHistoryWithoutFreezingThePage(t *testing.T) {
	replies := hostileReplies()
	fake := geminitest.New(t)
	for _, r := range replies {
		fake.Enqueue(geminitest.Text(chunked(r.text, 8)...))
	}
	srv := startWithGemini(t, fake)
	seedUser(t, srv, "Ada Lovelace", "ada@example.com", goodPassword)
	api := srv.Client(t)
	if r := api.Do("POST", "/api/v1/auth/login", map[string]string{"email": "ada@example.com", "password": goodPassword}); r.Status != http.StatusOK {
		t.Fatalf("login: %d %s", r.Status, r.Body)
	}
	var room struct {
		Room struct{ ID int64 } `json:"room"`
	}
	if r := api.Do("POST", "/api/v1/rooms", map[string]any{"name": "Hostile", "visibility": "private", "assistant": true}); r.Status != http.StatusCreated {
		t.Fatalf("create room: %d %s", r.Status, r.Body)
	} else {
		r.Decode(t, &room)
	}
	msgs := fmt.Sprintf("/api/v1/rooms/%d/messages", room.Room.ID)
	for i := range replies {
		// The reply is stored a moment before the room stops answering:
		// until then the next question gets 429 "still answering".
		deadline := time.Now().Add(stepTimeout)
		for {
			r := api.Do("POST", msgs, map[string]string{"body": fmt.Sprintf("reply %d", i)})
			if r.Status == http.StatusCreated {
				break
			}
			if r.Status != http.StatusTooManyRequests || !strings.Contains(string(r.Body), "still answering") || time.Now().After(deadline) {
				t.Fatalf("ask %d: %d %s", i, r.Status, r.Body)
			}
			time.Sleep(20 * time.Millisecond) // polling the server, bounded by the deadline
		}
		waitReplies(t, api, msgs, i+1)
	}

	ctx := newBrowser(t)
	signInInBrowser(t, ctx, srv, "ada@example.com", goodPassword)
	open(t, ctx, srv.URL, fmt.Sprintf("/?room=%d", room.Room.ID))
	get(t, ctx, "history shown", chromedp.Poll[bool](
		fmt.Sprintf("document.querySelectorAll('#messages li.assistant').length === %d", len(replies))))
	responsive(t, ctx, "history")
	for _, r := range replies {
		if !get(t, ctx, r.name+": marker visible", chromedp.Evaluate[bool](markerShown("#messages li.assistant .body", r.marker))) {
			t.Errorf("%s: %q not on screen", r.name, r.marker)
		}
	}
	noScriptRan(t, ctx)
	screenshot(t, ctx, "hostile-history")

	// How long one render of each takes in this Chromium (docs/api.md).
	for _, r := range replies {
		ms := get(t, ctx, "time "+r.name, chromedp.Evaluate[float64](
			"(() => { const s = performance.now(); toriiMarkdown.render("+jsLiteral(r.text)+"); return performance.now() - s; })()"))
		t.Logf("render %-38s %6d chars %8.1f ms", r.name, len(r.text), ms)
		if d := time.Duration(ms * float64(time.Millisecond)); d > renderWithin {
			t.Errorf("%s: one render took %v, more than %v", r.name, d, renderWithin)
		}
	}
}

// reached waits, within stepTimeout, until the fake holds a reply at its
// gate.
func reached(t *testing.T, g *geminitest.Gate) {
	t.Helper()
	select {
	case <-g.Reached():
	case <-time.After(stepTimeout):
		t.Fatalf("the fake Gemini was not asked within %v", stepTimeout)
	}
}

// waitReplies waits, within stepTimeout, until the room at path (its
// messages URL) holds n assistant replies.
func waitReplies(t *testing.T, api *testserver.Client, path string, n int) {
	t.Helper()
	deadline := time.Now().Add(stepTimeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		var page struct {
			Messages []struct{ Author string } `json:"messages"`
		}
		api.Do("GET", path+"?limit=100", nil).Decode(t, &page)
		got := 0
		for _, m := range page.Messages {
			if m.Author == "assistant" {
				got++
			}
		}
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d assistant replies stored after %v, want %d", got, stepTimeout, n)
		}
		<-tick.C
	}
}

// TestBrowser_StreamedReplyRenderedThrottledNotPerDelta: a reply streamed
// in 200 deltas is rendered a few times while it streams (at most every
// 100 ms), not once per delta, and the stored reply once. (200 deltas:
// fewer than chat.QueueLimit, so a slow stream is not cut.)
func TestBrowser_StreamedReplyRenderedThrottledNotPerDelta(t *testing.T) {
	var text strings.Builder
	for i := 0; i < 200; i++ {
		fmt.Fprintf(&text, "- item **%d** with `code`\n", i)
	}
	parts := chunked(text.String(), 200)
	fake := geminitest.New(t)
	gate := geminitest.NewGate()
	defer gate.Release()
	fake.Enqueue(geminitest.Reply{Chunks: parts, Gate: gate, Rest: []string{"\nthe end"}})
	srv := startWithGemini(t, fake)
	ctx := newBrowser(t)
	registerInBrowser(t, ctx, srv, "Ada Lovelace", "ada@example.com", goodPassword)
	newGeminiConversation(t, ctx)
	// Count the renders (the page's own function, wrapped).
	do(t, ctx, "count renders", chromedp.Evaluate[chromedp.Void](
		"window.__renders = 0; (r => { toriiMarkdown.render = t => { window.__renders++; return r(t); }; })(toriiMarkdown.render)"))
	do(t, ctx, "ask", chromedp.SendKeys(chromedp.ID("composer-body"), "count to 200"), chromedp.KeyEvent(kb.Enter))
	reached(t, gate)
	get(t, ctx, "all 200 items shown while streaming", chromedp.Poll[bool](
		"document.querySelectorAll('#messages li.streaming ul li').length === 200"))
	renders := get(t, ctx, "renders", chromedp.Evaluate[int]("window.__renders"))
	t.Logf("200 deltas, %d renders while streaming", renders)
	if renders < 1 || renders > 20 {
		t.Errorf("%d renders for 200 deltas, want a few (at most one per 100 ms)", renders)
	}
	responsive(t, ctx, "streaming")
	gate.Release()
	get(t, ctx, "stored reply shown", chromedp.Poll[bool](markerShown("#messages li.assistant:not(.streaming) .body", "the end")))
	if n := count(t, ctx, "#messages li.assistant ul li"); n != 200 {
		t.Errorf("stored reply shows %d items, want 200", n)
	}
}

// TestBrowser_StreamOverTheCapIsPlainTextWithNotice: a reply that streams
// past the Markdown cap shows as plain text under a notice while it
// streams; the stored reply (cut by the server to 32 KiB, within the cap)
// is formatted.
func TestBrowser_StreamOverTheCapIsPlainTextWithNotice(t *testing.T) {
	long := strings.Repeat("**word** ", 40000/9+1)
	fake := geminitest.New(t)
	gate := geminitest.NewGate()
	defer gate.Release()
	fake.Enqueue(geminitest.Reply{Chunks: chunked(long, 20), Gate: gate})
	srv := startWithGemini(t, fake)
	ctx := newBrowser(t)
	registerInBrowser(t, ctx, srv, "Ada Lovelace", "ada@example.com", goodPassword)
	newGeminiConversation(t, ctx)
	do(t, ctx, "ask", chromedp.SendKeys(chromedp.ID("composer-body"), "talk long"), chromedp.KeyEvent(kb.Enter))
	reached(t, gate)
	get(t, ctx, "notice while streaming", chromedp.Poll[bool](
		"(() => { const n = document.querySelector('#messages li.streaming .md-notice'); return !!n && n.getBoundingClientRect().height > 0; })()"))
	wantText(t, ctx, "#messages li.streaming .md-notice", "This reply is too long to format (over 32,768 characters), so it is shown as plain text.")
	if got := get(t, ctx, "plain text", chromedp.Evaluate[int]("document.querySelector('#messages li.streaming .md-plain').textContent.length")); got != len(long) {
		t.Errorf("the plain text holds %d chars, want the whole %d streamed", got, len(long))
	}
	if n := count(t, ctx, "#messages li.streaming .body strong"); n != 0 {
		t.Errorf("%d <strong> in a reply over the cap: it was parsed", n)
	}
	responsive(t, ctx, "over the cap")
	screenshot(t, ctx, "over-the-cap")
	gate.Release()
	do(t, ctx, "stored reply", chromedp.WaitVisible(chromedp.CSS("#messages li.assistant:not(.streaming) strong")))
	if n := count(t, ctx, "#messages li.assistant .md-notice"); n != 0 {
		t.Error("the stored reply (within the cap) shows the notice")
	}
}

// sampleReply is a reply with every kind of Markdown Gemini uses.
const sampleReply = "## Setting up\n\nTwo steps, see the [Go docs](https://go.dev/doc/) or write to support@example.com:\n\n" +
	"1. Install **Go** and run `go mod init`.\n2. Write *main.go*:\n\n" +
	"```go\npackage main\n\nimport \"fmt\"\n\n// main says hello, in a line long enough to need scrolling on a phone screen.\nfunc main() {\n\tfmt.Println(\"hello, world\", 42)\n}\n```\n\n" +
	"> A quote from the docs,\n> over two lines.\n\n| Command | What it does |\n|---|---|\n| `go build` | compiles |\n| `go test` | tests |\n\n" +
	"- a list\n  - nested once\n- https://example.com/a/very/long/link/that/must/wrap/somewhere/on/a/phone/screen\n\n---\n\nDone."

// TestBrowser_MarkdownReplyFitsPhoneAndDesktop: a reply with a heading, a
// link, a list, highlighted code, a quote and a table renders as such, and
// fits a phone and a laptop screen (wide code and tables scroll inside the
// bubble, never the page).
func TestBrowser_MarkdownReplyFitsPhoneAndDesktop(t *testing.T) {
	fake := geminitest.New(t)
	fake.Enqueue(geminitest.Text(chunked(sampleReply, 6)...))
	srv := startWithGemini(t, fake)
	ctx := newBrowser(t)
	registerInBrowser(t, ctx, srv, "Ada Lovelace", "ada@example.com", goodPassword)
	newGeminiConversation(t, ctx)
	do(t, ctx, "ask", chromedp.SendKeys(chromedp.ID("composer-body"), "How do I start with Go?"), chromedp.KeyEvent(kb.Enter))
	do(t, ctx, "reply shown", chromedp.WaitVisible(chromedp.CSS("#messages li.assistant:not(.streaming) table")))
	for _, sel := range []string{"h4", "ol li strong", "pre code.language-go .hljs-keyword", "blockquote p", "table td code",
		"ul ul li", `a[href="https://go.dev/doc/"]`, `a[href="mailto:support@example.com"]`, "hr"} {
		if n := count(t, ctx, "#messages li.assistant .body "+sel); n == 0 {
			t.Errorf("no %s in the rendered reply", sel)
		}
	}
	for _, vp := range viewports {
		t.Run(vp.name, func(t *testing.T) {
			do(t, ctx, "resize", chromedp.EmulateViewport(vp.width, vp.height))
			defer do(t, ctx, "restore size", chromedp.EmulateViewport(viewportWidth, viewportHeight))
			checkPage(t, ctx, "markdown-reply")
		})
	}
}
