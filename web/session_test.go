package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/toriihq/torii/app"
	"github.com/toriihq/torii/testserver"
)

func appOpts(clock *testserver.Clock) app.Options {
	return app.Options{Now: clock.Now, Hasher: testserver.FastHasher()}
}

// sessionCookie returns the session cookie a response set.
func sessionCookie(t *testing.T, r *testserver.Response) *http.Cookie {
	t.Helper()
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if strings.HasSuffix(c.Name, "torii_session") {
			return c
		}
	}
	t.Fatalf("no session cookie in %v", r.Header)
	return nil
}

// withCookie sends a request carrying only the given session cookie.
func withCookie(srv *testserver.Server, t *testing.T, c *http.Cookie, method, path string) *testserver.Response {
	return srv.Client(t).Do(method, path, nil, "Cookie", c.Name+"="+c.Value)
}

func TestSessionCookie_AttributesOverHTTP(t *testing.T) {
	srv := start(t, nil)
	c := sessionCookie(t, registerUser(t, srv.Client(t), "ann@example.com", "Ann"))
	if c.Name != "torii_session" || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure || c.Path != "/" {
		t.Fatalf("cookie = %+v", c)
	}
	if len(c.Value) < 43 {
		t.Fatalf("token %q is shorter than 256 bits", c.Value)
	}
}

func TestSessionCookie_HostPrefixAndSecureOverHTTPS(t *testing.T) {
	srv := start(t, map[string]string{"TORII_BASE_URL": "https://torii.example.com"})
	c := sessionCookie(t, registerUser(t, srv.Client(t), "ann@example.com", "Ann"))
	if c.Name != "__Host-torii_session" || !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "" {
		t.Fatalf("cookie = %+v", c)
	}
}

func TestSession_NewAtEverySignInAndThePreviousCookieDies(t *testing.T) {
	srv := start(t, nil)
	c := srv.Client(t)
	first := sessionCookie(t, registerUser(t, c, "ann@example.com", "Ann"))
	second := sessionCookie(t, login(c, "ann@example.com", goodPassword))
	if first.Value == second.Value {
		t.Fatal("sign-in reused the session token")
	}
	wantError(t, withCookie(srv, t, first, "GET", "/api/v1/me"), http.StatusUnauthorized, "UNAUTHORIZED")
	if r := withCookie(srv, t, second, "GET", "/api/v1/me"); r.Status != http.StatusOK {
		t.Fatalf("new session: %d", r.Status)
	}
}

func TestLogout_RevokesTheSessionServerSide(t *testing.T) {
	srv := start(t, nil)
	c := srv.Client(t)
	cookie := sessionCookie(t, registerUser(t, c, "ann@example.com", "Ann"))
	if r := c.Do("POST", "/api/v1/auth/logout", nil); r.Status != http.StatusNoContent {
		t.Fatalf("logout: %d %s", r.Status, r.Body)
	}
	wantError(t, withCookie(srv, t, cookie, "GET", "/api/v1/me"), http.StatusUnauthorized, "UNAUTHORIZED")
	wantError(t, c.Do("POST", "/api/v1/auth/logout", nil), http.StatusUnauthorized, "UNAUTHORIZED")
}

func TestMe_WithoutSessionIsUnauthorized(t *testing.T) {
	srv := start(t, nil)
	wantError(t, srv.Client(t).Do("GET", "/api/v1/me", nil), http.StatusUnauthorized, "UNAUTHORIZED")
	wantError(t, srv.Client(t).Do("GET", "/api/v1/me", nil, "Cookie", "torii_session=forged-token"), http.StatusUnauthorized, "UNAUTHORIZED")
}

func TestSession_IdleTimeoutEnforcedByServer(t *testing.T) {
	clock := testserver.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	srv := testserver.Start(t, testserver.Options{
		Env:        map[string]string{"TORII_SESSION_IDLE": "1h", "TORII_SESSION_MAX": "24h"},
		AppOptions: appOpts(clock),
	})
	c := srv.Client(t)
	registerUser(t, c, "ann@example.com", "Ann")
	clock.Advance(59 * time.Minute)
	if r := c.Do("GET", "/api/v1/me", nil); r.Status != http.StatusOK {
		t.Fatalf("before idle timeout: %d", r.Status)
	}
	clock.Advance(59 * time.Minute) // active a moment ago: still live
	if r := c.Do("GET", "/api/v1/me", nil); r.Status != http.StatusOK {
		t.Fatalf("activity did not extend the session: %d", r.Status)
	}
	clock.Advance(61 * time.Minute)
	wantError(t, c.Do("GET", "/api/v1/me", nil), http.StatusUnauthorized, "UNAUTHORIZED")
}

func TestSession_AbsoluteTimeoutEnforcedByServer(t *testing.T) {
	clock := testserver.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	srv := testserver.Start(t, testserver.Options{
		Env:        map[string]string{"TORII_SESSION_IDLE": "1h", "TORII_SESSION_MAX": "2h"},
		AppOptions: appOpts(clock),
	})
	c := srv.Client(t)
	registerUser(t, c, "ann@example.com", "Ann")
	for range 3 {
		clock.Advance(50 * time.Minute)
		if r := c.Do("GET", "/api/v1/me", nil); r.Status != http.StatusOK && clock.Now().Before(time.Date(2026, 3, 1, 11, 0, 0, 0, time.UTC)) {
			t.Fatalf("at %s: %d", clock.Now(), r.Status)
		}
	}
	// 150 minutes after sign-in, always active, past the 2h maximum.
	wantError(t, c.Do("GET", "/api/v1/me", nil), http.StatusUnauthorized, "UNAUTHORIZED")
}

func TestSession_LastActivityWrittenAtMostOncePerMinute(t *testing.T) {
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	clock := testserver.NewClock(start)
	srv := testserver.Start(t, testserver.Options{AppOptions: appOpts(clock)})
	c := srv.Client(t)
	registerUser(t, c, "ann@example.com", "Ann")
	lastActivity := func() string {
		var body struct {
			Sessions []struct {
				LastActivity string `json:"lastActivity"`
			} `json:"sessions"`
		}
		c.Do("GET", "/api/v1/me/sessions", nil).Decode(t, &body)
		return body.Sessions[0].LastActivity
	}
	clock.Advance(30 * time.Second)
	if got := lastActivity(); got != "2026-03-01T09:00:00Z" {
		t.Fatalf("last activity after 30s = %s, want unchanged", got)
	}
	clock.Advance(31 * time.Second)
	c.Do("GET", "/api/v1/me", nil)
	// Read past the cache: the value comes from the database.
	clock.Advance(2 * time.Second)
	if got := lastActivity(); got != "2026-03-01T09:01:01Z" {
		t.Fatalf("last activity after 61s = %s, want 09:01:01", got)
	}
}

func TestSessions_ListMarksCurrentAndRevokesOne(t *testing.T) {
	srv := start(t, nil)
	a, b := srv.Client(t), srv.Client(t)
	registerUser(t, a, "ann@example.com", "Ann")
	login(b, "ann@example.com", goodPassword)

	type sess struct {
		ID      string `json:"id"`
		Current bool   `json:"current"`
	}
	var list struct {
		Sessions []sess `json:"sessions"`
	}
	a.Do("GET", "/api/v1/me/sessions", nil, "User-Agent", "Browser A").Decode(t, &list)
	if len(list.Sessions) != 2 {
		t.Fatalf("sessions = %+v", list.Sessions)
	}
	var other string
	for _, s := range list.Sessions {
		if !s.Current {
			other = s.ID
		}
	}
	if other == "" || list.Sessions[0].Current == list.Sessions[1].Current {
		t.Fatalf("exactly one session must be current: %+v", list.Sessions)
	}
	if r := a.Do("DELETE", "/api/v1/me/sessions/"+other, nil); r.Status != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", r.Status, r.Body)
	}
	wantError(t, b.Do("GET", "/api/v1/me", nil), http.StatusUnauthorized, "UNAUTHORIZED")
	if r := a.Do("GET", "/api/v1/me", nil); r.Status != http.StatusOK {
		t.Fatalf("current session after revoking the other: %d", r.Status)
	}
}

func TestSessions_RevokeAllButCurrent(t *testing.T) {
	srv := start(t, nil)
	a, b, c := srv.Client(t), srv.Client(t), srv.Client(t)
	registerUser(t, a, "ann@example.com", "Ann")
	login(b, "ann@example.com", goodPassword)
	login(c, "ann@example.com", goodPassword)
	if r := a.Do("DELETE", "/api/v1/me/sessions", nil); r.Status != http.StatusNoContent {
		t.Fatalf("revoke others: %d %s", r.Status, r.Body)
	}
	wantError(t, b.Do("GET", "/api/v1/me", nil), http.StatusUnauthorized, "UNAUTHORIZED")
	wantError(t, c.Do("GET", "/api/v1/me", nil), http.StatusUnauthorized, "UNAUTHORIZED")
	if r := a.Do("GET", "/api/v1/me", nil); r.Status != http.StatusOK {
		t.Fatalf("current: %d", r.Status)
	}
}

func TestSessions_AnotherUsersSessionIsNotFound(t *testing.T) {
	srv := start(t, nil)
	ann, bob := srv.Client(t), srv.Client(t)
	registerUser(t, ann, "ann@example.com", "Ann")
	registerUser(t, bob, "bob@example.com", "Bob")
	var list struct {
		Sessions []struct {
			ID string `json:"id"`
		} `json:"sessions"`
	}
	bob.Do("GET", "/api/v1/me/sessions", nil).Decode(t, &list)
	wantError(t, ann.Do("DELETE", "/api/v1/me/sessions/"+list.Sessions[0].ID, nil), http.StatusNotFound, "NOT_FOUND")
	wantError(t, ann.Do("DELETE", "/api/v1/me/sessions/no-such-session", nil), http.StatusNotFound, "NOT_FOUND")
	if r := bob.Do("GET", "/api/v1/me", nil); r.Status != http.StatusOK {
		t.Fatalf("bob's session was touched: %d", r.Status)
	}
}
