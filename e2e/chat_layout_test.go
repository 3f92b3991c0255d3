package e2e

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/toriihq/torii/app"
	"github.com/toriihq/torii/testserver"
)

// TestBrowser_ChatGroupsMessagesSeparatesDaysRendersMarkdown: messages of
// one person in a row are grouped under one name, each day starts with a
// separator (Yesterday, Today), people have their own avatar colour, the
// user's own messages are marked, and a user's Markdown is rendered by the
// vetted renderer with safe links (issue 17, items 7 and 8).
func TestBrowser_ChatGroupsMessagesSeparatesDaysRendersMarkdown(t *testing.T) {
	clock := testserver.NewClock(time.Now().Add(-48 * time.Hour))
	srv := testserver.Start(t, testserver.Options{AppOptions: app.Options{Now: clock.Now, Hasher: testserver.FastHasher()}})
	seedUser(t, srv, "Ann", "ann@example.com", goodPassword)
	seedUser(t, srv, "Bob", "bob@example.com", goodPassword)
	ann, bob := srv.Client(t), srv.Client(t)
	for c, email := range map[*testserver.Client]string{ann: "ann@example.com", bob: "bob@example.com"} {
		if r := c.Do("POST", "/api/v1/auth/login", map[string]string{"email": email, "password": goodPassword}); r.Status != http.StatusOK {
			t.Fatalf("sign in %s: %d %s", email, r.Status, r.Body)
		}
	}
	post := func(c *testserver.Client, body string) {
		t.Helper()
		if r := c.Do("POST", "/api/v1/rooms/1/messages", map[string]string{"body": body}); r.Status != http.StatusCreated {
			t.Fatalf("post %q: %d %s", body, r.Status, r.Body)
		}
		clock.Advance(time.Minute)
	}
	post(ann, "good morning")
	post(ann, "anyone around?")
	post(bob, "here")
	clock.Advance(24 * time.Hour)
	post(ann, "yesterday's notes are in the doc")
	clock.Advance(24*time.Hour - 10*time.Minute)
	post(bob, "**shipped** it, see https://example.com/release and `make deploy`")
	post(ann, "great")

	a := newBrowser(t)
	signInInBrowser(t, a, srv, "ann@example.com", goodPassword)
	get(t, a, "messages shown", chromedp.Poll[bool](hasMessage("great")))
	days := get(t, a, "day separators", chromedp.Evaluate[[]string]("Array.from(document.querySelectorAll('#messages li.day')).map(d => d.textContent)"))
	if len(days) != 3 || days[1] != "Yesterday" || days[2] != "Today" {
		t.Errorf("day separators %q, want three ending Yesterday, Today", days)
	}
	grouped := get(t, a, "grouped", chromedp.Evaluate[[]bool]("Array.from(document.querySelectorAll('#messages li.message')).map(m => m.classList.contains('grouped'))"))
	if want := []bool{false, true, false, false, false, false}; !equalBools(grouped, want) {
		t.Errorf("grouped = %v, want %v (Ann's second message under her first only)", grouped, want)
	}
	mine := get(t, a, "mine", chromedp.Evaluate[[]bool]("Array.from(document.querySelectorAll('#messages li.message')).map(m => m.classList.contains('mine'))"))
	if want := []bool{true, true, false, true, false, true}; !equalBools(mine, want) {
		t.Errorf("own messages = %v, want %v", mine, want)
	}
	colours := get(t, a, "avatar colours", chromedp.Evaluate[[]string](
		"['Ann', 'Bob'].map(n => Array.from(document.querySelectorAll('#messages li.message')).find(m => m.querySelector('.author').textContent === n).querySelector('.avatar')).map(e => getComputedStyle(e).backgroundColor)"))
	if colours[0] == "" || colours[0] == colours[1] {
		t.Errorf("avatar colours %q: want one per person", colours)
	}
	link := get(t, a, "the link", chromedp.Evaluate[map[string]string](
		"(a => ({href: a.href, rel: a.rel, target: a.target, bold: document.querySelector('#messages .body strong').textContent, code: document.querySelector('#messages .body code').textContent}))(document.querySelector('#messages .body a'))"))
	if link["href"] != "https://example.com/release" || link["rel"] != "noopener noreferrer nofollow" || link["target"] != "_blank" {
		t.Errorf("link rendered as %v", link)
	}
	if link["bold"] != "shipped" || link["code"] != "make deploy" {
		t.Errorf("Markdown not rendered: %v", link)
	}
	screenshot(t, a, "layout-1280")
	do(t, a, "phone size", chromedp.EmulateViewport(390, 844))
	screenshot(t, a, "layout-390")
}

// TestBrowser_ChatSaysWhyAMessageIsTooLongBeforeSending: a message over the
// API's limit (8192 bytes of UTF-8; Japanese takes three bytes a
// character, which a textarea's maxlength cannot count) is not sent: the
// page says why, in the page's language, and keeps the text.
func TestBrowser_ChatSaysWhyAMessageIsTooLongBeforeSending(t *testing.T) {
	srv, a := annLiveBobWaiting(t)
	long := strings.Repeat("あ", 3000) // 9000 bytes, 3000 characters
	do(t, a, "paste a long message", chromedp.SetValue(chromedp.ID("composer-body"), long),
		chromedp.Evaluate[chromedp.Void]("document.getElementById('composer-body').dispatchEvent(new Event('input'))"))
	do(t, a, "the reason shows", chromedp.WaitVisible(chromedp.ID("composer-size")))
	if got := text(t, a, "#composer-size"); !strings.Contains(got, "9,000 bytes") || !strings.Contains(got, "8,192 bytes") {
		t.Errorf("the reason says %q", got)
	}
	do(t, a, "press Enter", chromedp.Focus(chromedp.ID("composer-body")), chromedp.KeyEvent(kb.Enter))
	if v := get(t, a, "composer", chromedp.Value(chromedp.ID("composer-body"))); v != long {
		t.Errorf("the composer lost the text (%d characters left)", len([]rune(v)))
	}
	if n := count(t, a, "#messages .message"); n != 0 {
		t.Errorf("%d messages shown, want none", n)
	}
	if strings.Contains(srv.Logs.String(), `route="POST /api/v1/rooms/{id}/messages"`) {
		t.Error("the page sent the message anyway")
	}
	screenshot(t, a, "too-long")
	// Shortened, it goes.
	do(t, a, "shorten", chromedp.SetValue(chromedp.ID("composer-body"), "short"),
		chromedp.Evaluate[chromedp.Void]("document.getElementById('composer-body').dispatchEvent(new Event('input'))"),
		chromedp.WaitNotVisible(chromedp.ID("composer-size")), chromedp.KeyEvent(kb.Enter))
	get(t, a, "sent", chromedp.Poll[bool](hasMessage("short")))
}

func equalBools(a, b []bool) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestBrowser_ChatOpensAtFirstUnreadAndArchivesRoom: a room with unread
// messages opens at the first of them (after the server's read marker,
// under a "New" line), not at the bottom; an archived room is read-only.
func TestBrowser_ChatOpensAtFirstUnreadAndArchivesRoom(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	seedUser(t, srv, "Ann", "ann@example.com", goodPassword)
	seedUser(t, srv, "Bob", "bob@example.com", goodPassword)
	ann, bob := srv.Client(t), srv.Client(t)
	for c, email := range map[*testserver.Client]string{ann: "ann@example.com", bob: "bob@example.com"} {
		if r := c.Do("POST", "/api/v1/auth/login", map[string]string{"email": email, "password": goodPassword}); r.Status != http.StatusOK {
			t.Fatalf("sign in %s: %d %s", email, r.Status, r.Body)
		}
	}
	var last float64
	for i := range 50 {
		body := "old " + strconv.Itoa(i)
		if i >= 25 {
			body = "new " + strconv.Itoa(i-25)
		}
		r := bob.Do("POST", "/api/v1/rooms/1/messages", map[string]string{"body": body})
		if r.Status != http.StatusCreated {
			t.Fatalf("post: %d %s", r.Status, r.Body)
		}
		if i == 24 {
			last = r.JSON()["message"].(map[string]any)["id"].(float64)
			if r := ann.Do("POST", "/api/v1/rooms/1/read", map[string]any{"messageId": last}); r.Status != http.StatusOK {
				t.Fatalf("mark read: %d %s", r.Status, r.Body)
			}
		}
	}
	a := newBrowser(t)
	signInInBrowser(t, a, srv, "ann@example.com", goodPassword)
	get(t, a, "the first unread is marked", chromedp.Poll[bool]("(m => !!m && m.querySelector('.body').textContent === 'new 0')(document.querySelector('#messages .first-unread'))"))
	inView := "(m => { const l = document.getElementById('messages').getBoundingClientRect(), r = m.getBoundingClientRect(); return r.top >= l.top && r.bottom <= l.bottom; })"
	if !get(t, a, "first unread in view", chromedp.Evaluate[bool](inView+"(document.querySelector('#messages .first-unread'))")) {
		t.Error("the first unread message is not on screen")
	}
	if get(t, a, "last in view", chromedp.Evaluate[bool](inView+"(Array.from(document.querySelectorAll('#messages .message')).pop())")) {
		t.Error("the room opened at the bottom, not at the first unread")
	}
	screenshot(t, a, "first-unread")
	// Scrolled to the bottom, the page offers the way back.
	do(t, a, "scroll down", chromedp.Evaluate[chromedp.Void]("(l => { l.scrollTop = l.scrollHeight; l.dispatchEvent(new Event('scroll')); })(document.getElementById('messages'))"),
		chromedp.WaitVisible(chromedp.ID("jump-unread")), chromedp.Click(chromedp.ID("jump-unread")), chromedp.WaitNotVisible(chromedp.ID("jump-unread")))
	if !get(t, a, "first unread in view again", chromedp.Evaluate[bool](inView+"(document.querySelector('#messages .first-unread'))")) {
		t.Error("Jump to first unread did not bring it on screen")
	}

	r := ann.Do("POST", "/api/v1/rooms", map[string]any{"name": "old project", "visibility": "private"})
	if r.Status != http.StatusCreated {
		t.Fatalf("create room: %d %s", r.Status, r.Body)
	}
	id := int64(r.JSON()["room"].(map[string]any)["id"].(float64))
	do(t, a, "open it", chromedp.Click(chromedp.CSS(roomLink(id))), chromedp.WaitVisible(chromedp.ID("room-settings-open")))
	do(t, a, "archive", chromedp.Click(chromedp.ID("room-settings-open")), chromedp.Click(chromedp.ID("settings-archive")),
		chromedp.WaitVisible(chromedp.ID("room-archived")))
	if !get(t, a, "composer disabled", chromedp.Evaluate[bool]("document.getElementById('composer-body').disabled")) {
		t.Error("an archived room's composer takes messages")
	}
	if r := ann.Do("POST", fmt.Sprintf("/api/v1/rooms/%d/messages", id), map[string]any{"body": "still here?"}); r.Status != http.StatusConflict {
		t.Errorf("posting in an archived room: %d %s, want 409", r.Status, r.Body)
	}
}
