package e2e

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/toriihq/torii/testserver"
)

// TestBrowser_MarkdownRendersSafely runs web/static/markdown.js, as served,
// in Chromium: the Markdown Gemini uses becomes elements, and nothing in a
// reply is ever parsed as HTML or turned into a script-capable link
// (security.md 39).
func TestBrowser_MarkdownRendersSafely(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	ctx := newBrowser(t)
	open(t, ctx, srv.URL, "/login")
	src, err := os.ReadFile("../web/static/markdown.js")
	if err != nil {
		t.Fatal(err)
	}
	served := get(t, ctx, "fetch markdown.js", chromedp.Evaluate[string](
		"fetch('/static/markdown.js').then(r => r.text())", chromedp.EvalAwaitPromise))
	if served != string(src) {
		t.Fatal("/static/markdown.js is not web/static/markdown.js")
	}
	// DevTools evaluation is not subject to the page's CSP, which forbids
	// inline script; the page itself loads the file with <script src>.
	do(t, ctx, "load markdown.js", chromedp.Evaluate[chromedp.Void](string(src)))

	tests := []struct{ name, in, want string }{
		{"paragraphs and line breaks", "one\ntwo\n\nthree", "<p>one<br>two</p><p>three</p>"},
		{"bold, italic, inline code", "**b** *i* _j_ `a<b>`", "<p><strong>b</strong> <em>i</em> <em>j</em> <code>a&lt;b&gt;</code></p>"},
		{"snake_case is not italic", "a_b_c", "<p>a_b_c</p>"},
		{"fenced code keeps its text", "```go\nif a < b {\n\t<script>x</script>\n}\n```",
			`<pre><code data-lang="go">if a &lt; b {` + "\n\t" + `&lt;script&gt;x&lt;/script&gt;` + "\n}</code></pre>"},
		{"an unclosed fence is code to the end (still streaming)", "```\nfoo", "<pre><code>foo</code></pre>"},
		{"bullet list", "- one\n- **two**\n* three", "<ul><li>one</li><li><strong>two</strong></li><li>three</li></ul>"},
		{"numbered list keeps its start", "3. c\n4. d", `<ol start="3"><li>c</li><li>d</li></ol>`},
		{"heading", "## Title", "<h4>Title</h4>"},
		{"quote", "> said\n> so", "<blockquote><p>said<br>so</p></blockquote>"},
		{"https link", "[docs](https://example.com/a?b=1)",
			`<p><a href="https://example.com/a?b=1" rel="noopener noreferrer nofollow" target="_blank">docs</a></p>`},
		{"javascript: link stays text", "[x](javascript:alert(1))", "<p>[x](javascript:alert(1))</p>"},
		{"data: link stays text", "[x](data:text/html,hi)", "<p>[x](data:text/html,hi)</p>"},
		{"raw HTML is text", `<img src=x onerror="alert(1)"><script>alert(2)</script>`,
			`<p>&lt;img src=x onerror="alert(1)"&gt;&lt;script&gt;alert(2)&lt;/script&gt;</p>`},
		{"HTML inside markup is text", "**<b>x</b>**", "<p><strong>&lt;b&gt;x&lt;/b&gt;</strong></p>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			js := "(() => { const d = document.createElement('div'); d.appendChild(toriiMarkdown.render(" +
				jsLiteral(tt.in) + ")); return d.innerHTML; })()"
			if got := get(t, ctx, "render", chromedp.Evaluate[string](js)); got != tt.want {
				t.Errorf("render(%q)\n got %s\nwant %s", tt.in, got, tt.want)
			}
			js = "(() => { const d = document.createElement('div'); d.appendChild(toriiMarkdown.render(" +
				jsLiteral(tt.in) + ")); return d.querySelectorAll('script,img,iframe,object,[onerror],[onclick],[href^=javascript]').length; })()"
			if n := get(t, ctx, "count dangerous nodes", chromedp.Evaluate[int](js)); n != 0 {
				t.Errorf("render(%q) made %d script-capable nodes", tt.in, n)
			}
		})
	}
}

// jsLiteral is s as a JavaScript string literal (JSON is a subset).
func jsLiteral(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
