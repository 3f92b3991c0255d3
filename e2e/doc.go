// Package e2e holds torii's browser tests: they start a real torii with
// package testserver and drive Chromium through it with chromedp.
//
// The tests need a Chromium (Debian's chromium package, or TORII_CHROMIUM
// pointing at a Chrome/Chromium binary). Without one they skip with a loud
// message, unless TORII_TEST_REQUIRE_BROWSER=1, when they fail instead (CI
// sets it). Set TORII_SCREENSHOT_DIR to keep screenshots of the pages.
//
// The package starts one Chromium (on the first newBrowser) and gives each
// newBrowser a fresh incognito browser context in it; newBrowser also makes
// its test parallel, one test per core at once.
package e2e
