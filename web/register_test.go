package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/toriihq/torii/testserver"
)

// goodPassword satisfies the password rules (≥ 12 characters).
const goodPassword = "correct horse battery staple"

func start(t *testing.T, env map[string]string) *testserver.Server {
	t.Helper()
	return testserver.Start(t, testserver.Options{Env: env})
}

func registerUser(t *testing.T, c *testserver.Client, email, name string) *testserver.Response {
	t.Helper()
	r := c.Do("POST", "/api/v1/auth/register", map[string]string{"email": email, "password": goodPassword, "name": name})
	if r.Status != http.StatusCreated {
		t.Fatalf("register %s: %d %s", email, r.Status, r.Body)
	}
	return r
}

func wantError(t *testing.T, r *testserver.Response, status int, code string) {
	t.Helper()
	if r.Status != status || r.ErrorCode() != code {
		t.Fatalf("got %d %s, want %d %s", r.Status, r.Body, status, code)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("error Content-Type = %q, want JSON", ct)
	}
}

func TestRegister_CreatesUserAndSignsIn(t *testing.T) {
	srv := start(t, nil)
	c := srv.Client(t)
	r := c.Do("POST", "/api/v1/auth/register", map[string]string{"email": "  Ann@Example.COM ", "password": goodPassword, "name": " Ann  Lee "})
	if r.Status != http.StatusCreated {
		t.Fatalf("register: %d %s", r.Status, r.Body)
	}
	var body struct {
		User struct {
			ID           int64  `json:"id"`
			Email        string `json:"email"`
			Name         string `json:"name"`
			Status       string `json:"status"`
			AuthProvider string `json:"authProvider"`
			CreatedAt    string `json:"createdAt"`
		} `json:"user"`
	}
	r.Decode(t, &body)
	u := body.User
	if u.ID == 0 || u.Email != "ann@example.com" || u.Name != "Ann Lee" || u.Status != "active" || u.AuthProvider != "local" || !strings.HasSuffix(u.CreatedAt, "Z") {
		t.Fatalf("user = %+v", u)
	}
	me := c.Do("GET", "/api/v1/me", nil)
	if me.Status != http.StatusOK || !strings.Contains(string(me.Body), `"email":"ann@example.com"`) {
		t.Fatalf("/me after register: %d %s", me.Status, me.Body)
	}
}

func TestRegister_EmailTakenWhateverItsCase(t *testing.T) {
	srv := start(t, nil)
	registerUser(t, srv.Client(t), "bob@example.com", "Bob")
	r := srv.Client(t).Do("POST", "/api/v1/auth/register", map[string]string{"email": "BOB@example.com", "password": goodPassword, "name": "Bob 2"})
	wantError(t, r, http.StatusConflict, "EMAIL_ALREADY_EXISTS")
	if r.Header.Get("Set-Cookie") != "" {
		t.Fatal("a failed registration set a cookie")
	}
}

func TestRegister_InvalidFieldsAnswer422WithFields(t *testing.T) {
	srv := start(t, nil)
	cases := []struct {
		name  string
		body  string
		field string
	}{
		{"missing email", `{"password":"` + goodPassword + `","name":"A"}`, "email"},
		{"malformed email", `{"email":"not-an-email","password":"` + goodPassword + `","name":"A"}`, "email"},
		{"display-name email", `{"email":"A <a@example.com>","password":"` + goodPassword + `","name":"A"}`, "email"},
		{"missing name", `{"email":"a@example.com","password":"` + goodPassword + `"}`, "name"},
		{"blank name", `{"email":"a@example.com","password":"` + goodPassword + `","name":"   "}`, "name"},
		{"11-character password", `{"email":"a@example.com","password":"abcdefghijk","name":"A"}`, "password"},
		{"password over 1024 bytes", `{"email":"a@example.com","password":"` + strings.Repeat("x", 1025) + `","name":"A"}`, "password"},
		{"name of the wrong type", `{"email":"a@example.com","password":"` + goodPassword + `","name":5}`, "name"},
		{"email of the wrong type", `{"email":["a@example.com"],"password":"` + goodPassword + `","name":"A"}`, "email"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := srv.Client(t).Do("POST", "/api/v1/auth/register", tc.body)
			wantError(t, r, http.StatusUnprocessableEntity, "VALIDATION_ERROR")
			fields, _ := r.JSON()["error"].(map[string]any)["fields"].(map[string]any)
			if fields[tc.field] == nil {
				t.Fatalf("fields = %v, want %q", fields, tc.field)
			}
		})
	}
	// Nothing was half-written: the address is still free.
	registerUser(t, srv.Client(t), "a@example.com", "A")
}

func TestRegister_LongUnicodePasswordsAcceptedUntruncated(t *testing.T) {
	srv := start(t, nil)
	long := "  パスワード with spaces and ünïcödé, well past sixty-four characters long!!  "
	c := srv.Client(t)
	r := c.Do("POST", "/api/v1/auth/register", map[string]string{"email": "u@example.com", "password": long, "name": "U"})
	if r.Status != http.StatusCreated {
		t.Fatalf("register: %d %s", r.Status, r.Body)
	}
	if r := srv.Client(t).Do("POST", "/api/v1/auth/login", map[string]string{"email": "u@example.com", "password": long}); r.Status != http.StatusOK {
		t.Fatalf("login with the exact password: %d %s", r.Status, r.Body)
	}
	for _, variant := range []string{strings.TrimSpace(long), long[:len(long)-1]} {
		r := srv.Client(t).Do("POST", "/api/v1/auth/login", map[string]string{"email": "u@example.com", "password": variant})
		wantError(t, r, http.StatusUnauthorized, "INVALID_CREDENTIALS")
	}
}

func TestAPI_MalformedBodiesAnswer400AndWriteNothing(t *testing.T) {
	srv := start(t, nil)
	valid := `{"email":"m@example.com","password":"` + goodPassword + `","name":"M"}`
	cases := []struct {
		name    string
		body    string
		headers []string
	}{
		{"not JSON", `{"email":`, nil},
		{"wrong content type", valid, []string{"Content-Type", "text/plain"}},
		{"form content type", "email=m@example.com", []string{"Content-Type", "application/x-www-form-urlencoded"}},
		{"two objects", valid + valid, nil},
		{"an array", `[` + valid + `]`, nil},
		{"too large", `{"email":"m@example.com","name":"` + strings.Repeat("n", 70<<10) + `","password":"` + goodPassword + `"}`, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := srv.Client(t).Do("POST", "/api/v1/auth/register", tc.body, tc.headers...)
			wantError(t, r, http.StatusBadRequest, "BAD_REQUEST")
		})
	}
	registerUser(t, srv.Client(t), "m@example.com", "M")
}

func TestRegister_ClosedSignupIsNotAllowed(t *testing.T) {
	srv := start(t, map[string]string{"TORII_SIGNUP": "closed"})
	r := srv.Client(t).Do("POST", "/api/v1/auth/register", map[string]string{"email": "c@example.com", "password": goodPassword, "name": "C"})
	wantError(t, r, http.StatusForbidden, "NOT_ALLOWED")
}

func TestRegister_AllowlistFromEnvironment(t *testing.T) {
	srv := start(t, map[string]string{"TORII_ALLOWED_EMAILS": "@example.com, Guest@Other.org"})
	registerUser(t, srv.Client(t), "staff@EXAMPLE.com", "Staff")
	registerUser(t, srv.Client(t), "guest@other.org", "Guest")
	for _, email := range []string{"someone@other.org", "x@evil.com", "x@sub.example.com", "x@example.com.evil.com"} {
		r := srv.Client(t).Do("POST", "/api/v1/auth/register", map[string]string{"email": email, "password": goodPassword, "name": "X"})
		wantError(t, r, http.StatusForbidden, "NOT_ALLOWED")
	}
}

func TestPasswordLoginOff_PasswordEndpointsRefused(t *testing.T) {
	srv := start(t, map[string]string{"TORII_PASSWORD_LOGIN": "false"})
	c := srv.Client(t)
	wantError(t, c.Do("POST", "/api/v1/auth/register", map[string]string{"email": "p@example.com", "password": goodPassword, "name": "P"}), http.StatusForbidden, "NOT_ALLOWED")
	wantError(t, c.Do("POST", "/api/v1/auth/login", map[string]string{"email": "p@example.com", "password": goodPassword}), http.StatusForbidden, "NOT_ALLOWED")
	if !strings.Contains(srv.Logs.String(), "no one can sign in") {
		t.Error("no start-up warning that no one can sign in")
	}
	cfg := c.Do("GET", "/api/v1/auth/config", nil).JSON()
	if cfg["passwordLogin"] != false {
		t.Fatalf("config = %v", cfg)
	}
}

func TestRegister_RateLimitedPerIP(t *testing.T) {
	srv := start(t, map[string]string{"TORII_RATE_REGISTER_IP": "2/1h"})
	registerUser(t, srv.Client(t), "r1@example.com", "R")
	registerUser(t, srv.Client(t), "r2@example.com", "R")
	r := srv.Client(t).Do("POST", "/api/v1/auth/register", map[string]string{"email": "r3@example.com", "password": goodPassword, "name": "R"})
	wantError(t, r, http.StatusTooManyRequests, "RATE_LIMITED")
	if r.Header.Get("Retry-After") == "" {
		t.Fatal("no Retry-After")
	}
}

func TestAdminEmails_GrantAdminAtSignIn(t *testing.T) {
	srv := start(t, map[string]string{"TORII_ADMIN_EMAILS": "boss@example.com"})
	// A verified address (created by the operator): a registration proves
	// none (TestAdminBootstrap_UnverifiedAddressIsNotPromoted).
	c := verifiedClient(t, srv, "Boss@example.com", "Boss")
	if roles := c.Do("GET", "/api/v1/me", nil).JSON()["roles"]; len(roles.([]any)) != 1 || roles.([]any)[0] != "admin" {
		t.Fatalf("roles = %v", roles)
	}
	other := srv.Client(t)
	registerUser(t, other, "worker@example.com", "Worker")
	if roles := other.Do("GET", "/api/v1/me", nil).JSON()["roles"]; len(roles.([]any)) != 0 {
		t.Fatalf("roles of a non-admin = %v", roles)
	}
}
