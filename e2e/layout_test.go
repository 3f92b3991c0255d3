package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/toriihq/torii/gemini/geminitest"
	"github.com/toriihq/torii/testserver"
)

// viewports are the sizes every page is checked at: a laptop and a phone.
var viewports = []struct {
	name          string
	width, height int64
}{
	{"desktop", viewportWidth, viewportHeight},
	{"mobile", 390, 844},
}

// unlabelledControls is a JS expression listing the visible form controls
// of the page that have no accessible name (no <label>, aria-label,
// aria-labelledby or, for buttons and links, no text).
const unlabelledControls = `Array.from(document.querySelectorAll('input:not([type=hidden]), select, textarea, button, a[href]'))
  .filter(e => e.getClientRects().length > 0)
  .filter(e => {
    if (e.getAttribute('aria-label') || e.getAttribute('aria-labelledby')) return false;
    if (e.labels && e.labels.length > 0) return false;
    if ((e.tagName === 'BUTTON' || e.tagName === 'A') && e.textContent.trim() !== '') return false;
    if (e.tagName === 'A' && Array.from(e.querySelectorAll('img[alt]')).some(i => i.alt)) return false;
    return true;
  })
  .map(e => e.outerHTML.slice(0, 120))`

// overflowing is a JS expression: the page scrolls sideways (something is
// wider than the viewport).
const overflowing = `document.documentElement.scrollWidth > window.innerWidth + 1`

// checkPage fails the test if the page scrolls sideways or has a control
// without a name, and saves a screenshot.
func checkPage(t *testing.T, ctx context.Context, shot string) {
	t.Helper()
	if get(t, ctx, "measure width", chromedp.Evaluate[bool](overflowing)) {
		w := get(t, ctx, "scroll width", chromedp.Evaluate[int]("document.documentElement.scrollWidth"))
		t.Errorf("%s: the page is %dpx wide: it scrolls sideways", shot, w)
	}
	if bad := get(t, ctx, "find unlabelled controls", chromedp.Evaluate[[]string](unlabelledControls)); len(bad) > 0 {
		t.Errorf("%s: controls without an accessible name:\n%s", shot, strings.Join(bad, "\n"))
	}
	screenshot(t, ctx, shot)
}

// TestBrowser_PagesFitPhoneAndDesktopWithLabelledControls opens every page
// at 1280×800 and 390×844: none scrolls sideways and every visible control
// has an accessible name.
func TestBrowser_PagesFitPhoneAndDesktopWithLabelledControls(t *testing.T) {
	fake := geminitest.New(t)
	srv := testserver.Start(t, testserver.Options{Env: map[string]string{
		"TORII_ADMIN_EMAILS": "boss@example.com", "TORII_GEMINI_API_KEY": "k", "TORII_GEMINI_BASE_URL": fake.URL}})
	seedVerifiedUser(t, srv, "Boss Example", "boss@example.com", goodPassword)
	seedUser(t, srv, "Ann Example", "ann@example.com", goodPassword)
	ctx := newBrowser(t)
	for _, vp := range viewports {
		t.Run(vp.name, func(t *testing.T) {
			do(t, ctx, "resize", chromedp.EmulateViewport(vp.width, vp.height))
			defer do(t, ctx, "restore size", chromedp.EmulateViewport(viewportWidth, viewportHeight))
			for _, path := range []string{"/login", "/register"} {
				open(t, ctx, srv.URL, path)
				checkPage(t, ctx, strings.Trim(path, "/"))
			}
			open(t, ctx, srv.URL, "/login")
			fill(t, ctx, "email", "boss@example.com", "password", goodPassword)
			clickAndLoad(t, ctx, chromedp.ID("sign-in"))
			get(t, ctx, "rooms listed", chromedp.Poll[bool]("document.querySelectorAll('#room-list .room-link').length > 0"))
			checkPage(t, ctx, "home")
			for _, path := range []string{"/account", "/admin"} {
				open(t, ctx, srv.URL, path)
				checkPage(t, ctx, strings.Trim(path, "/"))
			}
			open(t, ctx, srv.URL, "/")
			clickAndLoad(t, ctx, chromedp.ID("sign-out"))
		})
	}
}
