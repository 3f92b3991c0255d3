package web_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/toriihq/torii/testserver"
	"github.com/toriihq/torii/testserver/testenv"
)

// These tests run the code and configuration of docs/integrate.md against a
// real torii: a second app in Go, PyJWT, and nginx in front of an upstream.
// The server runs on the real clock, since PyJWT and go-oidc check exp
// against it.

const dashAudience = "https://example.com/dash"

// docBlocks returns the fenced code blocks of docs/integrate.md in lang.
func docBlocks(t *testing.T, lang string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "docs", "integrate.md"))
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile("(?ms)^```" + regexp.QuoteMeta(lang) + "\n(.*?)^```\n")
	var out []string
	for _, m := range re.FindAllStringSubmatch(string(b), -1) {
		out = append(out, m[1])
	}
	if len(out) == 0 {
		t.Fatalf("no %s block in docs/integrate.md", lang)
	}
	return out
}

// The Go on the page is this package's example_verify_test.go, verbatim
// (the short start-up snippet aside), so it compiles and is tested.
func TestDocs_GoExamplesAreTheTestedCode(t *testing.T) {
	src, err := os.ReadFile("example_verify_test.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, block := range docBlocks(t, "go") {
		if strings.HasPrefix(block, "v := toriiVerifier(") {
			continue
		}
		if !strings.Contains(string(src), block) {
			t.Errorf("docs/integrate.md has Go code that example_verify_test.go does not:\n%s", block)
		}
	}
}

// realTimeServer starts torii on the real clock with the dashboard
// audience allowed, and a signed-in client.
func realTimeServer(t *testing.T, env map[string]string) (*testserver.Server, *testserver.Client) {
	t.Helper()
	e := map[string]string{"TORII_TOKEN_AUDIENCES": dashAudience}
	for k, v := range env {
		e[k] = v
	}
	srv := testserver.Start(t, testserver.Options{Env: e})
	c := srv.Client(t)
	registerUser(t, c, "ann@example.com", "Ann Example")
	return srv, c
}

// A second app verifies torii's tokens with go-oidc's remote key set,
// fetched over real HTTP from the running server.
func TestIntegrate_GoAppVerifiesWithRemoteKeySet(t *testing.T) {
	srv, c := realTimeServer(t, nil)
	issuer := srv.Env["TORII_BASE_URL"]
	v := toriiVerifier(t.Context(), issuer, dashAudience)
	app := httptest.NewServer(requireTorii(v, func(w http.ResponseWriter, r *http.Request, u toriiUser) {
		fmt.Fprintf(w, "hello, %s <%s> #%s", u.Name, u.Email, u.ID)
	}))
	defer app.Close()
	get := func(token string) (int, string) {
		req, _ := http.NewRequest("GET", app.URL, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	good := mint(t, c, "?audience="+dashAudience)
	if code, body := get(good.AccessToken); code != http.StatusOK || body != "hello, Ann Example <ann@example.com> #1" {
		t.Fatalf("token for the app: %d %q", code, body)
	}
	own := mint(t, c, "")
	if code, _ := get(own.AccessToken); code != http.StatusUnauthorized {
		t.Errorf("token for torii's own audience: %d, want 401", code)
	}
	if code, _ := get(""); code != http.StatusUnauthorized {
		t.Errorf("no token: %d, want 401", code)
	}
	parts := strings.Split(good.AccessToken, ".")
	if code, _ := get(parts[0] + "." + parts[1] + "x." + parts[2]); code != http.StatusUnauthorized {
		t.Errorf("tampered token: %d, want 401", code)
	}
}

func TestIntegrate_GoJoseVerifiesWithTheJWKS(t *testing.T) {
	srv, c := realTimeServer(t, nil)
	issuer := srv.Env["TORII_BASE_URL"]
	jwks, err := fetchJWKS(t.Context(), issuer)
	if err != nil {
		t.Fatal(err)
	}
	u, err := verifyWithGoJose(jwks, issuer, dashAudience, mint(t, c, "?audience="+dashAudience).AccessToken)
	if err != nil || u.Email != "ann@example.com" || u.ID != "1" {
		t.Fatalf("verify: %+v %v", u, err)
	}
	if _, err := verifyWithGoJose(jwks, issuer, dashAudience, mint(t, c, "").AccessToken); err == nil {
		t.Error("a token for another audience verified")
	}
	if _, err := verifyWithGoJose(jwks, "https://evil.example.com", dashAudience, mint(t, c, "?audience="+dashAudience).AccessToken); err == nil {
		t.Error("a token verified against another issuer")
	}
}

// requireTool finds a program the test needs, or skips loudly (fails when
// the variable asks for it, as CI does).
func requireTool(t *testing.T, name, requireEnv string, paths ...string) string {
	t.Helper()
	if testing.Short() {
		testenv.Skip(t, "short-integrate", "-short: the docs/integrate.md checks with nginx and Python did NOT run")
	}
	for _, p := range append(paths, name) { // a system binary first (Debian's packages)
		if found, err := exec.LookPath(p); err == nil {
			return found
		}
	}
	msg := name + " not found: the docs/integrate.md checks that need it did NOT run (Debian: apt-get install " + name + ")"
	if os.Getenv(requireEnv) != "" {
		t.Fatal(msg)
	}
	testenv.Skip(t, name, msg)
	return ""
}

// The Python function on the page, run by Debian's python3 with PyJWT.
func TestIntegrate_PythonPyJWKClientVerifies(t *testing.T) {
	python := requireTool(t, "python3", "TORII_TEST_REQUIRE_PYJWT", "/usr/bin/python3")
	if out, err := exec.Command(python, "-c", "import jwt, cryptography").CombinedOutput(); err != nil {
		msg := "PyJWT with cryptography not importable: the Python example of docs/integrate.md did NOT run (Debian: python3-jwt python3-cryptography)"
		if os.Getenv("TORII_TEST_REQUIRE_PYJWT") != "" {
			t.Fatal(msg + "\n" + string(out))
		}
		testenv.Skip(t, "pyjwt", msg)
	}
	srv, c := realTimeServer(t, nil)
	code := docBlocks(t, "python")[0]
	const issuerLine = `TORII_URL = "https://example.com"`
	if !strings.Contains(code, issuerLine) || !strings.Contains(code, `AUDIENCE = "`+dashAudience+`"`) {
		t.Fatalf("the Python example no longer sets TORII_URL and AUDIENCE as this test expects:\n%s", code)
	}
	code = strings.Replace(code, issuerLine, `TORII_URL = "`+srv.Env["TORII_BASE_URL"]+`"`, 1)
	code += "\nimport json, sys\nprint(json.dumps(verify_torii_token(sys.argv[1]), sort_keys=True))\n"
	script := filepath.Join(t.TempDir(), "verify.py")
	if err := os.WriteFile(script, []byte(code), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(token string) (string, error) {
		out, err := exec.CommandContext(t.Context(), python, script, token).CombinedOutput()
		return string(out), err
	}
	out, err := run(mint(t, c, "?audience="+dashAudience).AccessToken)
	if err != nil || !strings.Contains(out, `"email": "ann@example.com"`) || !strings.Contains(out, `"sub": "1"`) {
		t.Fatalf("python: %v\n%s", err, out)
	}
	for name, tok := range map[string]string{
		"other audience": mint(t, c, "").AccessToken,
		"tampered":       strings.Replace(mint(t, c, "?audience="+dashAudience).AccessToken, ".", ".e", 1),
	} {
		if out, err := run(tok); err == nil {
			t.Errorf("python accepted a token with %s:\n%s", name, out)
		}
	}
}

// freePort returns a loopback port free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startNginx runs nginx in the foreground with the page's server block,
// its addresses pointed at torii and the upstream.
func startNginx(t *testing.T, port int, toriiAddr, upstreamAddr string) {
	t.Helper()
	nginx := testserver.Nginx(t, "the nginx example of docs/integrate.md")
	block := docBlocks(t, "nginx")[0]
	for _, s := range []string{"listen 80;", "127.0.0.1:8080", "127.0.0.1:8501"} {
		if !strings.Contains(block, s) {
			t.Fatalf("the nginx example no longer contains %q", s)
		}
	}
	block = strings.ReplaceAll(block, "listen 80;", fmt.Sprintf("listen 127.0.0.1:%d;", port))
	block = strings.ReplaceAll(block, "127.0.0.1:8080", toriiAddr)
	block = strings.ReplaceAll(block, "127.0.0.1:8501", upstreamAddr)
	testserver.RunNginx(t, nginx, port, block)
}

// nginx with the page's configuration protects an upstream with torii's
// forward-auth: browsers without a session are sent to sign in and come
// back, signed-in browsers and Bearer scripts pass, and the upstream gets
// who they are and a JWT it verifies itself.
func TestIntegrate_NginxProtectsUpstreamWithForwardAuth(t *testing.T) {
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	srv := testserver.Start(t, testserver.Options{Env: map[string]string{
		"TORII_BASE_URL": base, "TORII_TOKEN_AUDIENCES": dashAudience, "TORII_TRUST_PROXY_HEADERS": "true",
	}})
	type seen struct{ path, user, email, token, cookie string }
	got := make(chan seen, 10)
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- seen{r.URL.RequestURI(), r.Header.Get("X-Auth-Request-User"), r.Header.Get("X-Auth-Request-Email"),
			r.Header.Get("X-Auth-Request-Access-Token"), r.Header.Get("Cookie")}
		fmt.Fprint(w, "dashboard")
	}))
	defer upstream.Close()
	startNginx(t, port, strings.TrimPrefix(srv.URL, "http://"), strings.TrimPrefix(upstream.URL, "http://"))

	// Everything goes through nginx, as a browser would.
	proxy := &testserver.Server{URL: base, Env: srv.Env, Database: srv.Database, Logs: srv.Logs}
	browser := proxy.Client(t)
	r := browser.Do("GET", "/dash/report?x=1&y=2", nil, "X-Auth-Request-Email", "forged@example.com")
	wantStatus(t, "signed out", r, http.StatusFound)
	if loc := r.Header.Get("Location"); loc != base+"/login?next=%2Fdash%2Freport%3Fx%3D1%26y%3D2" {
		t.Fatalf("Location = %q", loc)
	}
	select {
	case s := <-got:
		t.Fatalf("the upstream was reached without a session: %+v", s)
	default:
	}

	// Sign in through nginx (torii serves the rest of the host), then the
	// app is reachable, with who the user is.
	registerUser(t, browser, "ann@example.com", "Ann Example")
	r = browser.Do("GET", "/dash/report?x=1", nil, "X-Auth-Request-Email", "forged@example.com")
	wantStatus(t, "signed in", r, http.StatusOK)
	s := <-got
	if s.path != "/dash/report?x=1" || s.email != "ann@example.com" || s.user != "1" || s.token == "" {
		t.Fatalf("upstream saw %+v", s)
	}
	// The app verifies its token with the JWKS, served through nginx too.
	jwks, err := fetchJWKS(t.Context(), base)
	if err != nil {
		t.Fatal(err)
	}
	if u, err := verifyWithGoJose(jwks, base, dashAudience, s.token); err != nil || u.Email != "ann@example.com" {
		t.Fatalf("the upstream's token: %+v %v", u, err)
	}

	// A script with a Bearer token for the app passes; one for torii's
	// own audience does not.
	script := proxy.Client(t)
	tok := mint(t, browser, "?audience="+dashAudience).AccessToken
	wantStatus(t, "Bearer for the app", script.Do("GET", "/dash/api", nil, "Authorization", "Bearer "+tok), http.StatusOK)
	if s := <-got; s.email != "ann@example.com" {
		t.Fatalf("upstream saw %+v", s)
	}
	own := mint(t, browser, "").AccessToken
	wantStatus(t, "Bearer for torii itself", script.Do("GET", "/dash/api", nil, "Authorization", "Bearer "+own), http.StatusFound)

	// Signing out closes the door at once.
	wantStatus(t, "logout", browser.Do("POST", "/api/v1/auth/logout", nil), http.StatusNoContent)
	wantStatus(t, "after logout", browser.Do("GET", "/dash/", nil), http.StatusFound)
}
