package e2e

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/toriihq/torii/testserver"
)

const (
	// browserTimeout bounds everything one browser does in a test,
	// start-up included: at the deadline the browser is killed.
	browserTimeout = 60 * time.Second
	// stepTimeout bounds one step (a wait, a click and its page load), so a
	// missing element fails the test quickly and says which step it was.
	stepTimeout = 15 * time.Second

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

// newBrowser starts a fresh headless Chromium (its own profile in a temp
// directory, so cookies never leak between browsers) and returns a chromedp
// context for its first tab. Everything done with the context must finish
// within browserTimeout. The browser is closed when the test ends.
//
// With no browser installed the test is skipped, or fails when
// TORII_TEST_REQUIRE_BROWSER=1.
func newBrowser(t testing.TB) context.Context {
	t.Helper()
	path := findChromium(t)
	if path == "" {
		const msg = "BROWSER TESTS SKIPPED: no chromium found; install Debian's chromium or set TORII_CHROMIUM"
		if os.Getenv("TORII_TEST_REQUIRE_BROWSER") == "1" {
			t.Fatal(msg + " (TORII_TEST_REQUIRE_BROWSER=1 makes this a failure)")
		}
		t.Skip("\n\n*** " + msg + " ***\n")
	}

	// Registered before the browser's cleanup, so it runs after it: the
	// profile is removed once the browser has exited.
	profile := t.TempDir()
	output := &testserver.SyncBuffer{}

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
		chromedp.UserDataDir(profile),
		chromedp.CombinedOutput(output),
	}

	deadline, cancelDeadline := context.WithTimeout(context.Background(), browserTimeout)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(deadline, opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		// Close the browser gracefully and wait for it to exit, then free
		// the rest.
		if err := chromedp.Cancel(ctx); err != nil && deadline.Err() == nil {
			t.Logf("closing chromium: %v", err)
		}
		cancelCtx()
		cancelAlloc()
		cancelDeadline()
		if t.Failed() {
			t.Logf("chromium output:\n%s", output.String())
		}
	})
	// The first action starts the browser and opens the tab. A fixed
	// desktop-sized viewport (the headless window is about 780x440) keeps
	// layouts and screenshots the same on every machine.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(viewportWidth, viewportHeight)); err != nil {
		t.Fatalf("start %s: %v\nchromium output:\n%s", path, err, output.String())
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

// fill types values into inputs, by id.
func fill(t testing.TB, ctx context.Context, fields ...string) {
	t.Helper()
	if len(fields)%2 != 0 {
		panic("fill: fields come in id, value pairs")
	}
	var actions []chromedp.Action[chromedp.Void]
	for i := 0; i < len(fields); i += 2 {
		actions = append(actions, chromedp.SendKeys(chromedp.ID(fields[i]), fields[i+1]))
	}
	do(t, ctx, fmt.Sprintf("fill %q", fields), actions...)
}
