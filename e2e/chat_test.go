package e2e

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/toriihq/torii/testserver"
)

// hasMessage is the JS condition "the list shows a message with this text".
func hasMessage(body string) string {
	return "Array.from(document.querySelectorAll('#messages .body')).some(e => e.textContent === " + jsString(body) + ")"
}

func TestBrowser_ChatTwoUsersSeeEachOthersMessagesLive(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	seedUser(t, srv, "Ann", "ann@example.com", goodPassword)
	seedUser(t, srv, "Bob", "bob@example.com", goodPassword)
	a, b := newBrowser(t), newBrowser(t)
	signInInBrowser(t, a, srv, "ann@example.com", goodPassword)
	signInInBrowser(t, b, srv, "bob@example.com", goodPassword)
	get(t, a, "ann's stream is live", chromedp.Poll[bool]("document.getElementById('conn-state').dataset.state === 'live'"))
	get(t, b, "bob's stream is live", chromedp.Poll[bool]("document.getElementById('conn-state').dataset.state === 'live'"))
	wantText(t, a, "#room-name", "general")

	// Ann types and presses Enter; Bob's page shows it without a reload.
	do(t, a, "ann writes", chromedp.SendKeys(chromedp.ID("composer-body"), "hello Bob"), chromedp.KeyEvent("\r"))
	get(t, b, "bob sees ann's message", chromedp.Poll[bool](hasMessage("hello Bob")))
	do(t, b, "bob answers", chromedp.SendKeys(chromedp.ID("composer-body"), "hi Ann"), chromedp.KeyEvent("\r"))
	get(t, a, "ann sees bob's answer", chromedp.Poll[bool](hasMessage("hi Ann")))
	screenshot(t, a, "chat")
	if got := text(t, b, "#messages li:first-child .author"); got != "Ann" {
		t.Errorf("author shown %q, want Ann", got)
	}
	// One copy each, though the sender's page gets its own message twice
	// (the POST answer and the stream).
	if n := count(t, a, "#messages .message"); n != 2 {
		t.Errorf("ann's page shows %d messages, want 2", n)
	}
}

// TestBrowser_ChatMessagesRenderInert: markup in a message is shown as
// text, and nothing in it runs (security.md H.39).
func TestBrowser_ChatMessagesRenderInert(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	seedUser(t, srv, "Mallory", "mallory@example.com", goodPassword)
	seedUser(t, srv, "Bob", "bob@example.com", goodPassword)
	m := srv.Client(t)
	if r := m.Do("POST", "/api/v1/auth/login", map[string]string{"email": "mallory@example.com", "password": goodPassword}); r.Status != http.StatusOK {
		t.Fatalf("login: %d %s", r.Status, r.Body)
	}
	payloads := []string{
		`<script>window.__xss = 1</script>`,
		`<img src="x" onerror="window.__xss = 2">`,
		`<a href="javascript:window.__xss = 3">click me</a>`,
		`[click me](javascript:window.__xss=4)`,
		`<svg onload="window.__xss = 5"></svg>`,
		`"><iframe srcdoc="<script>parent.__xss = 6</script>">`,
	}
	for i, p := range payloads {
		if r := m.Do("POST", "/api/v1/rooms/1/messages", map[string]string{"body": p, "clientId": fmt.Sprint(i)}); r.Status != http.StatusCreated {
			t.Fatalf("post payload: %d %s", r.Status, r.Body)
		}
	}
	b := newBrowser(t)
	signInInBrowser(t, b, srv, "bob@example.com", goodPassword)
	for _, p := range payloads {
		get(t, b, "payload shown as text", chromedp.Poll[bool](hasMessage(p)))
	}
	// A live one too, through the event stream.
	get(t, b, "stream is live", chromedp.Poll[bool]("document.getElementById('conn-state').dataset.state === 'live'"))
	live := `<img src=y onerror="window.__xss = 7">`
	m.Do("POST", "/api/v1/rooms/1/messages", map[string]string{"body": live})
	get(t, b, "live payload shown as text", chromedp.Poll[bool](hasMessage(live)))
	// Click every link in the list, in case one were live.
	get(t, b, "click links", chromedp.Evaluate[bool]("document.querySelectorAll('#messages a').forEach(a => a.click()), true"))
	if n := count(t, b, "#messages script, #messages img, #messages a, #messages svg, #messages iframe"); n != 0 {
		t.Errorf("the message list holds %d elements made from message text", n)
	}
	if v := get(t, b, "read window.__xss", chromedp.Evaluate[string]("String(window.__xss)")); v != "undefined" {
		t.Errorf("a payload ran: window.__xss = %s", v)
	}
	screenshot(t, b, "xss")
}
