package e2e

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/toriihq/torii/testserver"
	"github.com/toriihq/torii/testserver/testenv"
)

// oauth2ProxyEnv names the oauth2-proxy v7 binary that .ci/run builds from
// its Go module (github.com/oauth2-proxy/oauth2-proxy/v7): a relying party
// nobody here wrote, signing its users in with torii as an OpenID Provider.
const oauth2ProxyEnv = "TORII_TEST_OAUTH2_PROXY"

// echoUpstream is the app oauth2-proxy protects: it shows the identity
// headers oauth2-proxy passes (X-Forwarded-Email, X-Forwarded-Groups) and
// remembers every request it saw, so a test can tell that a refused user
// never reached it.
type echoUpstream struct {
	URL  string
	mu   sync.Mutex
	seen []http.Header
}

func startEchoUpstream(t *testing.T) *echoUpstream {
	t.Helper()
	u := &echoUpstream{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.mu.Lock()
		u.seen = append(u.seen, r.Header.Clone())
		u.mu.Unlock()
		email := strings.Join(r.Header.Values("X-Forwarded-Email"), ",")
		groups := strings.Join(r.Header.Values("X-Forwarded-Groups"), ",")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><title>Upstream</title><h1>Upstream</h1>`+
			`<p>email: <span id="email">%s</span></p><p>groups: <span id="groups">%s</span></p>`,
			html.EscapeString(email), html.EscapeString(groups))
	}))
	t.Cleanup(srv.Close)
	u.URL = srv.URL
	return u
}

// sawEmail reports whether any request reached the upstream as email.
func (u *echoUpstream) sawEmail(email string) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, h := range u.seen {
		if h.Get("X-Forwarded-Email") == email {
			return true
		}
	}
	return false
}

// oauth2Proxy is a running oauth2-proxy.
type oauth2Proxy struct {
	// URL is where browsers reach it: http://localhost:PORT, a host other
	// than torii's 127.0.0.1, so the two keep their cookies apart as two
	// sites would.
	URL  string
	logs *testserver.SyncBuffer
}

// listenProxy reserves oauth2-proxy's port before the client is registered
// (its redirect URI names the port); startOAuth2Proxy hands the listening
// socket itself to oauth2-proxy (--http-address=fd:3), so no other process
// can take the port in between.
func listenProxy(t *testing.T) (*net.TCPListener, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln.(*net.TCPListener), fmt.Sprintf("http://localhost:%d", ln.Addr().(*net.TCPAddr).Port)
}

// startOAuth2Proxy runs oauth2-proxy with --provider=oidc against torii
// (discovery from issuer), protecting upstream, on the listener ln; it is
// stopped when the test ends and its log printed if the test failed.
func startOAuth2Proxy(t *testing.T, bin string, ln *net.TCPListener, base, issuer, clientID, clientSecret, upstream string) *oauth2Proxy {
	t.Helper()
	f, err := ln.File()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p := &oauth2Proxy{URL: base, logs: &testserver.SyncBuffer{}}
	// oauth2-proxy takes a listening socket the systemd way
	// (--http-address=fd:3 with LISTEN_FDS=1 and LISTEN_PID = its own pid),
	// so the shell sets LISTEN_PID to its pid and execs oauth2-proxy in
	// its place.
	cmd := exec.Command("/bin/sh", "-c", `LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" "$@"`, bin,
		"--provider=oidc",
		"--oidc-issuer-url="+issuer,
		"--client-id="+clientID,
		"--client-secret="+clientSecret,
		"--redirect-url="+base+"/oauth2/callback",
		"--scope=openid email profile groups",
		"--code-challenge-method=S256",
		"--upstream="+upstream,
		"--http-address=fd:3",
		"--email-domain=*",
		"--cookie-secret="+(rand.Text() + rand.Text())[:32], // 32 bytes: an AES-256 key
		"--cookie-secure=false",
		"--skip-provider-button=true",
		"--banner=-",
	)
	cmd.ExtraFiles = []*os.File{f} // fd 3
	cmd.Stdout, cmd.Stderr = p.logs, p.logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("oauth2-proxy log:\n%s", p.logs.String())
		}
	})
	// oauth2-proxy answers /ping once it serves, after OIDC discovery
	// against torii succeeded (it exits if discovery fails). Poll it, within
	// a bound, watching for an early exit.
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-exited:
			t.Fatalf("oauth2-proxy exited before it was ready:\n%s", p.logs.String())
		default:
		}
		if r, err := client.Get(strings.Replace(base, "localhost", "127.0.0.1", 1) + "/ping"); err == nil {
			r.Body.Close()
			if r.StatusCode == http.StatusOK {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("oauth2-proxy not ready within 30 s:\n%s", p.logs.String())
		}
		time.Sleep(50 * time.Millisecond) // a bounded poll: oauth2-proxy signals readiness no other way
	}
}

// registerClient registers an OpenID client with the CLI, as an operator
// would, and returns the clientId and clientSecret it printed once.
func registerClient(t *testing.T, srv *testserver.Server, args ...string) (id, secret string) {
	t.Helper()
	out, code := srv.CLI(t, "", append([]string{"client", "add", "--json"}, args...)...)
	if code != 0 {
		t.Fatalf("torii client add: %d %s", code, out)
	}
	var got struct{ ClientID, ClientSecret string }
	if err := json.Unmarshal([]byte(out), &got); err != nil || got.ClientID == "" || got.ClientSecret == "" {
		t.Fatalf("torii client add --json printed %q (%v)", out, err)
	}
	return got.ClientID, got.ClientSecret
}

// signInThroughTorii, on torii's sign-in page the relying party sent the
// browser to, signs in with a password.
func signInThroughTorii(t *testing.T, ctx context.Context, srv *testserver.Server, email, password string) {
	t.Helper()
	do(t, ctx, "wait for torii's sign-in page", chromedp.WaitVisible(chromedp.ID("email")))
	if loc := get(t, ctx, "location", chromedp.Location()); !strings.HasPrefix(loc, srv.URL+"/login") {
		t.Fatalf("the app sent the browser to %s, want torii's /login", loc)
	}
	fill(t, ctx, "email", email, "password", password)
	clickAndLoad(t, ctx, chromedp.ID("sign-in"))
}

// TestBrowser_OAuth2ProxySignsInWithToriiAndPassesEmailAndGroups: oauth2-proxy
// v7 (--provider=oidc, discovery, code flow with S256 PKCE), protecting an
// upstream, signs a member of the client's group in through torii's own
// sign-in and consent pages in a real browser; the upstream sees the user's
// email and torii groups. A user outside the client's group is refused by
// torii with a page saying so, and never reaches the upstream.
func TestBrowser_OAuth2ProxySignsInWithToriiAndPassesEmailAndGroups(t *testing.T) {
	bin := testenv.Binary(t, oauth2ProxyEnv, "the oauth2-proxy relying-party test (e2e)")
	srv := testserver.Start(t, testserver.Options{})
	if out, code := srv.CLI(t, goodPassword+"\n", "user", "create", "--email", "ann@example.com", "--name", "Ann Admin", "--admin", "--password-stdin"); code != 0 {
		t.Fatalf("torii user create ann --admin: %d %s", code, out)
	}
	seedVerifiedUser(t, srv, "Bob Outsider", "bob@example.com", goodPassword)
	ann := srv.Client(t)
	if r := ann.Do("POST", "/api/v1/auth/login", map[string]string{"email": "ann@example.com", "password": goodPassword}); r.Status != http.StatusOK {
		t.Fatalf("ann's sign-in: %d %s", r.Status, r.Body)
	}
	r := ann.Do("POST", "/api/v1/groups", map[string]string{"name": "wiki-users"})
	if r.Status != http.StatusCreated {
		t.Fatalf("create group: %d %s", r.Status, r.Body)
	}
	group := int64(r.JSON()["group"].(map[string]any)["id"].(float64))
	annID := int64(ann.Do("GET", "/api/v1/me", nil).JSON()["user"].(map[string]any)["id"].(float64))
	if r := ann.Do("POST", fmt.Sprintf("/api/v1/groups/%d/members", group), map[string]any{"userId": annID}); r.Status != http.StatusCreated {
		t.Fatalf("add ann to wiki-users: %d %s", r.Status, r.Body)
	}

	upstream := startEchoUpstream(t)
	ln, base := listenProxy(t)
	id, secret := registerClient(t, srv, "--name", "Team Wiki", "--redirect-uri", base+"/oauth2/callback", "--group", "wiki-users")
	proxy := startOAuth2Proxy(t, bin, ln, base, srv.URL, id, secret, upstream.URL)

	t.Run("member", func(t *testing.T) {
		ctx := newBrowser(t)
		open(t, ctx, proxy.URL, "/")
		signInThroughTorii(t, ctx, srv, "ann@example.com", goodPassword)
		// torii's consent page names the app and what it will learn.
		do(t, ctx, "wait for the consent page", chromedp.WaitVisible(chromedp.ID("consent-approve")))
		if txt := text(t, ctx, "main"); !strings.Contains(txt, "Team Wiki") {
			t.Errorf("the consent page does not name the app: %q", txt)
		}
		screenshot(t, ctx, "consent")
		clickAndLoad(t, ctx, chromedp.ID("consent-approve"))
		do(t, ctx, "wait for the upstream", chromedp.WaitVisible(chromedp.ID("email")))
		if loc := get(t, ctx, "location", chromedp.Location()); !strings.HasPrefix(loc, proxy.URL+"/") {
			t.Fatalf("after consent the browser is on %s, want the app at %s", loc, proxy.URL)
		}
		wantText(t, ctx, "#email", "ann@example.com")
		groups := strings.Split(text(t, ctx, "#groups"), ",")
		if !containsString(groups, "wiki-users") {
			t.Errorf("the upstream saw groups %q, want wiki-users among them", groups)
		}
		screenshot(t, ctx, "upstream")
	})

	t.Run("outsider", func(t *testing.T) {
		ctx := newBrowser(t)
		open(t, ctx, proxy.URL, "/")
		signInThroughTorii(t, ctx, srv, "bob@example.com", goodPassword)
		do(t, ctx, "wait for the refusal page", chromedp.WaitVisible(chromedp.ID("oauth-refused")))
		if loc := get(t, ctx, "location", chromedp.Location()); !strings.HasPrefix(loc, srv.URL+"/") {
			t.Errorf("the refusal is shown at %s, want a torii page (no code sent to the app)", loc)
		}
		if txt := text(t, ctx, "#oauth-refused"); !strings.Contains(txt, "Team Wiki") {
			t.Errorf("the refusal page does not name the app: %q", txt)
		}
		screenshot(t, ctx, "refused")
		if upstream.sawEmail("bob@example.com") {
			t.Errorf("a user outside the client's group reached the upstream")
		}
	})
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if strings.TrimSpace(v) == s {
			return true
		}
	}
	return false
}
