package web_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/toriihq/torii/testserver"
)

// TestIntegrate_NginxKeepsToriisCookiesFromTheApp runs docs/integrate.md's
// nginx example with the real nginx and checks, on the app's side, the
// Cookie header it receives: torii's session (either name), its other
// cookies and Google's g_csrf_token are gone (the app could replay the
// session to torii for full access, security.md J.46); the app's own
// cookies, even one whose name merely contains torii_, remain.
func TestIntegrate_NginxKeepsToriisCookiesFromTheApp(t *testing.T) {
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	srv := testserver.Start(t, testserver.Options{Env: map[string]string{
		"TORII_BASE_URL": base, "TORII_TOKEN_AUDIENCES": dashAudience, "TORII_TRUST_PROXY_HEADERS": "true",
	}})
	cookies := make(chan []string, 10)
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cookies <- r.Header.Values("Cookie")
		fmt.Fprint(w, "dashboard")
	}))
	defer upstream.Close()
	startNginx(t, port, strings.TrimPrefix(srv.URL, "http://"), strings.TrimPrefix(upstream.URL, "http://"))

	proxy := &testserver.Server{URL: base, Env: srv.Env, Database: srv.Database, Logs: srv.Logs}
	browser := proxy.Client(t)
	session := sessionCookie(t, registerUser(t, browser, "ann@example.com", "Ann Example")).Value

	get := func(cookie string) string {
		t.Helper()
		r := browser.Do("GET", "/dash/", nil, "Cookie", cookie)
		wantStatus(t, "signed in, cookie "+cookie, r, http.StatusOK)
		return strings.Join(<-cookies, "; ")
	}
	// The jar's cookie (torii_session) is sent too: use a fresh client
	// with no jar so that the header is exactly the one given.
	browser.HTTP.Jar = nil
	sess := "torii_session=" + session
	for _, tc := range []struct{ cookie, want string }{
		{sess, ""},
		{sess + "; app=1", "app=1"},
		{"app=1; " + sess, "app=1"},
		{"app=1; " + sess + "; theme=dark", "app=1; theme=dark"},
		// Every cookie torii (and Google's button) may set, at once.
		{"__Host-torii_session=stolen; " + sess + "; torii_oauth=b; app=1; g_csrf_token=g; torii_google_pending=p; torii_lang=fr", "app=1"},
		{"mytorii_session=keep; " + sess + "; app_torii_x=2", "mytorii_session=keep; app_torii_x=2"},
	} {
		if got := get(tc.cookie); got != tc.want {
			t.Errorf("Cookie %q reached the app as %q, want %q", tc.cookie, got, tc.want)
		}
	}
	// More torii cookies than the maps remove (tossed in by a hostile
	// subdomain): the app gets no Cookie at all rather than the session.
	var tossed []string
	for i := range 8 {
		tossed = append(tossed, fmt.Sprintf("torii_x%d=1", i))
	}
	if got := get(strings.Join(append(tossed, sess, "app=1"), "; ")); got != "" {
		t.Errorf("with tossed cookies the app got %q, want no Cookie", got)
	}
	// No space after the separator.
	if got := get("app=1;" + sess); got != "app=1" {
		t.Errorf("Cookie %q reached the app as %q, want app=1", "app=1;"+sess, got)
	}
}
