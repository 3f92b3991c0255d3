package oidcop_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/service"
	"github.com/toriihq/torii/sqlstore"
	"github.com/toriihq/torii/testserver"
	"github.com/toriihq/torii/testserver/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const password = "correct horse battery staple"

// The relying party's registered redirect URI: nothing listens there; the
// tests stop at the redirect and read the code from it.
const redirectURI = "http://127.0.0.1:1/callback"

// provider is a running torii with an admin's handle on its database.
type provider struct {
	srv *testserver.Server
	st  *sqlstore.Store
	svc *service.Service
}

// backends runs fn on SQLite and, when configured, on PostgreSQL.
func backends(t *testing.T, fn func(t *testing.T, p *provider)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, startProvider(t, nil))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		fn(t, startProvider(t, map[string]string{"TORII_DATABASE": testserver.PostgresDatabase(t)}))
	})
}

func startProvider(t *testing.T, env map[string]string) *provider {
	t.Helper()
	srv := testserver.Start(t, testserver.Options{Env: env})
	return attach(t, srv)
}

// attach opens a second handle on the server's database, for what an admin
// does with the CLI (registering clients, deactivating users).
func attach(t *testing.T, srv *testserver.Server) *provider {
	t.Helper()
	st, err := sqlstore.Open(context.Background(), srv.Database)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &provider{srv: srv, st: st, svc: service.New(service.Options{Store: st, Issuer: srv.URL})}
}

// rp is a registered client.
type rp struct {
	id, secret string
}

func (p *provider) client(t *testing.T, in service.ClientInput) rp {
	t.Helper()
	if in.Name == "" {
		in.Name = "Test App"
	}
	if in.RedirectURIs == nil {
		in.RedirectURIs = []string{redirectURI}
	}
	c, err := p.svc.CreateClient(context.Background(), in, service.CLI)
	if err != nil {
		t.Fatal(err)
	}
	return rp{id: c.Client.ID, secret: c.Secret}
}

// browser is a user agent with a cookie jar that does not follow
// redirects on its own.
type browser struct {
	t    *testing.T
	base string
	http *http.Client
}

func (p *provider) browser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: p.srv.URL, http: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// user registers a password user in a fresh browser (signed in) and
// returns both.
func (p *provider) user(t *testing.T, email string) (*browser, torii.User) {
	t.Helper()
	b := p.browser(t)
	resp := b.do("POST", b.base+"/api/v1/auth/register", "application/json",
		`{"email":"`+email+`","password":"`+password+`","name":"Ann Example"}`)
	if resp.status != http.StatusCreated {
		t.Fatalf("register: %d %s", resp.status, resp.body)
	}
	u, err := p.st.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return b, u
}

type response struct {
	status int
	header http.Header
	body   string
	url    string
}

func (b *browser) do(method, u, ctype, body string) response {
	b.t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		b.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := b.http.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: string(data), url: u}
}

var metaRefresh = regexp.MustCompile(`http-equiv="refresh" content="0;url=([^"]+)"`)

// follow walks from u through redirects and torii's hand-off page until
// the browser is sent to the relying party (returned as the final URL) or
// stops on a page of torii's (returned as the response).
func (b *browser) follow(u string) (*url.URL, response) {
	b.t.Helper()
	for range 15 {
		r := b.do("GET", u, "", "")
		next := ""
		switch {
		case r.status >= 300 && r.status < 400:
			next = r.header.Get("Location")
		case r.status == http.StatusOK && metaRefresh.MatchString(r.body):
			next = htmlUnescape(metaRefresh.FindStringSubmatch(r.body)[1])
		default:
			return nil, r
		}
		loc, err := url.Parse(u)
		if err != nil {
			b.t.Fatal(err)
		}
		nu, err := loc.Parse(next)
		if err != nil {
			b.t.Fatal(err)
		}
		if !strings.HasPrefix(nu.String(), b.base) {
			return nu, r
		}
		u = nu.String()
	}
	b.t.Fatal("too many redirects")
	return nil, response{}
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&amp;", "&", "&#43;", "+", "&#39;", "'", "&quot;", `"`, "&lt;", "<", "&gt;", ">").Replace(s)
}

// pkce is a verifier and its S256 challenge.
type pkce struct{ verifier, challenge string }

func newPKCE(seed string) pkce {
	v := strings.Repeat("v", 43) + seed
	sum := sha256.Sum256([]byte(v))
	return pkce{verifier: v, challenge: base64.RawURLEncoding.EncodeToString(sum[:])}
}

// authorizeURL builds an authorization request with the usual parameters;
// extra overrides them ("" deletes one).
func (p *provider) authorizeURL(c rp, pk pkce, extra map[string]string) string {
	q := url.Values{"client_id": {c.id}, "redirect_uri": {redirectURI}, "response_type": {"code"},
		"scope": {"openid profile email"}, "state": {"st-123"}, "nonce": {"n-456"},
		"code_challenge": {pk.challenge}, "code_challenge_method": {"S256"}}
	for k, v := range extra {
		if v == "" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
	}
	return p.srv.URL + "/oauth2/authorize?" + q.Encode()
}

// tokenAnswer is the token endpoint's JSON.
type tokenAnswer struct {
	AccessToken  string `json:"access_token"`
	IDToken      string `json:"id_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	Error        string `json:"error"`
}

// token posts a token request with client_secret_basic (when secret is
// set) and returns the status and answer.
func (p *provider) token(t *testing.T, c rp, form url.Values) (int, tokenAnswer) {
	t.Helper()
	req, _ := http.NewRequest("POST", p.srv.URL+"/oauth2/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if c.secret != "" {
		req.SetBasicAuth(url.QueryEscape(c.id), url.QueryEscape(c.secret))
	} else {
		form.Set("client_id", c.id)
		req.Body = io.NopCloser(strings.NewReader(form.Encode()))
		req.ContentLength = int64(len(form.Encode()))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a tokenAnswer
	_ = json.NewDecoder(resp.Body).Decode(&a)
	return resp.StatusCode, a
}

func codeGrant(code string, pk pkce) url.Values {
	return url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirectURI}, "code_verifier": {pk.verifier}}
}

// codeFor runs the browser through an authorization request and returns
// the code (failing unless the browser lands on the redirect URI with one
// and the state echoed).
func (p *provider) codeFor(t *testing.T, b *browser, c rp, pk pkce, extra map[string]string) string {
	t.Helper()
	final, r := b.follow(p.authorizeURL(c, pk, extra))
	if final == nil {
		t.Fatalf("authorization stopped at %s: %d %.300s", r.url, r.status, r.body)
	}
	code := final.Query().Get("code")
	if code == "" || final.Query().Get("state") != "st-123" {
		t.Fatalf("redirect %s: no code or state not echoed", final)
	}
	return code
}

// verifier checks ID tokens against the provider's JWKS (go-oidc's
// RemoteKeySet) for client c.
func (p *provider) verifier(t *testing.T, c rp) *oidc.IDTokenVerifier {
	t.Helper()
	prov, err := oidc.NewProvider(context.Background(), p.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return prov.Verifier(&oidc.Config{ClientID: c.id})
}

// userinfo calls /oauth2/userinfo in one of the ways the spec allows.
func (p *provider) userinfo(t *testing.T, how, token string) (int, map[string]any) {
	t.Helper()
	var req *http.Request
	switch how {
	case "GET header":
		req, _ = http.NewRequest("GET", p.srv.URL+"/oauth2/userinfo", nil)
		req.Header.Set("Authorization", "Bearer "+token)
	case "POST header":
		req, _ = http.NewRequest("POST", p.srv.URL+"/oauth2/userinfo", nil)
		req.Header.Set("Authorization", "Bearer "+token)
	case "POST body":
		req, _ = http.NewRequest("POST", p.srv.URL+"/oauth2/userinfo", strings.NewReader("access_token="+url.QueryEscape(token)))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

func sub(u torii.User) string { return strconv.FormatInt(u.ID, 10) }
