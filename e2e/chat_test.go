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
	if got := text(t, b, "#messages li.message .author"); got != "Ann" {
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

// TestBrowser_ChatShiftEnterAddsLineEnterSends: Shift+Enter puts a new line
// in the message; Enter sends it whole.
func TestBrowser_ChatShiftEnterAddsLineEnterSends(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	seedUser(t, srv, "Ann", "ann@example.com", goodPassword)
	a := newBrowser(t)
	signInInBrowser(t, a, srv, "ann@example.com", goodPassword)
	get(t, a, "stream is live", chromedp.Poll[bool]("document.getElementById('conn-state').dataset.state === 'live'"))
	do(t, a, "type two lines", chromedp.SendKeys(chromedp.ID("composer-body"), "line one"),
		chromedp.KeyEvent(kb.Enter, chromedp.KeyModifiers(chromedp.ModifierShift)),
		chromedp.SendKeys(chromedp.ID("composer-body"), "line two"))
	if n := count(t, a, "#messages .message"); n != 0 {
		t.Fatalf("Shift+Enter sent the message (%d shown)", n)
	}
	if v := get(t, a, "composer value", chromedp.Value(chromedp.ID("composer-body"))); v != "line one\nline two" {
		t.Fatalf("composer holds %q", v)
	}
	do(t, a, "send", chromedp.KeyEvent(kb.Enter))
	get(t, a, "the message shows both lines", chromedp.Poll[bool](hasMessage("line one\nline two")))
	if v := get(t, a, "composer value", chromedp.Value(chromedp.ID("composer-body"))); v != "" {
		t.Errorf("composer not cleared after sending: %q", v)
	}
}

// TestBrowser_ChatNewRoomAndUnreadCountArriveLive: a room someone creates
// appears in the list at once, a message in a room the user is not viewing
// shows there as an unread count at once (the page's one live connection,
// no polling, no focus needed), and opening the room clears it.
func TestBrowser_ChatNewRoomAndUnreadCountArriveLive(t *testing.T) {
	srv, a := annLiveBobWaiting(t)

	bob := srv.Client(t)
	if r := bob.Do("POST", "/api/v1/auth/login", map[string]string{"email": "bob@example.com", "password": goodPassword}); r.Status != http.StatusOK {
		t.Fatalf("bob's sign-in: %d %s", r.Status, r.Body)
	}
	r := bob.Do("POST", "/api/v1/rooms", map[string]any{"name": "random", "visibility": "public"})
	if r.Status != http.StatusCreated {
		t.Fatalf("create room: %d %s", r.Status, r.Body)
	}
	id := int64(r.JSON()["room"].(map[string]any)["id"].(float64))
	link := fmt.Sprintf(`#room-list .room-link[data-room-id="%d"]`, id)
	do(t, a, "random appears", chromedp.WaitVisible(chromedp.CSS(link)))
	for _, body := range []string{"anyone here?", "hello?"} {
		if r := bob.Do("POST", fmt.Sprintf("/api/v1/rooms/%d/messages", id), map[string]string{"body": body}); r.Status != http.StatusCreated {
			t.Fatalf("post: %d %s", r.Status, r.Body)
		}
	}
	get(t, a, "random counts 2 unread", chromedp.Poll[bool]("(e => !!e && e.textContent === '2')(document.querySelector("+jsString(link+" .unread")+"))"))
	if got := text(t, a, link); !strings.Contains(got, "2 unread messages") {
		t.Errorf("the room's name for screen readers does not say unread: %q", got)
	}
	if n := count(t, a, `#room-list .room-link[data-room-id="1"] .unread`); n != 0 {
		t.Error("the room being viewed is marked unread")
	}
	do(t, a, "open random", chromedp.Click(chromedp.CSS(link)))
	get(t, a, "bob's message shows", chromedp.Poll[bool](hasMessage("anyone here?")))
	get(t, a, "the count goes", chromedp.Poll[bool]("!document.querySelector("+jsString(link+" .unread")+")"))
	// The read marker is the server's: the list says 0 unread now.
	ann := srv.Client(t)
	ann.Do("POST", "/api/v1/auth/login", map[string]string{"email": "ann@example.com", "password": goodPassword})
	waitUnread(t, ann, id, 0)
}

// waitUnread waits (bounded) until the room list tells c that room id
// has want unread messages: the page marks a room read a moment after
// showing it.
func waitUnread(t *testing.T, c *testserver.Client, id int64, want int) {
	t.Helper()
	deadline := time.Now().Add(stepTimeout)
	for {
		got := -1
		for _, x := range c.Do("GET", "/api/v1/rooms", nil).JSON()["rooms"].([]any) {
			if r := x.(map[string]any); int64(r["id"].(float64)) == id {
				got = int(r["unread"].(float64))
			}
		}
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("room %d: %d unread, want %d", id, got, want)
		}
		time.Sleep(20 * time.Millisecond) // polling the server, bounded by the deadline
	}
}

// TestBrowser_ChatRoomsPanelCollapsesOnPhone: at phone width the rooms list
// is hidden behind a Rooms button (aria-expanded tells its state); picking a
// room closes it and opens the room.
func TestBrowser_ChatRoomsPanelCollapsesOnPhone(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	seedUser(t, srv, "Ann", "ann@example.com", goodPassword)
	ann := srv.Client(t)
	ann.Do("POST", "/api/v1/auth/login", map[string]string{"email": "ann@example.com", "password": goodPassword})
	if r := ann.Do("POST", "/api/v1/rooms", map[string]any{"name": "random", "visibility": "public"}); r.Status != http.StatusCreated {
		t.Fatalf("create room: %d %s", r.Status, r.Body)
	}
	a := newBrowser(t)
	signInInBrowser(t, a, srv, "ann@example.com", goodPassword)
	do(t, a, "phone size", chromedp.EmulateViewport(390, 844))
	do(t, a, "rooms list hidden, toggle shown",
		chromedp.WaitNotVisible(chromedp.ID("room-list")), chromedp.WaitVisible(chromedp.ID("rooms-toggle")),
		chromedp.WaitVisible(chromedp.ID("composer-body")))
	expanded := func() string {
		return get(t, a, "aria-expanded", chromedp.Evaluate[string]("document.getElementById('rooms-toggle').getAttribute('aria-expanded')"))
	}
	if e := expanded(); e != "false" {
		t.Errorf("aria-expanded = %s with the panel closed", e)
	}
	do(t, a, "open the panel", chromedp.Click(chromedp.ID("rooms-toggle")),
		chromedp.WaitVisible(chromedp.CSS(`#room-list .room-link`)))
	if e := expanded(); e != "true" {
		t.Errorf("aria-expanded = %s with the panel open", e)
	}
	screenshot(t, a, "rooms-open")
	do(t, a, "Esc closes the panel", chromedp.KeyEvent(kb.Escape), chromedp.WaitNotVisible(chromedp.ID("room-list")))
	if e := expanded(); e != "false" {
		t.Errorf("aria-expanded = %s after Esc", e)
	}
	do(t, a, "open the panel again", chromedp.Click(chromedp.ID("rooms-toggle")),
		chromedp.WaitVisible(chromedp.CSS(`#room-list .room-link`)))
	do(t, a, "pick random", chromedp.Click(chromedp.CSS(`#room-list .room-link:not(.active)`)),
		chromedp.WaitNotVisible(chromedp.ID("room-list")), chromedp.WaitVisible(chromedp.ID("composer-body")))
	wantText(t, a, "#room-name", "random")
	if e := expanded(); e != "false" {
		t.Errorf("aria-expanded = %s after picking a room", e)
	}
}

// TestBrowser_ChatHiddenTabCountsNewMessagesInTitle: while the tab is
// hidden, messages from others in the open room are counted in the tab
// title and not marked read (on the server, for every device); showing the
// tab clears the count and marks them read.
func TestBrowser_ChatHiddenTabCountsNewMessagesInTitle(t *testing.T) {
	srv, a := annLiveBobWaiting(t)
	title := get(t, a, "title", chromedp.Title())

	// Headless Chromium's tab is always visible: the page is told it is
	// hidden the way the browser would tell it.
	setHidden := func(hidden bool) {
		js := fmt.Sprintf(`Object.defineProperty(document, 'hidden', {configurable: true, get: () => %[1]t});
			Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => %[1]t ? 'hidden' : 'visible'});
			document.dispatchEvent(new Event('visibilitychange'))`, hidden)
		do(t, a, "set hidden", chromedp.Evaluate[chromedp.Void](js))
	}
	setHidden(true)
	bob := srv.Client(t)
	bob.Do("POST", "/api/v1/auth/login", map[string]string{"email": "bob@example.com", "password": goodPassword})
	for _, body := range []string{"one", "two"} {
		if r := bob.Do("POST", "/api/v1/rooms/1/messages", map[string]string{"body": body}); r.Status != http.StatusCreated {
			t.Fatalf("post: %d %s", r.Status, r.Body)
		}
		get(t, a, "message shows", chromedp.Poll[bool](hasMessage(body)))
	}
	if got := get(t, a, "title", chromedp.Title()); got != "(2) "+title {
		t.Errorf("hidden tab title %q, want %q", got, "(2) "+title)
	}
	ann := srv.Client(t)
	ann.Do("POST", "/api/v1/auth/login", map[string]string{"email": "ann@example.com", "password": goodPassword})
	waitUnread(t, ann, 1, 2)
	if strings.Contains(srv.Logs.String(), `route="POST /api/v1/rooms/{id}/read"`) {
		t.Error("a hidden tab marked messages read")
	}
	setHidden(false)
	if got := get(t, a, "title", chromedp.Title()); got != title {
		t.Errorf("title %q after showing the tab, want %q", got, title)
	}
	waitUnread(t, ann, 1, 0)
}

// TestBrowser_ChatEmptyRoomSaysSo: a room with no message says so instead
// of showing a blank area.
func TestBrowser_ChatEmptyRoomSaysSo(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	seedUser(t, srv, "Ann", "ann@example.com", goodPassword)
	a := newBrowser(t)
	signInInBrowser(t, a, srv, "ann@example.com", goodPassword)
	get(t, a, "stream is live", chromedp.Poll[bool]("document.getElementById('conn-state').dataset.state === 'live'"))
	placeholder := "getComputedStyle(document.getElementById('messages'), '::before').content"
	// The live connection may open before the room's history is read (the
	// list is aria-busy meanwhile, and says nothing).
	get(t, a, "empty-room text", chromedp.Poll[bool](placeholder+".includes('No messages yet')"))
	do(t, a, "write", chromedp.SendKeys(chromedp.ID("composer-body"), "first"), chromedp.KeyEvent(kb.Enter))
	get(t, a, "message shows", chromedp.Poll[bool](hasMessage("first")))
	if got := get(t, a, "empty-room text", chromedp.Evaluate[string](placeholder)); got != "none" {
		t.Errorf("a room with a message still shows %s", got)
	}
}

// annLiveBobWaiting starts torii with two accounts, Ann and Bob, and a
// browser in which Ann is signed in on the chat page with her event stream
// live; Bob is left for the test to drive through the API.
func annLiveBobWaiting(t *testing.T) (*testserver.Server, context.Context) {
	t.Helper()
	srv := testserver.Start(t, testserver.Options{})
	seedUser(t, srv, "Ann", "ann@example.com", goodPassword)
	seedUser(t, srv, "Bob", "bob@example.com", goodPassword)
	a := newBrowser(t)
	signInInBrowser(t, a, srv, "ann@example.com", goodPassword)
	get(t, a, "stream is live", chromedp.Poll[bool]("document.getElementById('conn-state').dataset.state === 'live'"))
	// The stream and the room list load side by side: wait for the first
	// room's messages too, so that tests counting the page's requests
	// afterwards do not count that one.
	get(t, a, "first room open", chromedp.Poll[bool](
		"!!document.querySelector('#room-list .room-link.active') && !document.getElementById('messages').hasAttribute('aria-busy')"))
	return srv, a
}
