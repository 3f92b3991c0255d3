package web_test

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/service"
	"github.com/toriihq/torii/testserver"
)

// eachBackend runs a test on SQLite and on PostgreSQL (skipped loudly
// without TORII_TEST_POSTGRES_URL): env is the server's environment with
// TORII_DATABASE set for the backend.
func eachBackend(t *testing.T, env map[string]string, run func(t *testing.T, srv *testserver.Server)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		run(t, testserver.Start(t, testserver.Options{Env: env}))
	})
	t.Run("postgres", func(t *testing.T) {
		db := testserver.PostgresDatabase(t)
		e := map[string]string{"TORII_DATABASE": db}
		for k, v := range env {
			e[k] = v
		}
		run(t, testserver.Start(t, testserver.Options{Env: e}))
	})
}

// auditRows reads the audit log of event, newest first.
func auditRows(t *testing.T, srv *testserver.Server, event string) []torii.AuditEvent {
	t.Helper()
	evs, err := openStore(t, srv).ListAudit(t.Context(), torii.AuditFilter{Event: event, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func TestStoredStrings_HugeUserAgentAndEmailAreCutToTheDocumentedLengths(t *testing.T) {
	eachBackend(t, nil, func(t *testing.T, srv *testserver.Server) {
		ua := strings.Repeat("Mozilla/5.0 ", 900<<10/12)
		email := strings.Repeat("a", 65_000-len("@example.com")) + "@example.com"
		r := srv.Client(t).Do("POST", "/api/v1/auth/login", map[string]string{"email": email, "password": "wrong password here"}, "User-Agent", ua)
		wantError(t, r, http.StatusUnauthorized, "INVALID_CREDENTIALS")
		rows := auditRows(t, srv, torii.AuditSignInFailure)
		if len(rows) != 1 {
			t.Fatalf("%d signin.failure rows, want 1", len(rows))
		}
		e := rows[0]
		if len(e.UserAgent) != service.MaxUserAgentBytes || !strings.HasPrefix(ua, e.UserAgent) {
			t.Fatalf("stored User-Agent is %d bytes, want the first %d", len(e.UserAgent), service.MaxUserAgentBytes)
		}
		if len(e.Email) != service.MaxAuditEmailBytes || !strings.HasPrefix(email, e.Email) {
			t.Fatalf("stored email is %d bytes, want the first %d", len(e.Email), service.MaxAuditEmailBytes)
		}
		// A successful sign-in stores the User-Agent in the session too.
		c := srv.Client(t)
		registerUser(t, c, "ann@example.com", "Ann")
		if r := c.Do("POST", "/api/v1/auth/login", map[string]string{"email": "ann@example.com", "password": goodPassword}, "User-Agent", ua); r.Status != http.StatusOK {
			t.Fatalf("login: %d %s", r.Status, r.Body)
		}
		var out struct{ Sessions []struct{ UserAgent string } }
		c.Do("GET", "/api/v1/me/sessions", nil).Decode(t, &out)
		if len(out.Sessions) == 0 || len(out.Sessions[0].UserAgent) > service.MaxUserAgentBytes {
			t.Fatalf("sessions: %+v", len(out.Sessions))
		}
	})
}

func TestStoredStrings_AuditPageOfHundredHostileRowsStaysSmall(t *testing.T) {
	srv := start(t, adminEnv)
	admin := adminClient(t, srv)
	ua := strings.Repeat("x", 100<<10)
	email := strings.Repeat("e", 60_000) + "@example.com"
	for range 100 {
		srv.Client(t).Do("POST", "/api/v1/auth/login", map[string]string{"email": email, "password": "wrong password here"}, "User-Agent", ua)
	}
	r := admin.Do("GET", "/api/v1/admin/audit?event=signin.failure", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("audit: %d", r.Status)
	}
	var out struct{ Events []any }
	r.Decode(t, &out)
	// Rate limits may refuse some attempts; those that were audited are
	// bounded rows: at most about 1 KB of client text each.
	if len(out.Events) == 0 || len(r.Body) > len(out.Events)*1500 {
		t.Fatalf("audit page of %d rows is %d bytes", len(out.Events), len(r.Body))
	}
}

func TestUTF8_InvalidHeadersAreMadeValidBeforeStorage(t *testing.T) {
	eachBackend(t, nil, func(t *testing.T, srv *testserver.Server) {
		c := srv.Client(t)
		registerUser(t, c, "ann@example.com", "Ann")
		bad := "Agent/\xff\xfe 1.0"
		wantError(t, srv.Client(t).Do("POST", "/api/v1/auth/login", map[string]string{"email": "ann@example.com", "password": "wrong password here"}, "User-Agent", bad),
			http.StatusUnauthorized, "INVALID_CREDENTIALS")
		if r := c.Do("POST", "/api/v1/auth/login", map[string]string{"email": "ann@example.com", "password": goodPassword}, "User-Agent", bad); r.Status != http.StatusOK {
			t.Fatalf("right password with a non-UTF-8 User-Agent: %d %s", r.Status, r.Body)
		}
		// The registration signed Ann in too (its own signin.success, with
		// the client's User-Agent): the rows of the two bad-header requests
		// are the newest of their events.
		for _, ev := range []struct {
			name string
			rows int
		}{{torii.AuditSignInFailure, 1}, {torii.AuditSignInSuccess, 2}} {
			rows := auditRows(t, srv, ev.name)
			if len(rows) != ev.rows {
				t.Fatalf("%d %s rows, want %d (the failure must leave a trace)", len(rows), ev.name, ev.rows)
			}
			if want := "Agent/\uFFFD 1.0"; rows[0].UserAgent != want {
				t.Fatalf("%s stored User-Agent %q, want %q", ev.name, rows[0].UserAgent, want)
			}
		}
	})
}

// wantFieldError checks a 422 VALIDATION_ERROR that names field.
func wantFieldError(t *testing.T, r *testserver.Response, field string) {
	t.Helper()
	wantError(t, r, http.StatusUnprocessableEntity, "VALIDATION_ERROR")
	fields, _ := r.JSON()["error"].(map[string]any)["fields"].(map[string]any)
	if _, ok := fields[field]; !ok {
		t.Fatalf("fields %v do not name %q", fields, field)
	}
}

func TestUTF8_JSONStringWithInvalidBytesIsRefusedNamingTheField(t *testing.T) {
	eachBackend(t, nil, func(t *testing.T, srv *testserver.Server) {
		c := srv.Client(t)
		body := []byte(`{"email":"ann@example.com","password":"` + goodPassword + `","name":"Ann ` + "\xff" + `"}`)
		wantFieldError(t, c.Do("POST", "/api/v1/auth/register", body), "name")
		wantFieldError(t, c.Do("POST", "/api/v1/auth/register", `{"email":"ann@example.com","password":"`+goodPassword+`","name":"Ann\u0000"}`), "name")
		// Invalid bytes outside any value: the body is not JSON text.
		wantError(t, c.Do("POST", "/api/v1/auth/register", []byte("{\"na\xffme\":\"Ann\"}")), http.StatusBadRequest, "BAD_REQUEST")
		registerUser(t, c, "ann@example.com", "Ann")
		room := general(t, c)
		wantFieldError(t, c.Do("POST", "/api/v1/rooms", []byte("{\"name\":\"r\xff\",\"visibility\":\"public\"}")), "name")
		wantFieldError(t, c.Do("POST", "/api/v1/rooms/"+strconv.FormatInt(room, 10)+"/messages", []byte("{\"body\":\"hi\",\"clientId\":\"\xff\"}")), "clientId")
		// Nothing was stored.
		if n, err := openStore(t, srv).CountUsers(t.Context()); err != nil || n != 1 {
			t.Fatalf("users = %d, %v; want only Ann", n, err)
		}
	})
}

func TestUTF8_FormFieldWithInvalidBytesIsRefusedNamingTheField(t *testing.T) {
	eachBackend(t, nil, func(t *testing.T, srv *testserver.Server) {
		c := srv.Client(t)
		form := "email=ann%40example.com&password=" + url.QueryEscape(goodPassword) + "&name=Ann%FF"
		req, _ := http.NewRequest("POST", srv.URL+"/register", strings.NewReader(form))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := c.HTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnprocessableEntity || !bytes.Contains(page, []byte("The field name is not valid text.")) {
			t.Fatalf("form with %%FF: %d %s", resp.StatusCode, page)
		}
		if n, err := openStore(t, srv).CountUsers(t.Context()); err != nil || n != 0 {
			t.Fatalf("users = %d, %v; want none", n, err)
		}
	})
}

func TestUTF8_QueryParameterWithInvalidBytesIsRefusedNot500(t *testing.T) {
	eachBackend(t, adminEnv, func(t *testing.T, srv *testserver.Server) {
		admin := adminClient(t, srv)
		wantFieldError(t, admin.Do("GET", "/api/v1/admin/users?q=%ff", nil), "q")
		wantFieldError(t, admin.Do("GET", "/api/v1/admin/users?q=%00", nil), "q")
		if r := admin.Do("GET", "/api/v1/admin/users?q=b%C3%B6ss", nil); r.Status != http.StatusOK {
			t.Fatalf("valid UTF-8 query: %d %s", r.Status, r.Body)
		}
		r := admin.Do("GET", "/admin?q=%ff", nil)
		if r.Status != http.StatusUnprocessableEntity || !utf8.Valid(r.Body) {
			t.Fatalf("admin page with %%ff: %d", r.Status)
		}
	})
}
