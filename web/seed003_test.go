package web_test

import (
	"database/sql"
	"net/http"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/toriihq/torii/devidp"
	"github.com/toriihq/torii/testserver"
)

// TestSeed003_ErrorTable reproduces every row of seed 003's error table
// (with api.md's statuses: validation is 422, a malformed body 400) on the
// password path and the Google path, with TORII_SIGNUP=explicit as seed
// 003 describes.
func TestSeed003_ErrorTable(t *testing.T) {
	g := startGoogle(t, map[string]string{"TORII_SIGNUP": "explicit"})
	srv := g.srv
	// Fixtures: a password account, an inactive password account, an
	// inactive Google account.
	registerUser(t, srv.Client(t), "ann@example.com", "Ann")
	registerUser(t, srv.Client(t), "ina@example.com", "Ina")
	inactiveGoogle := devidp.User{Email: "gina@example.com", Name: "Gina", EmailVerified: true}
	wantStatus(t, "google register", srv.Client(t).Do("POST", "/api/v1/auth/google/register",
		map[string]string{"credential": g.idp.Token(inactiveGoogle), "name": "Gina"}), http.StatusCreated)
	for _, email := range []string{"ina@example.com", "gina@example.com"} {
		if out, code := srv.CLI(t, "", "user", "set-status", email, "inactive"); code != 0 {
			t.Fatalf("set-status: %s", out)
		}
	}
	googleRegister := func(body any) *testserver.Response {
		return srv.Client(t).Do("POST", "/api/v1/auth/google/register", body)
	}
	newcomer := devidp.User{Email: "new@example.com", Name: "New", EmailVerified: true}

	rows := []struct {
		row, path string
		status    int
		code      string
		do        func() *testserver.Response
	}{
		{"400 malformed body", "password", 400, "BAD_REQUEST", func() *testserver.Response {
			return srv.Client(t).Do("POST", "/api/v1/auth/register", `{"email":`)
		}},
		{"400 malformed body", "google", 400, "BAD_REQUEST", func() *testserver.Response { return googleRegister(`{"credential":`) }},
		{"422 VALIDATION_ERROR", "password", 422, "VALIDATION_ERROR", func() *testserver.Response {
			return srv.Client(t).Do("POST", "/api/v1/auth/register", map[string]string{"email": "x@example.com", "password": goodPassword, "name": ""})
		}},
		{"422 VALIDATION_ERROR", "google", 422, "VALIDATION_ERROR", func() *testserver.Response {
			return googleRegister(map[string]string{"credential": g.idp.Token(newcomer), "name": ""})
		}},
		// A wrong password is the password path's 401 (INVALID_CREDENTIALS,
		// api.md); an invalid or expired Google token is UNAUTHORIZED.
		{"401 UNAUTHORIZED", "password", 401, "INVALID_CREDENTIALS", func() *testserver.Response {
			return login(srv.Client(t), "ann@example.com", "not the password")
		}},
		{"401 UNAUTHORIZED", "google sign-in", 401, "UNAUTHORIZED", func() *testserver.Response {
			return g.signIn(srv.Client(t), g.idp.Sign(g.claims(newcomer), tamperSignature))
		}},
		{"401 UNAUTHORIZED", "google register", 401, "UNAUTHORIZED", func() *testserver.Response {
			c := g.claims(newcomer)
			c["iat"], c["exp"] = googleT0.Add(-2*time.Hour).Unix(), googleT0.Add(-time.Hour).Unix()
			return googleRegister(map[string]string{"credential": g.idp.Sign(c), "name": "New"})
		}},
		// The password path never says whether an email exists: an unknown
		// one gets the same 401 as a wrong password (security.md E.27).
		{"404 USER_NOT_FOUND", "password", 401, "INVALID_CREDENTIALS", func() *testserver.Response {
			return login(srv.Client(t), "nobody@example.com", goodPassword)
		}},
		{"404 USER_NOT_FOUND", "google", 404, "USER_NOT_FOUND", func() *testserver.Response {
			return g.signIn(srv.Client(t), g.idp.Token(newcomer))
		}},
		{"403 USER_INACTIVE", "password", 403, "USER_INACTIVE", func() *testserver.Response {
			return login(srv.Client(t), "ina@example.com", goodPassword)
		}},
		{"403 USER_INACTIVE", "google", 403, "USER_INACTIVE", func() *testserver.Response {
			return g.signIn(srv.Client(t), g.idp.Token(inactiveGoogle))
		}},
		{"409 EMAIL_ALREADY_EXISTS", "password", 409, "EMAIL_ALREADY_EXISTS", func() *testserver.Response {
			return tryRegister(srv.Client(t), "ANN@example.com")
		}},
		{"409 EMAIL_ALREADY_EXISTS", "google", 409, "EMAIL_ALREADY_EXISTS", func() *testserver.Response {
			return googleRegister(map[string]string{"credential": g.idp.Token(inactiveGoogle), "name": "Gina again"})
		}},
	}
	for _, r := range rows {
		t.Run(r.row+"/"+r.path, func(t *testing.T) {
			g.wantRejected(t, r.do(), r.status, r.code)
		})
	}
	g.wantCounts(t, 3, 1)

	// 500 last: the database loses a table under the running server.
	breakUsersTable(t, srv)
	for _, r := range []struct {
		path string
		do   func() *testserver.Response
	}{
		{"password", func() *testserver.Response { return tryRegister(srv.Client(t), "late@example.com") }},
		{"google", func() *testserver.Response { return g.signIn(srv.Client(t), g.idp.Token(newcomer)) }},
	} {
		t.Run("500 INTERNAL_SERVER_ERROR/"+r.path, func(t *testing.T) {
			resp := r.do()
			g.wantRejected(t, resp, http.StatusInternalServerError, "INTERNAL_SERVER_ERROR")
			if body := string(resp.Body); strings.Contains(body, "users") || strings.Contains(body, "sql") {
				t.Errorf("a 500 leaks internals: %s", body)
			}
			if id := resp.Header.Get("X-Request-Id"); id == "" || !strings.Contains(srv.Logs.String(), id) {
				t.Errorf("the failure is not logged with its request id %q", id)
			}
		})
	}
}

// breakUsersTable renames the users table behind the server's back, so
// every query on it fails as a broken database would.
func breakUsersTable(t *testing.T, srv *testserver.Server) {
	t.Helper()
	db, err := sql.Open("sqlite", srv.Database)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`PRAGMA busy_timeout = 5000; ALTER TABLE users RENAME TO users_gone`); err != nil {
		t.Fatal(err)
	}
}
