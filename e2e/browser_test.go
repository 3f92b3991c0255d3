package e2e

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"github.com/toriihq/torii/testserver"
	"github.com/toriihq/torii/testserver/testenv"
)

const (
	// browserTimeout bounds everything one browser does in a test (and
	// the start of the package's Chromium): at the deadline its tab is
	// closed.
	browserTimeout = 120 * time.Second
	// stepTimeout bounds one step (a wait, a click and its page load), so a
	// missing element fails the test and says which step it was. It is
	// generous because the browser tests share one Chromium and run beside
	// the other packages' tests on two cores: a step that takes 1 s on a
	// quiet machine took over 15 s in a full CI run. A passing step never
	// waits for it.
	stepTimeout = 30 * time.Second

	viewportWidth, viewportHeight = 1280, 800
)

// findChromium returns the browser to drive: $TORII_CHROMIUM, else the
// first of chromium, chromium-browser and google-chrome on PATH. It returns
// "" when there is none.
func findChromium(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("TORII_CHROMIUM"); p != "" {
		full, err := exec.LookPath(p)
		if err != nil {
			// An explicit choice that does not work is a mistake, not a
			// reason to skip.
			t.Fatalf("TORII_CHROMIUM=%q: %v", p, err)
		}
		return full
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// chromium is the package's one browser, started by the first newBrowser
// and closed by TestMain: starting a Chromium costs seconds, a fresh
// incognito context in it milliseconds.
var chromium struct {
	once   sync.Once
	path   string
	ctx    context.Context // the browser; tabs are made from it
	cancel func()
	output *testserver.SyncBuffer
	err    error
}

func TestMain(m *testing.M) {
	// Chromium renders on the CPU: one test per core at once.
	testenv.DefaultParallel = runtime.GOMAXPROCS(0)
	code := testenv.Run(m)
	closeChromium()
	os.Exit(code)
}

// startChromium starts the package's headless Chromium, its profile in a
// fresh temporary directory.
func startChromium(path string) {
	c := &chromium
	c.path = path
	c.output = &testserver.SyncBuffer{}
	profile, err := os.MkdirTemp("", "torii-e2e-chromium-")
	if err != nil {
		c.err = err
		return
	}
	// A minimal list instead of chromedp.DefaultExecAllocatorOptions: only
	// these flags (chromedp adds --remote-debugging-pipe and about:blank).
	// Plain --headless is the new headless mode; the old one is gone from
	// Chromium since 132.
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		// What a test browser runs for nothing. A page navigated away
		// from stays alive in the back/forward cache, in a renderer
		// process of its own, and a spare renderer is started for the
		// next navigation: without the two a run starts half as many
		// renderers (182 instead of 342). Optimization hints and
		// models, translation and the media router are background work
		// no test uses.
		chromedp.Flag("disable-features", "BackForwardCache,SpareRendererForSitePerProcess,"+
			"OptimizationGuideModelDownloading,OptimizationHintsFetching,OptimizationTargetPrediction,OptimizationHints,"+
			"Translate,MediaRouter,DialMediaRouteProvider"),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("mute-audio", true),
		chromedp.UserDataDir(profile),
		chromedp.CombinedOutput(c.output),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	c.ctx = ctx
	c.cancel = func() {
		// Close the browser gracefully and wait for it to exit, then
		// remove its profile.
		_ = chromedp.Cancel(ctx)
		cancelCtx()
		cancelAlloc()
		os.RemoveAll(profile)
	}
	// The first action starts the browser (and its first, unused tab),
	// within browserTimeout. It must run on ctx itself: chromedp ties the
	// browser's life to the context of the first action.
	killer := time.AfterFunc(browserTimeout, cancelAlloc)
	defer killer.Stop()
	if err := chromedp.Do(ctx); err != nil {
		c.err = fmt.Errorf("start %s: %w\nchromium output:\n%s", path, err, c.output.String())
	}
}

// closeChromium closes the package's browser, if one was started.
func closeChromium() {
	if chromium.cancel != nil {
		chromium.cancel()
	}
}

// parallel remembers the tests newBrowser has made parallel: a test may
// open several browsers, and t.Parallel may be called once.
var parallel sync.Map

// newBrowser returns a chromedp context for a new tab in a fresh incognito
// browser context of the package's one headless Chromium: its own cookies,
// storage and cache, so tests (and two "browsers" of one test) share
// nothing. Everything done with the context must finish within
// browserTimeout. The tab and its browser context are closed when the test
// ends.
//
// newBrowser makes the test parallel (t.Parallel) the first time it is
// called in it: browser tests spend their time waiting for Chromium, so they
// run side by side, each with its own server. So a browser test must not
// use t.Setenv or global state.
//
// With no browser installed the test is skipped (and TestMain says so in
// one line), or fails when TORII_TEST_REQUIRE_BROWSER=1.
func newBrowser(t testing.TB) context.Context {
	t.Helper()
	if testing.Short() {
		testenv.Skip(t, "browser", "-short: the browser tests did NOT run")
	}
	path := findChromium(t)
	if path == "" {
		const msg = "BROWSER TESTS SKIPPED: no chromium found; install Debian's chromium or set TORII_CHROMIUM"
		if os.Getenv("TORII_TEST_REQUIRE_BROWSER") == "1" {
			t.Fatal(msg + " (TORII_TEST_REQUIRE_BROWSER=1 makes this a failure)")
		}
		testenv.Skip(t, "browser", msg)
	}
	if pt, ok := t.(interface{ Parallel() }); ok {
		if _, again := parallel.LoadOrStore(t, true); !again {
			pt.Parallel()
		}
	}
	chromium.once.Do(func() { startChromium(path) })
	if chromium.err != nil {
		t.Fatal(chromium.err)
	}
	if chromium.ctx.Err() != nil {
		t.Fatalf("chromium has exited:\n%s", chromium.output.String())
	}

	deadline, cancelDeadline := context.WithTimeout(chromium.ctx, browserTimeout)
	ctx, cancelCtx := chromedp.NewContext(deadline, chromedp.WithNewBrowserContext())
	t.Cleanup(func() {
		// Close the tab and dispose of its browser context, then free
		// the rest.
		if err := chromedp.Cancel(ctx); err != nil && deadline.Err() == nil {
			t.Logf("closing the tab: %v", err)
		}
		cancelCtx()
		cancelDeadline()
		parallel.Delete(t)
		if t.Failed() {
			t.Logf("chromium output (the whole package's):\n%s", chromium.output.String())
		}
	})
	// The first action opens the tab. A fixed desktop-sized viewport (the
	// headless window is about 780x440) keeps layouts and screenshots the
	// same on every machine.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(viewportWidth, viewportHeight)); err != nil {
		t.Fatalf("open a tab in %s: %v\nchromium output:\n%s", path, err, chromium.output.String())
	}
	return ctx
}

// do runs the actions in order, failing the test on the first error.
func do(t testing.TB, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// get runs one action and returns its value, failing the test on error.
func get[T any](t testing.TB, ctx context.Context, what string, action chromedp.Action[T]) T {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(sctx, action)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// open navigates to path on base and waits for the page (after any
// redirects) to load.
func open(t testing.TB, ctx context.Context, base, path string) {
	t.Helper()
	do(t, ctx, "open "+path, chromedp.Navigate(base+path))
}

// clickAndLoad clicks the element (a link or a submit button) and waits
// until the page it leads to, after any redirects, has loaded. It returns
// the HTTP status of that page.
func clickAndLoad[S chromedp.Selectable](t testing.TB, ctx context.Context, sel S) int64 {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(sctx, chromedp.Click(sel))
	if err != nil {
		t.Fatalf("click %v and wait for the next page: %v", sel, err)
	}
	if resp == nil {
		return 0
	}
	return resp.Status
}

// currentPath returns the path of the page the tab shows, with the query
// string if there is one.
func currentPath(t testing.TB, ctx context.Context) string {
	t.Helper()
	loc := get(t, ctx, "read location", chromedp.Location())
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatalf("parse location %q: %v", loc, err)
	}
	return u.RequestURI()
}

// wantPath fails the test unless the tab shows the path (with its query).
func wantPath(t testing.TB, ctx context.Context, want string) {
	t.Helper()
	if got := currentPath(t, ctx); got != want {
		t.Fatalf("browser is on %q, want %q", got, want)
	}
}

// screenshot saves a full-page PNG of the tab as $TORII_SCREENSHOT_DIR/name.png
// when that variable is set.
func screenshot(t testing.TB, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("TORII_SCREENSHOT_DIR")
	if dir == "" {
		return
	}
	png := get(t, ctx, "screenshot "+name, chromedp.FullScreenshot(100))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, sanitize(t.Name())+"-"+name+".png")
	if err := os.WriteFile(file, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", file)
}

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		}
		return '_'
	}, s)
}

// fill enters values into inputs, by id: it focuses each and inserts its
// value as one piece of text (Input.insertText, as an input method or a
// paste does: the page sees beforeinput and input events, the field's own
// rules such as maxlength apply). Typing it key by key (chromedp.SendKeys)
// costs two or three protocol round trips and renderer events per
// character, about 200 for a registration form: under load such a step
// took over 30 s. Tests about the keyboard itself (the composer's Enter,
// an input method composing) send keys themselves.
func fill(t testing.TB, ctx context.Context, fields ...string) {
	t.Helper()
	if len(fields)%2 != 0 {
		panic("fill: fields come in id, value pairs")
	}
	var actions []chromedp.Action[chromedp.Void]
	for i := 0; i < len(fields); i += 2 {
		text := fields[i+1]
		actions = append(actions, chromedp.Focus(chromedp.ID(fields[i])), chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, input.InsertText, input.InsertTextParams{Text: text})
			return err
		}))
	}
	do(t, ctx, fmt.Sprintf("fill %q", fields), actions...)
}
