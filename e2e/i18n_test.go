package e2e

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/toriihq/torii/config"
	"github.com/toriihq/torii/gemini/geminitest"
	"github.com/toriihq/torii/i18n"
	"github.com/toriihq/torii/testserver"
)

// Issue 15 in a real browser: the chat and admin pages build much of their
// text in JavaScript, so only a browser shows whether a Japanese reader
// still meets English; and only a browser in another time zone shows
// whether times follow the reader.

// englishFragments are the catalog's English texts as they would appear
// in a page, split at {{.Fields}} and markup, without the texts (or
// pieces) the Japanese keeps as they are (Gemini, TORII_…, English).
func englishFragments(t *testing.T) []string {
	t.Helper()
	split := regexp.MustCompile(`\{\{[^}]*\}\}|<[^>]*>`)
	word := regexp.MustCompile(`[A-Za-z]{2,}`)
	var out []string
	for _, k := range i18n.Keys(i18n.English) {
		ja := i18n.Text(i18n.Japanese, k)
		for _, s := range i18n.Text(i18n.English, k) {
			for _, f := range split.Split(s, -1) {
				f = strings.Trim(f, " ,.:;()?!")
				// The default group's name ("everyone") is data, shown as is.
				if len(f) < 4 || !word.MatchString(f) || f == config.DefaultGroupName || slices.ContainsFunc(ja, func(j string) bool { return strings.Contains(j, f) }) {
					continue
				}
				out = append(out, f)
			}
		}
	}
	if len(out) < 100 {
		t.Fatalf("only %d English fragments: the detector is broken", len(out))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// visibleJS is what a reader sees or hears of the page: its title, its
// rendered text, and the names and hints of its controls.
const visibleJS = `[document.title, document.body.innerText].concat(
  Array.from(document.querySelectorAll('*')).map(e => getComputedStyle(e, '::before').content)
    .filter(c => c && c !== 'none' && c !== 'normal'),
  Array.from(document.querySelectorAll('[placeholder],[aria-label],[title],[alt]'))
    .filter(e => e.getClientRects().length > 0 || e.tagName === 'TIME')
    .flatMap(e => ['placeholder', 'aria-label', 'title', 'alt'].map(a => e.getAttribute(a) || ''))
).join('\n')`

// wantNoEnglish fails if the page shows a catalog English fragment (as a
// whole word; codes such as group.member.set are data).
func wantNoEnglish(t *testing.T, ctx context.Context, what string, fragments []string) {
	t.Helper()
	if lang := get(t, ctx, "html lang", chromedp.Evaluate[string]("document.documentElement.lang")); lang != "ja" {
		t.Fatalf("%s: <html lang=%q>, want ja", what, lang)
	}
	text := get(t, ctx, "visible text", chromedp.Evaluate[string](visibleJS))
	var left []string
	for _, f := range fragments {
		if regexp.MustCompile(`(^|[^A-Za-z._=])` + regexp.QuoteMeta(f) + `($|[^A-Za-z._=])`).MatchString(text) {
			left = append(left, f)
		}
	}
	if len(left) > 0 {
		t.Errorf("%s: English left for a Japanese reader: %q\n---\n%s", what, left, text)
	}
}

func startJapaneseTeam(t *testing.T) *testserver.Server {
	t.Helper()
	fake := geminitest.New(t)
	srv := testserver.Start(t, testserver.Options{Env: map[string]string{
		"TORII_ADMIN_EMAILS": "boss@example.com", "TORII_GEMINI_API_KEY": "k", "TORII_GEMINI_BASE_URL": fake.URL,
		"TORII_DEFAULT_LANGUAGE": "ja"}})
	seedVerifiedUser(t, srv, "山田 太郎", "boss@example.com", goodPassword)
	seedUser(t, srv, "佐藤 花子", "hanako@example.com", goodPassword)
	return srv
}

// TestBrowser_JapaneseReaderMeetsNoEnglishOnChatAdminAccount: with
// TORII_DEFAULT_LANGUAGE=ja (the headless browser asks for English, so
// ?lang=ja picks Japanese first), the chat page after creating a room and
// sending a message, the account page and the admin page, as the browser
// shows them after their scripts ran, hold no English sentence of the
// catalog, at desktop and phone widths.
func TestBrowser_JapaneseReaderMeetsNoEnglishOnChatAdminAccount(t *testing.T) {
	srv := startJapaneseTeam(t)
	fragments := englishFragments(t)
	ctx := newBrowser(t)
	open(t, ctx, srv.URL, "/login?lang=ja")
	wantNoEnglish(t, ctx, "login", fragments)
	screenshot(t, ctx, "login-ja")
	signInInBrowser(t, ctx, srv, "boss@example.com", goodPassword)
	get(t, ctx, "stream is live", chromedp.Poll[bool]("document.getElementById('conn-state').dataset.state === 'live'"))
	wantText(t, ctx, "#conn-state", "接続済み")

	do(t, ctx, "create a room", chromedp.SendKeys(chromedp.ID("new-room-name"), "開発チーム"),
		chromedp.SetValue(chromedp.ID("new-room-visibility"), "private"),
		chromedp.Click(chromedp.CSS(`#new-room button[type="submit"]`)))
	get(t, ctx, "room open", chromedp.Poll[bool](`document.getElementById('room-name').textContent === '開発チーム'`))
	get(t, ctx, "stream is live", chromedp.Poll[bool]("document.getElementById('conn-state').dataset.state === 'live'"))
	do(t, ctx, "send", chromedp.SendKeys(chromedp.ID("composer-body"), "おはようございます。今日のリリースは 15 時からです。"),
		chromedp.Click(chromedp.ID("send")))
	get(t, ctx, "message shown", chromedp.Poll[bool](hasMessage("おはようございます。今日のリリースは 15 時からです。")))
	if ph := get(t, ctx, "placeholder", chromedp.Evaluate[string]("document.getElementById('composer-body').placeholder")); ph != "開発チーム へのメッセージ" {
		t.Errorf("composer placeholder %q", ph)
	}
	for _, vp := range viewports {
		do(t, ctx, "resize", chromedp.EmulateViewport(vp.width, vp.height))
		wantNoEnglish(t, ctx, "chat "+vp.name, fragments)
		screenshot(t, ctx, "chat-ja-"+vp.name)
		for _, path := range []string{"/account", "/admin"} {
			open(t, ctx, srv.URL, path)
			wantNoEnglish(t, ctx, path+" "+vp.name, fragments)
			screenshot(t, ctx, strings.Trim(path, "/")+"-ja-"+vp.name)
		}
		open(t, ctx, srv.URL, "/")
		get(t, ctx, "stream is live", chromedp.Poll[bool]("document.getElementById('conn-state').dataset.state === 'live'"))
	}
	do(t, ctx, "restore size", chromedp.EmulateViewport(viewportWidth, viewportHeight))

	// Switching to English is one click, in the footer; it is saved.
	clickAndLoad(t, ctx, chromedp.ID("lang-en"))
	if lang := get(t, ctx, "html lang", chromedp.Evaluate[string]("document.documentElement.lang")); lang != "en" {
		t.Fatalf("after clicking English: <html lang=%q>", lang)
	}
	do(t, ctx, "wait for #hello", chromedp.WaitVisible(chromedp.ID("hello")))
	wantText(t, ctx, "#send", "Send")
	for _, vp := range viewports {
		do(t, ctx, "resize", chromedp.EmulateViewport(vp.width, vp.height))
		screenshot(t, ctx, "chat-en-"+vp.name)
		for _, path := range []string{"/account", "/admin"} {
			open(t, ctx, srv.URL, path)
			screenshot(t, ctx, strings.Trim(path, "/")+"-en-"+vp.name)
		}
		open(t, ctx, srv.URL, "/")
	}
	do(t, ctx, "restore size", chromedp.EmulateViewport(viewportWidth, viewportHeight))
}

// TestBrowser_TimesShownInTheReadersTimeZone: a reader in Tokyo (the
// browser's zone set to Asia/Tokyo) sees Tokyo times, nine hours ahead of
// UTC, on the chat, account and admin pages, in Japanese format, with the
// exact UTC time kept in <time datetime>.
func TestBrowser_TimesShownInTheReadersTimeZone(t *testing.T) {
	srv := startJapaneseTeam(t)
	ctx := newBrowser(t)
	cctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	if _, err := chromedp.Call(cctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "Asia/Tokyo"}); err != nil {
		t.Fatalf("Emulation.setTimezoneOverride: %v", err)
	}
	if tz := get(t, ctx, "zone", chromedp.Evaluate[string]("Intl.DateTimeFormat().resolvedOptions().timeZone")); tz != "Asia/Tokyo" {
		t.Fatalf("the browser's zone is %q", tz)
	}
	open(t, ctx, srv.URL, "/login?lang=ja")
	signInInBrowser(t, ctx, srv, "boss@example.com", goodPassword)
	get(t, ctx, "stream is live", chromedp.Poll[bool]("document.getElementById('conn-state').dataset.state === 'live'"))
	do(t, ctx, "send", chromedp.SendKeys(chromedp.ID("composer-body"), "時刻の確認"), chromedp.Click(chromedp.ID("send")))
	get(t, ctx, "message shown", chromedp.Poll[bool](hasMessage("時刻の確認")))

	// tokyo reads the <time> elements the selector finds: each must show
	// its datetime's Tokyo wall-clock time ("15:04"), in Japanese.
	checkTimes := func(where, sel string) {
		t.Helper()
		times := get(t, ctx, "times on "+where, chromedp.Evaluate[[][3]string](
			`Array.from(document.querySelectorAll(`+jsString(sel)+`)).map(e => [e.getAttribute('datetime'), e.textContent, e.title])`))
		if len(times) == 0 {
			t.Fatalf("%s: no %s", where, sel)
		}
		for _, tm := range times {
			at, err := time.Parse(time.RFC3339Nano, tm[0])
			if err != nil {
				t.Errorf("%s: datetime %q: %v", where, tm[0], err)
				continue
			}
			tokyo := at.In(time.FixedZone("JST", 9*3600))
			want := fmt.Sprintf("%d:%02d", tokyo.Hour(), tokyo.Minute())
			// The chat shows today's messages by their time alone (under
			// a 「今日」 divider), the Japanese date in the title.
			dated := tm[1] + " " + tm[2]
			if !strings.Contains(tm[1], want) || !strings.Contains(dated, "年") && !strings.Contains(dated, "/") {
				t.Errorf("%s: %s shows %q (title %q), want Tokyo time %s in Japanese", where, tm[0], tm[1], tm[2], want)
			}
			if utc := fmt.Sprintf("%d:%02d", at.UTC().Hour(), at.UTC().Minute()); utc != want && strings.Contains(tm[1], utc+" ") {
				t.Errorf("%s: %q still shows the UTC time", where, tm[1])
			}
		}
	}
	checkTimes("chat", "#messages .message time")
	screenshot(t, ctx, "chat-tokyo")
	open(t, ctx, srv.URL, "/account")
	checkTimes("account", "#sessions time:not([data-format])")
	// A relative time where it helps: "たった今" / "5分前".
	if rel := text(t, ctx, `#sessions time[data-format="relative"]`); !strings.Contains(rel, "前") && !strings.Contains(rel, "今") {
		t.Errorf("the session's last activity shows %q, want a relative time", rel)
	}
	screenshot(t, ctx, "account-tokyo")
	open(t, ctx, srv.URL, "/admin")
	checkTimes("admin users", "#users time")
	checkTimes("admin audit log", "#audit time")
	screenshot(t, ctx, "admin-tokyo")
}

// TestBrowser_ComposerNeverSendsWhileAnInputMethodComposes: the Enter that
// confirms a kana-kanji conversion (isComposing, or keyCode 229 on
// browsers that send it after compositionend) does not send the message.
func TestBrowser_ComposerNeverSendsWhileAnInputMethodComposes(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	seedUser(t, srv, "Ann", "ann@example.com", goodPassword)
	ctx := newBrowser(t)
	signInInBrowser(t, ctx, srv, "ann@example.com", goodPassword)
	get(t, ctx, "stream is live", chromedp.Poll[bool]("document.getElementById('conn-state').dataset.state === 'live'"))
	do(t, ctx, "type", chromedp.SendKeys(chromedp.ID("composer-body"), "にほんご"))
	for _, ev := range []string{
		`new KeyboardEvent('keydown', {key: 'Enter', isComposing: true, bubbles: true, cancelable: true})`,
		`(() => { const e = new KeyboardEvent('keydown', {key: 'Enter', bubbles: true, cancelable: true}); Object.defineProperty(e, 'keyCode', {get: () => 229}); return e; })()`,
	} {
		get(t, ctx, "press Enter while composing", chromedp.Evaluate[bool](`document.getElementById('composer-body').dispatchEvent(`+ev+`)`))
		if v := get(t, ctx, "composer", chromedp.Value(chromedp.ID("composer-body"))); v != "にほんご" {
			t.Fatalf("after %s the composer holds %q: the message was sent", ev, v)
		}
	}
	if n := count(t, ctx, "#messages .message"); n != 0 {
		t.Fatalf("%d messages sent while composing", n)
	}
	// A plain Enter still sends.
	get(t, ctx, "press Enter", chromedp.Evaluate[bool](`document.getElementById('composer-body').dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', bubbles: true, cancelable: true}))`))
	get(t, ctx, "message shown", chromedp.Poll[bool](hasMessage("にほんご")))
}
