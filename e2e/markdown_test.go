package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/toriihq/torii/testserver"
)

// chatPageWithMarkdown signs a new user in and returns once the chat page
// has loaded its scripts (the vendored libraries and markdown.js, through
// the page's own <script> tags and CSP).
func chatPageWithMarkdown(t *testing.T, srv *testserver.Server) context.Context {
	t.Helper()
	ctx := newBrowser(t)
	registerInBrowser(t, ctx, srv, "Ada Lovelace", "ada@example.com", goodPassword)
	get(t, ctx, "markdown.js loaded", chromedp.Poll[bool]("!!window.toriiMarkdown"))
	return ctx
}

// renderHTML renders in with the page's toriiMarkdown and returns the
// resulting HTML.
func renderHTML(t *testing.T, ctx context.Context, in string) string {
	t.Helper()
	return get(t, ctx, "render", chromedp.Evaluate[string](
		"(() => { const d = document.createElement('div'); d.appendChild(toriiMarkdown.render("+jsLiteral(in)+")); return d.innerHTML; })()"))
}

// unsafeNodes is the JS that counts, in the element d, what could run
// script, load something or restyle the page, and links that are not
// http(s)/mailto or lack rel/target.
const unsafeNodes = `d.querySelectorAll('script,img,iframe,object,embed,svg,math,style,link,form,input,[style],[onerror],[onclick],[onload],[onmouseover]').length +
	Array.from(d.querySelectorAll('a')).filter(a => !/^(https?:|mailto:)/i.test(a.getAttribute('href') || '') ||
		a.getAttribute('rel') !== 'noopener noreferrer nofollow' || a.getAttribute('target') !== '_blank').length`

// TestBrowser_MarkdownRendersSafely runs the chat page's Markdown
// (markdown-it, then DOMPurify) in Chromium: the Markdown Gemini uses
// becomes elements; nothing in a reply is ever parsed as HTML or becomes a
// link other than http(s) or mailto (security.md 39, issue 13).
func TestBrowser_MarkdownRendersSafely(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	ctx := chatPageWithMarkdown(t, srv)

	link := func(href, text string) string {
		return `<a href="` + href + `" rel="noopener noreferrer nofollow" target="_blank">` + text + `</a>`
	}
	tests := []struct{ name, in, want string }{
		{"paragraphs and line breaks", "one\ntwo\n\nthree", "<p>one<br>\ntwo</p>\n<p>three</p>\n"},
		{"bold, italic, inline code", "**b** *i* _j_ `a<b>`", "<p><strong>b</strong> <em>i</em> <em>j</em> <code>a&lt;b&gt;</code></p>\n"},
		{"snake_case is not italic", "a_b_c", "<p>a_b_c</p>\n"},
		{"fenced code keeps its text", "```\nif a < b {\n\t<script>x</script>\n}\n```",
			"<pre><code>if a &lt; b {\n\t&lt;script&gt;x&lt;/script&gt;\n}\n</code></pre>\n"},
		{"fenced code with a known language is highlighted", "```go\nfunc f() {}\n```",
			`<pre><code class="language-go"><span class="hljs-function"><span class="hljs-keyword">func</span> <span class="hljs-title">f</span><span class="hljs-params">()</span></span> {}` + "\n</code></pre>\n"},
		{"an unclosed fence is code to the end (still streaming)", "```\nfoo", "<pre><code>foo</code></pre>\n"},
		{"bullet list", "- one\n- **two**\n- three", "<ul>\n<li>one</li>\n<li><strong>two</strong></li>\n<li>three</li>\n</ul>\n"},
		{"numbered list keeps its start", "3. c\n4. d", "<ol start=\"3\">\n<li>c</li>\n<li>d</li>\n</ol>\n"},
		{"headings start below the page's own", "# One\n## Two", "<h3>One</h3>\n<h4>Two</h4>\n"},
		{"quote", "> said\n> so", "<blockquote>\n<p>said<br>\nso</p>\n</blockquote>\n"},
		{"https link", "[docs](https://example.com/a?b=1)", "<p>" + link("https://example.com/a?b=1", "docs") + "</p>\n"},
		{"bare URL becomes a link", "see https://example.com/x.", "<p>see " + link("https://example.com/x", "https://example.com/x") + ".</p>\n"},
		{"mailto link", "[mail](mailto:ann@example.com)", "<p>" + link("mailto:ann@example.com", "mail") + "</p>\n"},
		{"javascript: link stays text", "[x](javascript:alert(1))", "<p>[x](javascript:alert(1))</p>\n"},
		{"JavaScript: in capitals stays text", "[x](JaVaScRiPt:alert(1))", "<p>[x](JaVaScRiPt:alert(1))</p>\n"},
		{"javascript: behind an entity stays text", "[x](java&#115;cript:alert(1))", "<p>[x](javascript:alert(1))</p>\n"},
		{"javascript: autolink stays text", "<javascript:alert(1)>", "<p>&lt;javascript:alert(1)&gt;</p>\n"},
		{"javascript: reference link stays text", "[x][r]\n\n[r]: javascript:alert(1)", "<p>[x][r]</p>\n<p>[r]: javascript:alert(1)</p>\n"},
		{"data: link stays text", "[x](data:text/html,hi)", "<p>[x](data:text/html,hi)</p>\n"},
		{"relative link stays text", "[x](/admin)", "<p>[x](/admin)</p>\n"},
		{"images are not loaded", "![pixel](https://tracker.example/p.png)", "<p>!" + link("https://tracker.example/p.png", "pixel") + "</p>\n"},
		{"raw HTML is text", `<img src=x onerror="alert(1)"><script>alert(2)</script>`,
			`<p>&lt;img src=x onerror="alert(1)"&gt;&lt;script&gt;alert(2)&lt;/script&gt;</p>` + "\n"},
		{"HTML inside markup is text", "**<b>x</b>**", "<p><strong>&lt;b&gt;x&lt;/b&gt;</strong></p>\n"},
		{"a fence's language cannot add classes or attributes", "```x\"><img src=x onerror=alert(1)> alert\nhi\n```",
			"<pre><code>hi\n</code></pre>\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := renderHTML(t, ctx, tt.in); got != tt.want {
				t.Errorf("render(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
			js := "(() => { const d = document.createElement('div'); d.appendChild(toriiMarkdown.render(" +
				jsLiteral(tt.in) + ")); return " + unsafeNodes + "; })()"
			if n := get(t, ctx, "count unsafe nodes", chromedp.Evaluate[int](js)); n != 0 {
				t.Errorf("render(%q) made %d unsafe nodes", tt.in, n)
			}
		})
	}
}

// TestBrowser_MarkdownTooLongOrTooDeepIsPlainText: text over the cap, or
// nested past markdown-it's limit, is shown whole as plain text under a
// notice, not parsed (and not cut, as markdown-it would cut it).
func TestBrowser_MarkdownTooLongOrTooDeepIsPlainText(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	ctx := chatPageWithMarkdown(t, srv)
	if n := get(t, ctx, "cap", chromedp.Evaluate[int]("toriiMarkdown.maxChars")); n != 32768 {
		t.Errorf("maxChars = %d, want 32768 (the most torii stores of a reply; docs/api.md)", n)
	}
	tests := []struct{ name, in, notice string }{
		{"over the cap", strings.Repeat("**b** ", 32768/6+1) + "<script>x</script>", "is too long to format (over 32,768 characters)"},
		{"quotes nested 100 deep", strings.Repeat(">", 100) + " deep <b>", "is nested too deeply"},
		{"lists nested 30 deep", strings.Repeat("- ", 30) + "deep <b>", "is nested too deeply"},
		{"more than 5000 elements (a 3000-row table)", "|a|\n|-|\n" + strings.Repeat("|x|\n", 3000), "has too many parts to format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := `<p class="md-notice">This reply ` + tt.notice
			got := renderHTML(t, ctx, tt.in)
			if !strings.HasPrefix(got, want) {
				t.Errorf("render starts %q, want %q", got[:min(len(got), 200)], want)
			}
			plain := get(t, ctx, "plain text", chromedp.Evaluate[string](
				"(() => { const d = document.createElement('div'); d.appendChild(toriiMarkdown.render("+jsLiteral(tt.in)+")); return d.querySelector('.md-plain').textContent; })()"))
			if plain != tt.in {
				t.Errorf("the plain text is not the reply, whole (%d chars of %d)", len(plain), len(tt.in))
			}
		})
	}
	// Within the limits, it is Markdown.
	if got := renderHTML(t, ctx, strings.Repeat("> ", 5)+"ok"); strings.Contains(got, "md-notice") || strings.Count(got, "<blockquote>") != 5 {
		t.Errorf("5 nested quotes: %q", got)
	}
	if got := renderHTML(t, ctx, "|a|\n|-|\n"+strings.Repeat("|x|\n", 1000)); strings.Contains(got, "md-notice") || strings.Count(got, "<td>") != 1000 {
		t.Errorf("a 1000-row table is not formatted: %q…", got[:min(len(got), 200)])
	}
}

// jsLiteral is s as a JavaScript string literal (JSON is a subset).
func jsLiteral(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
