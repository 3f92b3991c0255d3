package web_test

import (
	"bytes"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/toriihq/torii/testserver"
)

func login(c *testserver.Client, email, password string) *testserver.Response {
	return c.Do("POST", "/api/v1/auth/login", map[string]string{"email": email, "password": password})
}

func TestLogin_SignsInWithEmailInAnyCase(t *testing.T) {
	srv := start(t, nil)
	registerUser(t, srv.Client(t), "ann@example.com", "Ann")
	c := srv.Client(t)
	r := login(c, "  ANN@example.com", goodPassword)
	if r.Status != http.StatusOK || !bytes.Contains(r.Body, []byte(`"email":"ann@example.com"`)) {
		t.Fatalf("login: %d %s", r.Status, r.Body)
	}
	if me := c.Do("GET", "/api/v1/me", nil); me.Status != http.StatusOK {
		t.Fatalf("/me: %d", me.Status)
	}
}

func TestLogin_UnknownEmailAndWrongPasswordAnswerAlike(t *testing.T) {
	srv := start(t, nil)
	registerUser(t, srv.Client(t), "ann@example.com", "Ann")
	wrong := login(srv.Client(t), "ann@example.com", "not the password at all")
	unknown := login(srv.Client(t), "nobody@example.com", "not the password at all")
	wantError(t, wrong, http.StatusUnauthorized, "INVALID_CREDENTIALS")
	wantError(t, unknown, http.StatusUnauthorized, "INVALID_CREDENTIALS")
	if !bytes.Equal(wrong.Body, unknown.Body) {
		t.Fatalf("bodies differ:\n%s\n%s", wrong.Body, unknown.Body)
	}
}

func TestLogin_MissingFieldsAnswer422(t *testing.T) {
	srv := start(t, nil)
	wantError(t, srv.Client(t).Do("POST", "/api/v1/auth/login", `{"email":"a@example.com"}`), http.StatusUnprocessableEntity, "VALIDATION_ERROR")
	wantError(t, srv.Client(t).Do("POST", "/api/v1/auth/login", `{"password":"x"}`), http.StatusUnprocessableEntity, "VALIDATION_ERROR")
}

func TestLogin_AccountWithoutPasswordGetsPasswordNotSet(t *testing.T) {
	srv := start(t, nil)
	if out, code := srv.CLI(t, "", "user", "create", "--email", "g@example.com", "--name", "Google Only"); code != 0 {
		t.Fatalf("user create: %d %s", code, out)
	}
	r := login(srv.Client(t), "g@example.com", goodPassword)
	wantError(t, r, http.StatusUnauthorized, "PASSWORD_NOT_SET")
	if msg := r.JSON()["error"].(map[string]any)["message"]; msg != "This account signs in with Google." {
		t.Fatalf("message = %q", msg)
	}
}

func TestLogin_InactiveUserRefusedOnlyWithTheRightPassword(t *testing.T) {
	clock := testserver.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	srv := testserver.Start(t, testserver.Options{AppOptions: appOpts(clock)})
	live := srv.Client(t)
	registerUser(t, live, "ann@example.com", "Ann")
	if out, code := srv.CLI(t, "", "user", "set-status", "ann@example.com", "inactive"); code != 0 {
		t.Fatalf("set-status: %d %s", code, out)
	}
	// A change made by another process reaches the server's cache within
	// its one-second TTL.
	clock.Advance(2 * time.Second)
	wantError(t, login(srv.Client(t), "ann@example.com", goodPassword), http.StatusForbidden, "USER_INACTIVE")
	wantError(t, login(srv.Client(t), "ann@example.com", "a wrong password!"), http.StatusUnauthorized, "INVALID_CREDENTIALS")
	wantError(t, live.Do("GET", "/api/v1/me", nil), http.StatusUnauthorized, "UNAUTHORIZED")

	srv.CLI(t, "", "user", "set-status", "ann@example.com", "active")
	clock.Advance(2 * time.Second)
	if r := login(srv.Client(t), "ann@example.com", goodPassword); r.Status != http.StatusOK {
		t.Fatalf("login after reactivation: %d %s", r.Status, r.Body)
	}
	// Reactivation does not revive the sessions deactivation revoked.
	wantError(t, live.Do("GET", "/api/v1/me", nil), http.StatusUnauthorized, "UNAUTHORIZED")
}

func TestLogin_RateLimitedPerAccount(t *testing.T) {
	srv := start(t, nil)
	registerUser(t, srv.Client(t), "ann@example.com", "Ann")
	for i := range 10 {
		wantError(t, login(srv.Client(t), "ann@example.com", "wrong password "+strconv.Itoa(i)), http.StatusUnauthorized, "INVALID_CREDENTIALS")
	}
	r := login(srv.Client(t), "ann@example.com", goodPassword)
	wantError(t, r, http.StatusTooManyRequests, "RATE_LIMITED")
	if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || s <= 0 {
		t.Fatalf("Retry-After = %q", r.Header.Get("Retry-After"))
	}
	// Another account from the same address is not locked out.
	registerUser(t, srv.Client(t), "bob@example.com", "Bob")
	if r := login(srv.Client(t), "bob@example.com", goodPassword); r.Status != http.StatusOK {
		t.Fatalf("other account: %d %s", r.Status, r.Body)
	}
}

func TestLogin_RateLimitedPerIP(t *testing.T) {
	srv := start(t, map[string]string{"TORII_RATE_LOGIN_IP": "3/15m"})
	for i := range 3 {
		wantError(t, login(srv.Client(t), "user"+strconv.Itoa(i)+"@example.com", "wrong password!!"), http.StatusUnauthorized, "INVALID_CREDENTIALS")
	}
	wantError(t, login(srv.Client(t), "fresh@example.com", "wrong password!!"), http.StatusTooManyRequests, "RATE_LIMITED")
}

func TestLogin_RateLimitRecoversAfterTheWindow(t *testing.T) {
	clock := testserver.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	srv := testserver.Start(t, testserver.Options{AppOptions: appOpts(clock)})
	registerUser(t, srv.Client(t), "ann@example.com", "Ann")
	for range 10 {
		login(srv.Client(t), "ann@example.com", "wrong password!!")
	}
	wantError(t, login(srv.Client(t), "ann@example.com", goodPassword), http.StatusTooManyRequests, "RATE_LIMITED")
	clock.Advance(15 * time.Minute)
	if r := login(srv.Client(t), "ann@example.com", goodPassword); r.Status != http.StatusOK {
		t.Fatalf("after the window: %d %s", r.Status, r.Body)
	}
}
