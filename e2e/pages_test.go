package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/toriihq/torii/testserver"
)

const goodPassword = "correct horse battery staple"

// seedUser registers a user through the JSON API, for tests whose subject is
// not registration.
func seedUser(t *testing.T, srv *testserver.Server, name, email, password string) {
	t.Helper()
	res := srv.Client(t).Do("POST", "/api/v1/auth/register",
		map[string]string{"name": name, "email": email, "password": password})
	if res.Status != http.StatusCreated {
		t.Fatalf("register %s through the API: %d %s", email, res.Status, res.Body)
	}
}

// seedVerifiedUser creates a user as the operator would (`torii user
// create`): its address counts as verified, so TORII_ADMIN_EMAILS promotes
// it at sign-in (issue 12: a registration proves no address).
func seedVerifiedUser(t *testing.T, srv *testserver.Server, name, email, password string) {
	t.Helper()
	if out, code := srv.CLI(t, password+"\n", "user", "create", "--email", email, "--name", name, "--password-stdin"); code != 0 {
		t.Fatalf("torii user create %s: %d %s", email, code, out)
	}
}

// registerInBrowser creates an account with the /register form and waits
// for the home page.
func registerInBrowser(t *testing.T, ctx context.Context, srv *testserver.Server, name, email, password string) {
	t.Helper()
	open(t, ctx, srv.URL, "/register")
	fill(t, ctx, "name", name, "email", email, "password", password)
	if status := clickAndLoad(t, ctx, chromedp.ID("create-account")); status != http.StatusOK {
		t.Fatalf("after Create account: status %d", status)
	}
	wantPath(t, ctx, "/")
	do(t, ctx, "wait for #hello", chromedp.WaitVisible(chromedp.ID("hello")))
}

// signInInBrowser submits the /login form and waits for the home page.
func signInInBrowser(t *testing.T, ctx context.Context, srv *testserver.Server, email, password string) {
	t.Helper()
	open(t, ctx, srv.URL, "/login")
	fill(t, ctx, "email", email, "password", password)
	if status := clickAndLoad(t, ctx, chromedp.ID("sign-in")); status != http.StatusOK {
		t.Fatalf("after Sign in: status %d", status)
	}
	wantPath(t, ctx, "/")
	do(t, ctx, "wait for #hello", chromedp.WaitVisible(chromedp.ID("hello")))
}

// text returns the visible text of the first element matching sel,
// waiting (within a step) for one to exist.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	for {
		v, err := chromedp.Run(sctx, chromedp.Text(chromedp.CSS(sel)))
		if err == nil {
			return strings.TrimSpace(v)
		}
		// Pages draw lists again (the room list on every room change),
		// replacing their nodes: the node the query found can be gone
		// by the time its text is read. Then the query finds the new one.
		if strings.Contains(err.Error(), "No node with given id found") && sctx.Err() == nil {
			continue
		}
		t.Fatalf("read text of %s: %v", sel, err)
	}
}

func wantText(t *testing.T, ctx context.Context, sel, want string) {
	t.Helper()
	if got := text(t, ctx, sel); got != want {
		t.Errorf("%s shows %q, want %q", sel, got, want)
	}
}

// count returns how many elements match a CSS selector now, without waiting.
func count(t *testing.T, ctx context.Context, sel string) int {
	t.Helper()
	return get(t, ctx, "count "+sel,
		chromedp.Evaluate[int]("document.querySelectorAll("+jsString(sel)+").length"))
}

func jsString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`, "\r", `\r`).Replace(s) + "'"
}

func TestBrowser_RegisterSignInHelloSignOut(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	ctx := newBrowser(t)
	const name, email = "Ada Lovelace", "ada@example.com"

	// Signed out, the home page sends us to the sign-in page.
	open(t, ctx, srv.URL, "/")
	wantPath(t, ctx, "/login")
	do(t, ctx, "wait for the sign-in form", chromedp.WaitVisible(chromedp.ID("sign-in")))
	wantText(t, ctx, "h1", "Sign in to torii")
	screenshot(t, ctx, "login")

	// Follow "Create an account".
	link := chromedp.CSS(`a[href^="/register"]`)
	wantText(t, ctx, `a[href^="/register"]`, "Create an account")
	clickAndLoad(t, ctx, link)
	wantPath(t, ctx, "/register")
	do(t, ctx, "wait for the registration form", chromedp.WaitVisible(chromedp.ID("create-account")))
	wantText(t, ctx, "h1", "Create your account")

	fill(t, ctx, "name", name, "email", email, "password", goodPassword)
	if status := clickAndLoad(t, ctx, chromedp.ID("create-account")); status != http.StatusOK {
		t.Fatalf("after Create account: status %d", status)
	}
	wantPath(t, ctx, "/")
	do(t, ctx, "wait for #hello", chromedp.WaitVisible(chromedp.ID("hello")))
	wantText(t, ctx, "#hello", "Hello, "+name)
	screenshot(t, ctx, "hello")

	// Sign out.
	clickAndLoad(t, ctx, chromedp.ID("sign-out"))
	wantPath(t, ctx, "/login?signed_out=1")
	do(t, ctx, "wait for the notice", chromedp.WaitVisible(chromedp.CSS(".notice")))
	wantText(t, ctx, ".notice", "You have signed out.")

	// The session is really gone: the home page sends us back.
	open(t, ctx, srv.URL, "/")
	wantPath(t, ctx, "/login")
	if n := count(t, ctx, "#hello"); n != 0 {
		t.Errorf("signed out, yet the page has %d #hello", n)
	}
	if n := count(t, ctx, ".notice"); n != 0 {
		t.Errorf("the sign-out notice is still shown on a plain /login")
	}

	// Sign in again with the same credentials.
	fill(t, ctx, "email", email, "password", goodPassword)
	if status := clickAndLoad(t, ctx, chromedp.ID("sign-in")); status != http.StatusOK {
		t.Fatalf("after Sign in: status %d", status)
	}
	do(t, ctx, "wait for #hello", chromedp.WaitVisible(chromedp.ID("hello")))
	wantText(t, ctx, "#hello", "Hello, "+name)
	wantPath(t, ctx, "/")
}

func TestBrowser_LoginErrorShownNextToForm(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	const email = "grace@example.com"
	seedUser(t, srv, "Grace Hopper", email, goodPassword)
	ctx := newBrowser(t)

	t.Run("wrong password", func(t *testing.T) {
		open(t, ctx, srv.URL, "/login")
		fill(t, ctx, "email", email, "password", "not the password at all")
		if status := clickAndLoad(t, ctx, chromedp.ID("sign-in")); status != http.StatusUnauthorized {
			t.Errorf("wrong password: status %d, want %d", status, http.StatusUnauthorized)
		}
		do(t, ctx, "wait for #form-error", chromedp.WaitVisible(chromedp.ID("form-error")))
		wantPath(t, ctx, "/login")
		wantText(t, ctx, "#form-error", "Wrong email or password.")
		if got := get(t, ctx, "read #email", chromedp.Value(chromedp.ID("email"))); got != email {
			t.Errorf("#email holds %q after the error, want %q", got, email)
		}
		if got := get(t, ctx, "read #password", chromedp.Value(chromedp.ID("password"))); got != "" {
			t.Errorf("#password was refilled with %q", got)
		}
		// The form is still there, and no field is blamed.
		do(t, ctx, "wait for the sign-in button", chromedp.WaitVisible(chromedp.ID("sign-in")))
		if n := count(t, ctx, ".field-error"); n != 0 {
			t.Errorf("%d field errors shown for wrong credentials", n)
		}
	})

	t.Run("short password on registration", func(t *testing.T) {
		open(t, ctx, srv.URL, "/register")
		fill(t, ctx, "name", "Short Pw", "email", "short@example.com", "password", "short")
		// The form is novalidate, so the browser sends it and the server
		// answers.
		if status := clickAndLoad(t, ctx, chromedp.ID("create-account")); status != http.StatusUnprocessableEntity {
			t.Errorf("short password: status %d, want %d", status, http.StatusUnprocessableEntity)
		}
		do(t, ctx, "wait for #password-error", chromedp.WaitVisible(chromedp.ID("password-error")))
		wantPath(t, ctx, "/register")
		wantText(t, ctx, "#password-error", "Password must be at least 12 characters")
		wantText(t, ctx, "#form-error", "Please correct the fields below.")
		if n := count(t, ctx, ".field-error"); n != 1 {
			t.Errorf("%d field errors shown, want 1 (password only)", n)
		}
		// Next to its input: in the same .field, and tied to it for
		// screen readers.
		sameField := get(t, ctx, "locate #password-error", chromedp.Evaluate[bool](
			`document.getElementById('password-error').closest('.field').contains(document.getElementById('password'))`))
		if !sameField {
			t.Error("#password-error is not in the .field of #password")
		}
		attrs := get(t, ctx, "read #password attributes", chromedp.Attributes(chromedp.ID("password")))
		if !strings.Contains(" "+attrs["aria-describedby"]+" ", " password-error ") {
			t.Errorf("#password aria-describedby=%q, want it to name password-error", attrs["aria-describedby"])
		}
		if attrs["aria-invalid"] != "true" {
			t.Errorf("#password aria-invalid=%q, want true", attrs["aria-invalid"])
		}
		// The other fields keep what was typed.
		if got := get(t, ctx, "read #name", chromedp.Value(chromedp.ID("name"))); got != "Short Pw" {
			t.Errorf("#name holds %q after the error", got)
		}
		if got := get(t, ctx, "read #email", chromedp.Value(chromedp.ID("email"))); got != "short@example.com" {
			t.Errorf("#email holds %q after the error", got)
		}
	})
}

func TestBrowser_AccountListsSessionsAndSignsOutOtherDevice(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	const name, email = "Alan Turing", "alan@example.com"

	a := newBrowser(t)
	registerInBrowser(t, a, srv, name, email, goodPassword)
	b := newBrowser(t)
	signInInBrowser(t, b, srv, email, goodPassword)

	open(t, a, srv.URL, "/account")
	wantPath(t, a, "/account")
	do(t, a, "wait for #sessions", chromedp.WaitVisible(chromedp.ID("sessions")))
	wantText(t, a, "#account-name", name)
	if n := count(t, a, "#sessions > li"); n != 2 {
		t.Fatalf("the sessions list shows %d entries, want 2", n)
	}
	if n := count(t, a, "#sessions .badge"); n != 1 {
		t.Errorf("%d sessions are marked, want 1", n)
	}
	wantText(t, a, "#sessions > li.current .badge", "This device")

	if status := clickAndLoad(t, a, chromedp.ID("revoke-others")); status != http.StatusOK {
		t.Errorf("after Sign out all other devices: status %d", status)
	}
	wantPath(t, a, "/account")
	do(t, a, "wait for #sessions", chromedp.WaitVisible(chromedp.ID("sessions")))
	if n := count(t, a, "#sessions > li"); n != 1 {
		t.Errorf("after signing out the others, %d sessions are listed, want 1", n)
	}
	if n := count(t, a, "#sessions > li.current"); n != 1 {
		t.Error("the remaining session is not this device")
	}
	if n := count(t, a, "#revoke-others"); n != 0 {
		t.Error("#revoke-others is still offered with one session left")
	}

	// B is signed out: the home page sends it to the sign-in page.
	open(t, b, srv.URL, "/")
	wantPath(t, b, "/login")
	do(t, b, "wait for the sign-in form", chromedp.WaitVisible(chromedp.ID("sign-in")))

	// A still is signed in.
	open(t, a, srv.URL, "/")
	wantPath(t, a, "/")
	wantText(t, a, "#hello", "Hello, "+name)
}

func TestBrowser_CookieIsHttpOnly(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	const email = "barbara@example.com"
	seedUser(t, srv, "Barbara Liskov", email, goodPassword)
	ctx := newBrowser(t)
	signInInBrowser(t, ctx, srv, email, goodPassword)

	js := get(t, ctx, "read document.cookie", chromedp.Evaluate[string]("document.cookie"))
	if strings.Contains(js, "torii_session") {
		t.Errorf("scripts can read the session cookie: document.cookie = %q", js)
	}

	cctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	res, err := chromedp.Call(cctx, network.GetCookies, network.GetCookiesParams{URLs: []string{srv.URL + "/"}})
	if err != nil {
		t.Fatalf("get cookies: %v", err)
	}
	var session *network.Cookie
	for _, c := range res.Cookies {
		if c.Name == "torii_session" {
			session = c
		}
	}
	if session == nil {
		names := []string{}
		for _, c := range res.Cookies {
			names = append(names, c.Name)
		}
		t.Fatalf("no torii_session cookie in the browser; it has %q", names)
	}
	if session.Value == "" {
		t.Error("torii_session is empty")
	}
	if !session.HTTPOnly {
		t.Error("torii_session is not HttpOnly")
	}
	if session.SameSite != network.CookieSameSiteLax {
		t.Errorf("torii_session SameSite=%q, want %q", session.SameSite, network.CookieSameSiteLax)
	}
	if session.Path != "/" {
		t.Errorf("torii_session Path=%q, want /", session.Path)
	}
}
