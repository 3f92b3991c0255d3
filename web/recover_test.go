package web_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/toriihq/torii/app"
	"github.com/toriihq/torii/service"
	"github.com/toriihq/torii/sqlstore"
	"github.com/toriihq/torii/testserver"
)

// linkToken returns the token of a link to path (/reset-password, /invite).
func linkToken(t *testing.T, link, path string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil || u.Path != path || u.Query().Get("token") == "" {
		t.Fatalf("link %q is not a %s link", link, path)
	}
	return u.Query().Get("token")
}

// nextMailTo waits for the next mail and checks its recipient and subject.
func nextMailTo(t *testing.T, smtp *testserver.SMTP, to, subject string) testserver.ReceivedMail {
	t.Helper()
	m := smtp.Next(t)
	if len(m.To) != 1 || m.To[0] != to || m.Header(t, "Subject") != subject {
		t.Fatalf("mail to %v %q, want to %s %q", m.To, m.Header(t, "Subject"), to, subject)
	}
	return m
}

func requestReset(t *testing.T, c *testserver.Client, email string) *testserver.Response {
	t.Helper()
	return c.Do("POST", "/api/v1/auth/password-reset", map[string]string{"email": email})
}

func confirmReset(c *testserver.Client, token, password string) *testserver.Response {
	return c.Do("POST", "/api/v1/auth/password-reset/confirm", map[string]string{"token": token, "password": password})
}

const newPassword = "a brand new long passphrase"

func TestPasswordReset_MailedLinkSetsPasswordOnceAndEndsEverySession(t *testing.T) {
	srv, smtp := mailServer(t, app.Options{})
	ann := signedIn(t, srv, "ann@example.com")
	nextMailTo(t, smtp, "ann@example.com", "Confirm your e-mail address")
	other := loginAs(t, srv, "ann@example.com")
	pair := mint(t, other, "")
	access := pair.AccessToken

	r := requestReset(t, srv.Client(t), " Ann@Example.com ")
	if r.Status != http.StatusAccepted || r.JSON()["mailed"] != true {
		t.Fatalf("reset request: %d %q, want 202 {\"mailed\":true}", r.Status, r.Body)
	}
	m := nextMailTo(t, smtp, "ann@example.com", "Reset your password")
	link := m.Link(t, "/reset-password")
	if !strings.HasPrefix(link, srv.Env["TORII_BASE_URL"]+"/reset-password?token=") {
		t.Fatalf("link %q is not built from TORII_BASE_URL", link)
	}
	if html := m.Part(t, "text/html"); !strings.Contains(html, `href="`+link+`"`) || !strings.Contains(m.Part(t, "text/plain"), "30 minutes") {
		t.Errorf("mail bodies lack the link or its lifetime:\n%s", html)
	}
	token := linkToken(t, link, "/reset-password")
	// Only the token's SHA-256 is stored: the row is found by the hash,
	// never by the token itself.
	st, err := sqlstore.Open(t.Context(), srv.Database)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.PasswordResetByID(t.Context(), service.SessionID(token), time.Now()); err != nil {
		t.Fatalf("no reset stored under the token's hash: %v", err)
	}
	if _, err := st.PasswordResetByID(t.Context(), token, time.Now()); err == nil {
		t.Fatal("the reset is stored under the token itself")
	}

	// Opening the link (a mail scanner does) spends nothing.
	for range 2 {
		wantPage(t, srv.Client(t).Do("GET", strings.TrimPrefix(link, srv.Env["TORII_BASE_URL"]), nil), http.StatusOK, `id="reset-confirm"`, "ann@example.com")
	}
	wantFieldError(t, confirmReset(srv.Client(t), token, "short"), "password")
	if r := confirmReset(srv.Client(t), token, newPassword); r.Status != http.StatusNoContent {
		t.Fatalf("confirm: %d %s", r.Status, r.Body)
	}
	wantError(t, confirmReset(srv.Client(t), token, newPassword+"x"), http.StatusBadRequest, "TOKEN_INVALID")

	// Every session, refresh token and access token of the account is dead.
	for name, c := range map[string]*testserver.Client{"first": ann, "second": other} {
		if r := c.Do("GET", "/api/v1/me", nil); r.Status != http.StatusUnauthorized {
			t.Errorf("%s session after reset: %d", name, r.Status)
		}
	}
	if r := bearer(srv, t, "GET", "/api/v1/me", access); r.Status != http.StatusUnauthorized {
		t.Errorf("access token after reset: %d", r.Status)
	}
	if r := refresh(srv, t, pair.RefreshToken); r.Status != http.StatusUnauthorized {
		t.Errorf("refresh token after reset: %d %s", r.Status, r.Body)
	}
	wantError(t, login(srv.Client(t), "ann@example.com", goodPassword), http.StatusUnauthorized, "INVALID_CREDENTIALS")
	fresh := srv.Client(t)
	wantStatus(t, "login with the new password", login(fresh, "ann@example.com", newPassword), http.StatusOK)
	// The mail reached the address: it is proved.
	if u := me(t, fresh)["user"].(map[string]any); u["emailVerified"] != true {
		t.Errorf("address not verified after a mailed reset: %v", u)
	}
	audit := adminAudit(t, srv, "password.reset")
	if !strings.Contains(audit, `"sessionsRevoked":2`) || !strings.Contains(audit, `"verified":true`) {
		t.Errorf("audit: %s", audit)
	}
	if !strings.Contains(adminAudit(t, srv, "password.reset.request"), `"via":"mail"`) {
		t.Error("the request is not audited")
	}
	if strings.Contains(srv.Logs.String(), token) {
		t.Error("the logs hold the reset token")
	}
}

func TestPasswordReset_SameAnswerAndTimeForKnownAndUnknownAddress(t *testing.T) {
	srv, smtp := mailServer(t, app.Options{})
	signedIn(t, srv, "ann@example.com")
	signedIn(t, srv, "bob@example.com")
	nextMailTo(t, smtp, "ann@example.com", "Confirm your e-mail address")
	nextMailTo(t, smtp, "bob@example.com", "Confirm your e-mail address")

	var known, unknown []time.Duration
	var first *testserver.Response
	for i := range 3 {
		for _, email := range []string{"ann@example.com", fmt.Sprintf("nobody%d@example.com", i)} {
			start := time.Now()
			r := requestReset(t, srv.Client(t), email)
			d := time.Since(start)
			if first == nil {
				first = r
			}
			if r.Status != first.Status || !bytes.Equal(r.Body, first.Body) || r.Header.Get("Content-Type") != first.Header.Get("Content-Type") {
				t.Fatalf("%s: %d %q, want %d %q like the first answer", email, r.Status, r.Body, first.Status, first.Body)
			}
			if email == "ann@example.com" {
				known = append(known, d)
			} else {
				unknown = append(unknown, d)
			}
		}
		// The known address's mail is made after its answer; waiting for
		// it keeps that background work out of the next timings.
		nextMailTo(t, smtp, "ann@example.com", "Reset your password")
	}
	if first.Status != http.StatusAccepted {
		t.Fatalf("answer %d", first.Status)
	}
	// The request path does the same work for both (the lookup runs after
	// the answer), so the medians differ by scheduling noise only.
	slices.Sort(known)
	slices.Sort(unknown)
	k, u := known[1], unknown[1]
	// The slack absorbs a loaded machine's scheduling; the lookup's
	// being off the request path is proved exactly by
	// TestPasswordReset_AnswerNeverWaitsForTheAddressLookup.
	if k > 3*u+100*time.Millisecond || u > 3*k+100*time.Millisecond {
		t.Errorf("median time known %v, unknown %v", k, u)
	}
	// Past the per-address limit (3 an hour) the answer stays the same,
	// and no mail is sent: nobody's inbox can be flooded.
	if r := requestReset(t, srv.Client(t), "ann@example.com"); r.Status != first.Status || !bytes.Equal(r.Body, first.Body) {
		t.Fatalf("4th request: %d %s", r.Status, r.Body)
	}
	requestReset(t, srv.Client(t), "bob@example.com")
	nextMailTo(t, smtp, "bob@example.com", "Reset your password")
	n := 0
	for _, m := range smtp.Received() {
		if m.To[0] == "ann@example.com" {
			n++
		}
	}
	if n != 4 { // the verification mail and 3 resets
		t.Errorf("ann received %d mails, want 4", n)
	}
}

func TestPasswordReset_RateLimitedPerIP(t *testing.T) {
	srv, _ := mailServer(t, app.Options{})
	c := srv.Client(t)
	for i := range 20 {
		if r := requestReset(t, c, fmt.Sprintf("x%d@example.com", i)); r.Status != http.StatusAccepted {
			t.Fatalf("request %d: %d %s", i+1, r.Status, r.Body)
		}
	}
	r := requestReset(t, c, "y@example.com")
	wantError(t, r, http.StatusTooManyRequests, "RATE_LIMITED")
	if r.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	wantFieldError(t, requestReset(t, srv.Client(t), "not an address"), "email")
}

func TestPasswordReset_LinkExpiresAfter30Minutes(t *testing.T) {
	clock := testserver.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	srv, smtp := mailServer(t, app.Options{Now: clock.Now})
	signedIn(t, srv, "ann@example.com")
	smtp.Next(t)
	requestReset(t, srv.Client(t), "ann@example.com")
	first := linkToken(t, nextMailTo(t, smtp, "ann@example.com", "Reset your password").Link(t, "/reset-password"), "/reset-password")
	clock.Advance(29 * time.Minute)
	requestReset(t, srv.Client(t), "ann@example.com")
	second := linkToken(t, nextMailTo(t, smtp, "ann@example.com", "Reset your password").Link(t, "/reset-password"), "/reset-password")
	clock.Advance(time.Minute) // the first is exactly 30 minutes old: dead
	wantError(t, confirmReset(srv.Client(t), first, newPassword), http.StatusBadRequest, "TOKEN_INVALID")
	wantPage(t, srv.Client(t).Do("GET", "/reset-password?token="+first, nil), http.StatusBadRequest, "invalid, already used or expired", `id="reset-again"`)
	for _, bad := range []string{"", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", strings.Repeat("x", 1000)} {
		wantError(t, confirmReset(srv.Client(t), bad, newPassword), http.StatusBadRequest, "TOKEN_INVALID")
	}
	wantStatus(t, "the fresh link", confirmReset(srv.Client(t), second, newPassword), http.StatusNoContent)
}

func TestPasswordReset_WithoutMailAnAdminMakesTheLink(t *testing.T) {
	srv := start(t, nil)
	ann := signedIn(t, srv, "ann@example.com")
	annID := userID(t, ann)
	// The contract's "202 always": accepted, the same for every address,
	// saying that nothing was mailed.
	for _, email := range []string{"ann@example.com", "nobody@example.com"} {
		r := requestReset(t, srv.Client(t), email)
		if r.Status != http.StatusAccepted || r.JSON()["mailed"] != false {
			t.Fatalf("reset request for %s without mail: %d %s, want 202 {\"mailed\":false}", email, r.Status, r.Body)
		}
	}
	wantError(t, requestReset(t, srv.Client(t), "not an address"), http.StatusUnprocessableEntity, "VALIDATION_ERROR")
	wantPage(t, srv.Client(t).Do("GET", "/forgot-password", nil), http.StatusOK, `id="reset-no-mail"`)
	wantPage(t, srv.Client(t).Do("GET", "/login", nil), http.StatusOK, `href="/forgot-password"`)

	path := fmt.Sprintf("/api/v1/admin/users/%d/password-reset", annID)
	wantError(t, ann.Do("POST", path, nil), http.StatusForbidden, "FORBIDDEN")
	boss := cliAdmin(t, srv)
	r := boss.Do("POST", path, nil)
	if r.Status != http.StatusCreated {
		t.Fatalf("admin link: %d %s", r.Status, r.Body)
	}
	api := r.JSON()["url"].(string)
	wantError(t, boss.Do("POST", "/api/v1/admin/users/999999/password-reset", nil), http.StatusNotFound, "NOT_FOUND")

	// The admin page's button shows a link too.
	page := postForm(boss, "/admin/users/reset-link", url.Values{"id": {fmt.Sprint(annID)}})
	wantPage(t, page, http.StatusOK, `id="admin-link"`, srv.Env["TORII_BASE_URL"]+"/reset-password?token=")

	// The CLI prints exactly one URL.
	out, code := srv.CLI(t, "", "user", "reset-link", "ann@example.com")
	if code != 0 || strings.Count(out, "\n") != 1 || !strings.HasPrefix(out, srv.Env["TORII_BASE_URL"]+"/reset-password?token=") {
		t.Fatalf("torii user reset-link: %d %q", code, out)
	}
	if _, code := srv.CLI(t, "", "user", "reset-link", "nobody@example.com"); code != 1 {
		t.Errorf("reset-link of an unknown address: exit %d", code)
	}

	// The page form sets the password with the CLI's link; the others
	// die with it.
	token := linkToken(t, strings.TrimSpace(out), "/reset-password")
	wantPage(t, postForm(srv.Client(t), "/reset-password", url.Values{"token": {token}, "password": {newPassword}}), http.StatusOK, "every device is signed out", `id="reset-signin"`)
	wantError(t, confirmReset(srv.Client(t), linkToken(t, api, "/reset-password"), newPassword), http.StatusBadRequest, "TOKEN_INVALID")
	c := srv.Client(t)
	wantStatus(t, "login", login(c, "ann@example.com", newPassword), http.StatusOK)
	// An admin's link proves nothing about the address.
	if u := me(t, c)["user"].(map[string]any); u["emailVerified"] != false {
		t.Errorf("an admin's link verified the address: %v", u)
	}
	if a := auditJSON(t, boss, "password.reset.request"); !strings.Contains(a, `"via":"admin"`) || !strings.Contains(a, `"by":"cli"`) {
		t.Errorf("audit: %s", a)
	}
}

func invite(t *testing.T, admin *testserver.Client, body map[string]any) (int64, string) {
	t.Helper()
	r := admin.Do("POST", "/api/v1/admin/invitations", body)
	if r.Status != http.StatusCreated {
		t.Fatalf("invite: %d %s", r.Status, r.Body)
	}
	j := r.JSON()
	return int64(j["id"].(float64)), j["url"].(string)
}

func acceptInvite(c *testserver.Client, token, name string) *testserver.Response {
	return c.Do("POST", "/api/v1/auth/invitations/accept", map[string]string{"token": token, "name": name, "password": goodPassword})
}

func TestInvitation_MailedLinkRegistersIntoGroupsWhileSignupIsClosed(t *testing.T) {
	smtp := testserver.StartSMTP(t, testserver.SMTPOptions{StartTLS: true, Username: "torii", Password: "smtp-secret-pw"})
	srv := testserver.Start(t, testserver.Options{
		Env:        map[string]string{"TORII_SMTP_URL": smtp.URL(), "TORII_MAIL_FROM": "torii@example.com", "TORII_SIGNUP": "closed"},
		AppOptions: app.Options{MailTLSConfig: smtp.ClientTLS},
	})
	boss := cliAdmin(t, srv)
	wantStatus(t, "create group", boss.Do("POST", "/api/v1/groups", map[string]string{"name": "Team"}), http.StatusCreated)
	wantError(t, tryRegister(srv.Client(t), "cy@example.com"), http.StatusForbidden, "NOT_ALLOWED")

	wantFieldError(t, boss.Do("POST", "/api/v1/admin/invitations", map[string]any{"email": "cy@example.com", "groups": []string{"Nope"}}), "groups")
	wantError(t, boss.Do("POST", "/api/v1/admin/invitations", map[string]any{"email": "boss@example.com"}), http.StatusConflict, "EMAIL_ALREADY_EXISTS")
	id, link := invite(t, boss, map[string]any{"email": "Cy@Example.com", "groups": []string{"team"}, "admin": false})
	m := nextMailTo(t, smtp, "cy@example.com", "You are invited to torii")
	if got := m.Link(t, "/invite"); got != link {
		t.Fatalf("mailed link %q, API link %q", got, link)
	}
	list := boss.Do("GET", "/api/v1/admin/invitations", nil).JSON()["invitations"].([]any)
	if len(list) != 1 || int64(list[0].(map[string]any)["id"].(float64)) != id || list[0].(map[string]any)["email"] != "cy@example.com" {
		t.Fatalf("invitations: %v", list)
	}
	token := linkToken(t, link, "/invite")
	wantPage(t, srv.Client(t).Do("GET", "/invite?token="+token, nil), http.StatusOK, `id="invite-accept"`, "cy@example.com", "Team")

	cy := srv.Client(t)
	r := acceptInvite(cy, token, "Cy")
	if r.Status != http.StatusCreated {
		t.Fatalf("accept: %d %s", r.Status, r.Body)
	}
	if u := me(t, cy)["user"].(map[string]any); u["email"] != "cy@example.com" || u["emailVerified"] != true {
		t.Errorf("invitee: %v", u)
	}
	if g := myGroups(t, cy); g["Team"] != "member" {
		t.Errorf("invitee's groups: %v", g)
	}
	wantError(t, acceptInvite(srv.Client(t), token, "Cy again"), http.StatusBadRequest, "TOKEN_INVALID")
	if list := boss.Do("GET", "/api/v1/admin/invitations", nil).JSON()["invitations"].([]any); len(list) != 0 {
		t.Errorf("a used invitation is still listed: %v", list)
	}
	if a := auditJSON(t, boss, "user.invite.accept"); !strings.Contains(a, "cy@example.com") {
		t.Errorf("audit: %s", a)
	}
}

func TestInvitation_WithoutMailRevokedExpiredAndAdmin(t *testing.T) {
	clock := testserver.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	srv := testserver.Start(t, testserver.Options{Env: map[string]string{"TORII_SIGNUP": "closed"}, AppOptions: app.Options{Now: clock.Now}})
	boss := cliAdmin(t, srv)
	wantError(t, srv.Client(t).Do("POST", "/api/v1/admin/invitations", map[string]any{"email": "x@example.com"}), http.StatusUnauthorized, "UNAUTHORIZED")

	// Revoked: the link dies.
	id, link := invite(t, boss, map[string]any{"email": "dee@example.com"})
	wantStatus(t, "revoke", boss.Do("DELETE", fmt.Sprintf("/api/v1/admin/invitations/%d", id), nil), http.StatusNoContent)
	wantError(t, boss.Do("DELETE", fmt.Sprintf("/api/v1/admin/invitations/%d", id), nil), http.StatusNotFound, "NOT_FOUND")
	wantError(t, acceptInvite(srv.Client(t), linkToken(t, link, "/invite"), "Dee"), http.StatusBadRequest, "TOKEN_INVALID")

	// Expired after 7 days.
	_, link = invite(t, boss, map[string]any{"email": "eve@example.com"})
	clock.Advance(7 * 24 * time.Hour)
	wantError(t, acceptInvite(srv.Client(t), linkToken(t, link, "/invite"), "Eve"), http.StatusBadRequest, "TOKEN_INVALID")
	wantPage(t, srv.Client(t).Do("GET", "/invite?token="+linkToken(t, link, "/invite"), nil), http.StatusBadRequest, "invalid, already used, revoked or expired")

	// The CLI prints one URL; the invitee registers from the page as an admin.
	out, code := srv.CLI(t, "", "user", "invite", "fay@example.com", "--admin")
	if code != 0 || strings.Count(out, "\n") != 1 || !strings.HasPrefix(out, srv.Env["TORII_BASE_URL"]+"/invite?token=") {
		t.Fatalf("torii user invite: %d %q", code, out)
	}
	if _, code := srv.CLI(t, "", "user", "invite", "gus@example.com", "--group", "Nope"); code != 1 {
		t.Errorf("invite into an unknown group: exit %d", code)
	}
	fay := srv.Client(t)
	r := postForm(fay, "/invite", url.Values{"token": {linkToken(t, strings.TrimSpace(out), "/invite")}, "name": {"Fay"}, "password": {goodPassword}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("invite form: %d %s", r.Status, r.Body)
	}
	if roles := me(t, fay)["roles"]; fmt.Sprint(roles) != "[admin]" {
		t.Errorf("invitee's roles: %v", roles)
	}
	// The admin page lists and revokes.
	_, _ = invite(t, boss, map[string]any{"email": "hal@example.com"})
	wantPage(t, boss.Do("GET", "/admin/invitations", nil), http.StatusOK, "hal@example.com", `id="invite-form"`)
	wantPage(t, postForm(boss, "/admin/invitations", url.Values{"email": {"ida@example.com"}}), http.StatusOK, `id="admin-link"`, "sends no mail")

	// Each step is audited, with who did it and whether a mail went out.
	if a := auditJSON(t, boss, "user.invite"); !strings.Contains(a, `"email":"fay@example.com"`) || !strings.Contains(a, `"by":"cli"`) || !strings.Contains(a, `"mailed":false`) {
		t.Errorf("user.invite audit: %s", a)
	}
	if a := auditJSON(t, boss, "user.invite.revoke"); !strings.Contains(a, `"email":"dee@example.com"`) {
		t.Errorf("user.invite.revoke audit: %s", a)
	}
}

func TestRecoveryMail_InTheLanguageOfTheRequest(t *testing.T) {
	srv, smtp := mailServer(t, app.Options{})
	signedIn(t, srv, "ann@example.com")
	smtp.Next(t)
	r := srv.Client(t).Do("POST", "/api/v1/auth/password-reset", map[string]string{"email": "ann@example.com"}, "Accept-Language", "ja-JP,ja;q=0.9")
	if r.Status != http.StatusAccepted {
		t.Fatalf("reset request: %d %s", r.Status, r.Body)
	}
	m := nextMailTo(t, smtp, "ann@example.com", "パスワードの再設定")
	if text := m.Part(t, "text/plain"); !strings.Contains(text, "30 分間") || !strings.Contains(m.Part(t, "text/html"), `lang="ja"`) {
		t.Errorf("Japanese mail:\n%s", text)
	}
	boss := cliAdmin(t, srv)
	if r := boss.Do("POST", "/api/v1/admin/invitations?lang=ja", map[string]any{"email": "cy@example.com"}); r.Status != http.StatusCreated {
		t.Fatalf("invite: %d %s", r.Status, r.Body)
	}
	nextMailTo(t, smtp, "cy@example.com", "torii への招待")
}

// Guessing reset links counts like guessing passwords: past the per-IP
// limit of failed sign-ins, even a good link is refused from that IP
// (429 with Retry-After) and not spent.
func TestPasswordReset_GuessingLinksIsLimitedPerIP(t *testing.T) {
	// The CLI makes the link on the real clock: the server's starts there.
	clock := testserver.NewClock(time.Now())
	srv := testserver.Start(t, testserver.Options{Env: map[string]string{"TORII_RATE_LOGIN_IP": "3/15m"}, AppOptions: app.Options{Now: clock.Now}})
	signedIn(t, srv, "ann@example.com")
	out, code := srv.CLI(t, "", "user", "reset-link", "ann@example.com")
	if code != 0 {
		t.Fatalf("reset-link: %d %q", code, out)
	}
	good := linkToken(t, strings.TrimSpace(out), "/reset-password")
	for i := range 3 {
		wantError(t, confirmReset(srv.Client(t), fmt.Sprintf("guess-%d-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", i), newPassword), http.StatusBadRequest, "TOKEN_INVALID")
	}
	r := confirmReset(srv.Client(t), good, newPassword)
	wantError(t, r, http.StatusTooManyRequests, "RATE_LIMITED")
	if r.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	// The refused link was not spent: once the window passes it works.
	clock.Advance(15 * time.Minute)
	wantStatus(t, "the good link later", confirmReset(srv.Client(t), good, newPassword), http.StatusNoContent)
}
