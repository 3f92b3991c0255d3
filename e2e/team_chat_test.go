package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/toriihq/torii/testserver"
)

// Issue 17's browser test: three people of one company use the chat page
// in three browsers (fresh incognito contexts of the shared Chromium), and
// everything reaches the others live, through each page's one connection
// (GET /api/v1/events), without a reload.

// team is three signed-in API clients of one group (Acme), so each may see
// the others (the people a user may see share a group or a room with them).
type team struct {
	srv          *testserver.Server
	ann, bob, ca *testserver.Client
	ids          map[string]int64
}

func newTeam(t *testing.T) *team {
	t.Helper()
	srv := testserver.Start(t, testserver.Options{})
	tm := &team{srv: srv, ids: map[string]int64{}}
	reg := func(name, email string, extra ...string) *testserver.Client {
		c := srv.Client(t)
		body := map[string]string{"name": name, "email": email, "password": goodPassword}
		if len(extra) == 2 {
			body[extra[0]] = extra[1]
		}
		r := c.Do("POST", "/api/v1/auth/register", body)
		if r.Status != http.StatusCreated {
			t.Fatalf("register %s: %d %s", email, r.Status, r.Body)
		}
		tm.ids[name] = int64(r.JSON()["user"].(map[string]any)["id"].(float64))
		if r := c.Do("POST", "/api/v1/auth/login", map[string]string{"email": email, "password": goodPassword}); r.Status != http.StatusOK {
			t.Fatalf("sign in %s: %d %s", email, r.Status, r.Body)
		}
		return c
	}
	tm.ann = reg("Ann", "ann@acme.example", "companyName", "Acme")
	tm.bob = reg("Bob", "bob@example.com")
	tm.ca = reg("Cat", "cat@example.com")
	var acme int64
	for _, g := range tm.ann.Do("GET", "/api/v1/groups", nil).JSON()["groups"].([]any) {
		acme = int64(g.(map[string]any)["id"].(float64))
	}
	for _, who := range []struct {
		name string
		c    *testserver.Client
	}{{"Bob", tm.bob}, {"Cat", tm.ca}} {
		if r := tm.ann.Do("POST", fmt.Sprintf("/api/v1/groups/%d/members", acme), map[string]any{"userId": tm.ids[who.name]}); r.Status != http.StatusAccepted {
			t.Fatalf("inviting %s to Acme: %d %s", who.name, r.Status, r.Body)
		}
		inv := who.c.Do("GET", "/api/v1/me/group-invitations", nil).JSON()["invitations"].([]any)
		id := int64(inv[0].(map[string]any)["id"].(float64))
		if r := who.c.Do("POST", fmt.Sprintf("/api/v1/me/group-invitations/%d/accept", id), nil); r.Status >= 300 {
			t.Fatalf("%s accepts: %d %s", who.name, r.Status, r.Body)
		}
	}
	return tm
}

// chatLive opens a browser signed in as email, on the chat page with its
// live connection open.
func chatLive(t *testing.T, srv *testserver.Server, email string) context.Context {
	t.Helper()
	ctx := newBrowser(t)
	signInInBrowser(t, ctx, srv, email, goodPassword)
	get(t, ctx, "the live connection is open", chromedp.Poll[bool]("document.getElementById('conn-state').dataset.state === 'live'"))
	return ctx
}

// roomLink is the CSS selector of a room's entry in either list.
func roomLink(id int64) string { return fmt.Sprintf(`.rooms .room-link[data-room-id="%d"]`, id) }

// roomIDNamed is the JS expression of the id of the listed room titled name
// (0 if none).
func roomIDNamed(name string) string {
	return "Number((Array.from(document.querySelectorAll('.rooms .room-link')).find(b => b.querySelector('.room-title').textContent === " +
		jsString(name) + ") || {dataset: {}}).dataset.roomId || 0)"
}

// onlyFound is the JS condition "the people search list holds name alone".
func onlyFound(list, name string) string {
	return "(l => l.length === 1 && l[0].textContent.includes(" + jsString(name) + "))(document.querySelectorAll('#" + list + " .person'))"
}

// grantNotifications grants the page's origin the Notification permission
// through CDP (Browser.grantPermissions, for the tab's own browser
// context), and wraps the page's Notification so that the test can see
// each one shown (headless Chromium shows none).
func grantNotifications(t *testing.T, ctx context.Context, origin string) {
	t.Helper()
	c := chromedp.FromContext(ctx)
	params := map[string]any{"permissions": []string{"notifications"}, "origin": origin, "browserContextId": c.BrowserContextID}
	if err := c.Browser.Call(ctx, "Browser.grantPermissions", params, &struct{}{}); err != nil {
		t.Fatalf("Browser.grantPermissions: %v", err)
	}
	do(t, ctx, "wrap Notification", chromedp.Evaluate[chromedp.Void](`(() => {
		window.__notes = [];
		const Real = window.Notification;
		window.Notification = class extends Real {
			constructor(title, opts) { window.__notes.push({title, body: (opts && opts.body) || ""}); super(title, opts); }
		};
	})()`))
}

func TestBrowser_TeamChat_DMsPrivateRoomMentionsEditsReachOthersLive(t *testing.T) {
	tm := newTeam(t)
	srv := tm.srv
	a := chatLive(t, srv, "ann@acme.example")
	b := chatLive(t, srv, "bob@example.com")
	c := chatLive(t, srv, "cat@example.com")

	// Bob opts in to notifications: the browser grants, the page's button
	// turns them on.
	grantNotifications(t, b, srv.URL)
	do(t, b, "turn notifications on", chromedp.Click(chromedp.ID("notify-toggle")))
	get(t, b, "notifications are on", chromedp.Poll[bool]("document.getElementById('notify-toggle').getAttribute('aria-pressed') === 'true'"))

	// Bob joins #general (a public room's mentions are for its members).
	do(t, b, "Bob joins general", chromedp.Click(chromedp.ID("join-room")), chromedp.WaitNotVisible(chromedp.ID("join-room")))

	// 1. Ann writes to Bob directly, from the "New message" picker.
	do(t, a, "open the picker", chromedp.Click(chromedp.ID("new-dm")), chromedp.WaitVisible(chromedp.ID("dm-q")))
	do(t, a, "search Bob", chromedp.SendKeys(chromedp.ID("dm-q"), "Bo"))
	get(t, a, "only Bob found", chromedp.Poll[bool](onlyFound("dm-results", "Bob")))
	do(t, a, "pick Bob", chromedp.Click(chromedp.CSS(`#dm-results .person`)),
		chromedp.WaitVisible(chromedp.CSS(`#dm-picked .chip`)), chromedp.Click(chromedp.ID("dm-start")))
	get(t, a, "the DM is open", chromedp.Poll[bool]("document.getElementById('room-name').textContent === 'Bob'"))
	dm := get(t, a, "the DM's id", chromedp.Evaluate[int64]("Number(new URLSearchParams(location.search).get('room'))"))
	do(t, a, "Ann writes to Bob", chromedp.SendKeys(chromedp.ID("composer-body"), "just between us"), chromedp.KeyEvent(kb.Enter))
	get(t, a, "Ann sees her message", chromedp.Poll[bool](hasMessage("just between us")))

	// Bob's list gains the DM, with one unread, and he is notified.
	do(t, b, "the DM appears for Bob", chromedp.WaitVisible(chromedp.CSS(roomLink(dm)+" .unread")))
	wantText(t, b, fmt.Sprintf(`#dm-list .room-link[data-room-id="%d"] .room-title`, dm), "Ann")
	get(t, b, "Bob is notified of the DM", chromedp.Poll[bool]("window.__notes.some(n => n.title === 'Ann' && n.body === 'just between us')"))
	// Cat sees none of it: not in her list, and the API answers 404.
	if n := count(t, c, roomLink(dm)); n != 0 {
		t.Errorf("Cat's list shows Ann and Bob's DM")
	}
	if r := tm.ca.Do("GET", fmt.Sprintf("/api/v1/rooms/%d/messages", dm), nil); r.Status != http.StatusNotFound {
		t.Errorf("Cat reads the DM: %d %s", r.Status, r.Body)
	}
	// Opening the same DM again reuses it.
	if r := tm.ann.Do("POST", "/api/v1/dms", map[string]any{"userIds": []int64{tm.ids["Bob"]}}); r.Status != http.StatusOK ||
		int64(r.JSON()["room"].(map[string]any)["id"].(float64)) != dm {
		t.Errorf("opening the DM again: %d %s, want 200 and room %d", r.Status, r.Body, dm)
	}
	do(t, b, "Bob opens the DM", chromedp.Click(chromedp.CSS(roomLink(dm))))
	get(t, b, "Bob reads Ann", chromedp.Poll[bool](hasMessage("just between us")))

	// 2. Ann makes a private room and invites Cat from the member list;
	// Cat's list shows it without a reload.
	do(t, a, "create a private room", chromedp.SendKeys(chromedp.ID("new-room-name"), "launch plans"),
		chromedp.SetValue(chromedp.ID("new-room-visibility"), "private"), chromedp.Click(chromedp.CSS(`#new-room button[type=submit]`)))
	get(t, a, "the room is open", chromedp.Poll[bool]("document.getElementById('room-name').textContent === 'launch plans'"))
	private := get(t, a, "its id", chromedp.Evaluate[int64](roomIDNamed("launch plans")))
	do(t, a, "open the members", chromedp.Click(chromedp.ID("members-toggle")), chromedp.WaitVisible(chromedp.ID("invite-q")))
	do(t, a, "search Cat", chromedp.SendKeys(chromedp.ID("invite-q"), "Cat"))
	get(t, a, "only Cat found", chromedp.Poll[bool](onlyFound("invite-results", "Cat")))
	do(t, a, "invite Cat", chromedp.Click(chromedp.CSS(`#invite-results .person`)))
	get(t, a, "Cat is a member", chromedp.Poll[bool](fmt.Sprintf(`!!document.querySelector('#member-list li[data-user-id="%d"]')`, tm.ids["Cat"])))
	do(t, c, "the room appears for Cat", chromedp.WaitVisible(chromedp.CSS(roomLink(private))))
	if n := count(t, b, roomLink(private)); n != 0 {
		t.Errorf("Bob, not invited, sees the private room")
	}
	screenshot(t, a, "members-1280")

	// 3. Ann @mentions Bob in #general (the autocomplete fills his name);
	// Bob, in the DM, gets the count and a notification.
	do(t, a, "back to general", chromedp.Click(chromedp.CSS(`#room-list .room-link[data-room-id="1"]`)))
	get(t, a, "general is open", chromedp.Poll[bool]("document.getElementById('room-name').textContent === 'general'"))
	do(t, a, "type @Bo", chromedp.SendKeys(chromedp.ID("composer-body"), "@Bo"), chromedp.WaitVisible(chromedp.CSS(`#mention-list li`)))
	do(t, a, "pick Bob", chromedp.KeyEvent(kb.Enter))
	if v := get(t, a, "composer", chromedp.Value(chromedp.ID("composer-body"))); v != "@Bob " {
		t.Fatalf("the autocomplete left %q", v)
	}
	do(t, a, "send the mention", chromedp.SendKeys(chromedp.ID("composer-body"), "can you review?"), chromedp.KeyEvent(kb.Enter))
	get(t, a, "Ann sees it", chromedp.Poll[bool](hasMessage("@Bob can you review?")))
	do(t, b, "Bob's general shows a mention", chromedp.WaitVisible(chromedp.CSS(`#room-list .room-link[data-room-id="1"] .mention-count`)))
	wantText(t, b, `#room-list .room-link[data-room-id="1"] .mention-count`, "@1")
	get(t, b, "Bob is notified of the mention", chromedp.Poll[bool]("window.__notes.some(n => n.body === '@Bob can you review?')"))
	if got := get(t, b, "title", chromedp.Title()); !strings.HasPrefix(got, "(1) ") {
		t.Errorf("Bob's tab title %q has no unread badge", got)
	}

	// Bob opens general: the mention is highlighted, the count goes.
	do(t, b, "Bob opens general", chromedp.Click(chromedp.CSS(`#room-list .room-link[data-room-id="1"]`)))
	get(t, b, "the mention is highlighted", chromedp.Poll[bool]("!!document.querySelector('#messages .message.mentions-me .mention.me')"))
	get(t, b, "the count goes", chromedp.Poll[bool](`!document.querySelector('#room-list .room-link[data-room-id="1"] .mention-count')`))
	screenshot(t, b, "mention-1280")

	// 4. Ann edits, then deletes, her message: Bob sees both at once.
	do(t, a, "Ann edits with ↑", chromedp.Click(chromedp.ID("composer-body")), chromedp.KeyEvent(kb.ArrowUp),
		chromedp.WaitVisible(chromedp.CSS(`.edit-form textarea`)))
	do(t, a, "change the text", chromedp.SetValue(chromedp.CSS(`.edit-form textarea`), "@Bob can you review the plan?"),
		chromedp.Click(chromedp.CSS(`.edit-form button[type=submit]`)))
	get(t, b, "Bob sees the edit", chromedp.Poll[bool](hasMessage("@Bob can you review the plan?")))
	get(t, b, "marked edited", chromedp.Poll[bool]("Array.from(document.querySelectorAll('#messages .message')).some(m => m.querySelector('.edited') && m.textContent.includes('review the plan'))"))
	do(t, a, "Ann deletes", chromedp.Evaluate[chromedp.Void]("window.confirm = () => true"),
		chromedp.Evaluate[chromedp.Void]("(m => { m.id = 'target'; m.focus(); })(Array.from(document.querySelectorAll('#messages .message.mine')).pop())"),
		chromedp.Click(chromedp.CSS(`#target .tool.delete`)))
	get(t, b, "Bob sees the tombstone", chromedp.Poll[bool]("!document.body.textContent.includes('review the plan') && !!document.querySelector('#messages .message.deleted')"))
	screenshot(t, b, "deleted-1280")
	do(t, b, "phone size", chromedp.EmulateViewport(390, 844))
	screenshot(t, b, "deleted-390")
}

// TestBrowser_TeamChat_ReactionsRepliesTypingAndRoomChangesLive: a
// reaction (with who gave it), a reply with its quoted message, the typing
// indicator, a rename and topic, and a removal reach the other member's
// page live.
func TestBrowser_TeamChat_ReactionsRepliesTypingAndRoomChangesLive(t *testing.T) {
	tm := newTeam(t)
	srv := tm.srv
	r := tm.ann.Do("POST", "/api/v1/rooms", map[string]any{"name": "design", "visibility": "private"})
	if r.Status != http.StatusCreated {
		t.Fatalf("create room: %d %s", r.Status, r.Body)
	}
	room := int64(r.JSON()["room"].(map[string]any)["id"].(float64))
	if r := tm.ann.Do("POST", fmt.Sprintf("/api/v1/rooms/%d/members", room), map[string]any{"userId": tm.ids["Bob"]}); r.Status != http.StatusCreated {
		t.Fatalf("invite Bob: %d %s", r.Status, r.Body)
	}
	if r := tm.ann.Do("POST", fmt.Sprintf("/api/v1/rooms/%d/messages", room), map[string]any{"body": "new logo draft is up"}); r.Status != http.StatusCreated {
		t.Fatalf("post: %d %s", r.Status, r.Body)
	}
	a := chatLive(t, srv, "ann@acme.example")
	b := chatLive(t, srv, "bob@example.com")
	open(t, a, srv.URL, fmt.Sprintf("/?room=%d", room))
	open(t, b, srv.URL, fmt.Sprintf("/?room=%d", room))
	for _, c := range []context.Context{a, b} {
		get(t, c, "the room is open and live", chromedp.Poll[bool](hasMessage("new logo draft is up")+" && document.getElementById('conn-state').dataset.state === 'live'"))
	}

	// Bob reacts with 🎉 from the message's tools; Ann sees 🎉 1, from Bob.
	do(t, b, "focus the message", chromedp.Evaluate[chromedp.Void]("document.querySelector('#messages .message').focus()"),
		chromedp.Click(chromedp.CSS(`#messages .message .tool.react`)), chromedp.WaitVisible(chromedp.CSS(`.reaction-picker`)))
	do(t, b, "pick 🎉", chromedp.Click(chromedp.CSS(`.reaction-picker button:nth-child(4)`)))
	get(t, a, "Ann sees the reaction", chromedp.Poll[bool]("(r => !!r && r.textContent === '🎉1' && r.title.includes('Bob'))(document.querySelector('#messages .reaction'))"))

	// Bob replies: the reply quotes Ann's message on both pages.
	do(t, b, "reply", chromedp.Evaluate[chromedp.Void]("document.querySelector('#messages .message').focus()"),
		chromedp.Click(chromedp.CSS(`#messages .message .tool.reply`)), chromedp.WaitVisible(chromedp.ID("replying")))
	// Typing shows on Ann's page before the message is sent.
	do(t, b, "type", chromedp.SendKeys(chromedp.ID("composer-body"), "love the colours"))
	get(t, a, "Ann sees Bob typing", chromedp.Poll[bool]("document.getElementById('typing').textContent === 'Bob is typing…'"))
	do(t, b, "send", chromedp.KeyEvent(kb.Enter))
	get(t, a, "the reply quotes Ann", chromedp.Poll[bool](
		"Array.from(document.querySelectorAll('#messages .message')).some(m => m.querySelector('.reply-quote') && m.querySelector('.reply-quote').textContent.includes('new logo draft is up') && m.querySelector('.body').textContent === 'love the colours')"))
	get(t, a, "typing ends with the message", chromedp.Poll[bool]("document.getElementById('typing').textContent === ''"))
	screenshot(t, a, "reply-1280")

	// Ann renames the room and sets a topic in Settings: Bob's header and
	// list follow.
	do(t, a, "open settings", chromedp.Click(chromedp.ID("room-settings-open")), chromedp.WaitVisible(chromedp.ID("settings-name")))
	do(t, a, "rename", chromedp.SetValue(chromedp.ID("settings-name"), "brand"), chromedp.SendKeys(chromedp.ID("settings-topic"), "logo and colours"))
	screenshot(t, a, "settings-1280")
	do(t, a, "save", chromedp.Click(chromedp.CSS(`#settings-form button[type=submit]`)), chromedp.WaitNotVisible(chromedp.ID("settings-name")))
	get(t, b, "Bob's header follows", chromedp.Poll[bool]("document.getElementById('room-name').textContent === 'brand' && document.getElementById('room-topic').textContent === 'logo and colours'"))
	wantText(t, b, roomLink(room)+" .room-title", "brand")

	// Ann removes Bob: the room leaves his page at once.
	do(t, a, "open the members", chromedp.Click(chromedp.ID("members-toggle")),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#member-list li[data-user-id="%d"] .remove`, tm.ids["Bob"]))))
	do(t, a, "remove Bob", chromedp.Evaluate[chromedp.Void]("window.confirm = () => true"),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`#member-list li[data-user-id="%d"] .remove`, tm.ids["Bob"]))))
	do(t, b, "the room leaves Bob's list", chromedp.WaitNotPresent(chromedp.CSS(roomLink(room))))
	get(t, b, "Bob is told", chromedp.Poll[bool]("document.getElementById('chat-error').textContent.includes('brand')"))
	if n := count(t, b, "#messages .message"); n != 0 && text(t, b, "#room-name") == "brand" {
		t.Error("Bob still reads the room")
	}
	do(t, a, "phone size", chromedp.EmulateViewport(390, 844))
	screenshot(t, a, "members-390")
}
