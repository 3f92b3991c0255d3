package devidp_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/toriihq/torii/devidp"
)

func start(t *testing.T) (*devidp.Provider, *httptest.Server) {
	t.Helper()
	p, err := devidp.New(devidp.Options{Clients: []devidp.Client{{ID: "c", Secret: "s"}}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	p.SetIssuer(srv.URL)
	return p, srv
}

var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

const verifier = "a-verifier-that-is-long-enough-for-pkce-0123456789"

func challenge(v string) string {
	sum := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// authorize picks a user and returns the code.
func authorize(t *testing.T, srv *httptest.Server, extra url.Values) string {
	t.Helper()
	form := url.Values{"client_id": {"c"}, "redirect_uri": {"http://127.0.0.1:1/cb"}, "response_type": {"code"},
		"scope": {"openid email"}, "state": {"st"}, "nonce": {"n"}, "code_challenge": {challenge(verifier)},
		"code_challenge_method": {"S256"}, "email": {"ada@example.com"}, "email_verified": {"on"}}
	for k, v := range extra {
		form[k] = v
	}
	resp, err := noRedirects.PostForm(srv.URL+"/authorize", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || loc.Query().Get("state") != "st" {
		t.Fatalf("authorize: %d %s", resp.StatusCode, loc)
	}
	return loc.Query().Get("code")
}

func redeem(srv *httptest.Server, code, v, secret string) (int, map[string]any) {
	resp, err := http.PostForm(srv.URL+"/token", url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {"http://127.0.0.1:1/cb"}, "code_verifier": {v}, "client_id": {"c"}, "client_secret": {secret}})
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

func TestToken_ChecksPKCEAndSecretAndCodesWorkOnce(t *testing.T) {
	_, srv := start(t)
	code := authorize(t, srv, nil)
	if st, m := redeem(srv, code, "wrong-verifier-wrong-verifier-wrong-verifier-000", "s"); st != 400 || m["error"] != "invalid_grant" {
		t.Fatalf("wrong verifier: %d %v", st, m)
	}
	code = authorize(t, srv, nil)
	if st, m := redeem(srv, code, verifier, "bad"); st != 401 || m["error"] != "invalid_client" {
		t.Fatalf("wrong secret: %d %v", st, m)
	}
	code = authorize(t, srv, nil)
	st, m := redeem(srv, code, verifier, "s")
	if st != 200 || m["id_token"] == nil || m["access_token"] == nil {
		t.Fatalf("redeem: %d %v", st, m)
	}
	if st, _ := redeem(srv, code, verifier, "s"); st != 400 {
		t.Fatalf("second redeem: %d", st)
	}
	// userinfo answers for the access token.
	req, _ := http.NewRequest("GET", srv.URL+"/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+m["access_token"].(string))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var info map[string]any
	json.NewDecoder(resp.Body).Decode(&info)
	if info["email"] != "ada@example.com" || info["sub"] != devidp.SubjectFor("ada@example.com") {
		t.Fatalf("userinfo: %v", info)
	}
}

func TestAuthorize_RequiresS256AndAKnownClient(t *testing.T) {
	_, srv := start(t)
	q := url.Values{"client_id": {"c"}, "redirect_uri": {"http://127.0.0.1:1/cb"}, "response_type": {"code"},
		"scope": {"openid"}, "state": {"st"}, "code_challenge": {"x"}, "code_challenge_method": {"plain"}}
	resp, _ := noRedirects.Get(srv.URL + "/authorize?" + q.Encode())
	if loc := resp.Header.Get("Location"); !strings.Contains(loc, "error=invalid_request") {
		t.Fatalf("plain PKCE: %d %s", resp.StatusCode, loc)
	}
	q.Set("client_id", "unknown")
	resp, _ = noRedirects.Get(srv.URL + "/authorize?" + q.Encode())
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
		t.Fatalf("unknown client: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestAuthorizePage_OffersUsersAndAForm(t *testing.T) {
	_, srv := start(t)
	q := url.Values{"client_id": {"c"}, "redirect_uri": {"http://127.0.0.1:1/cb"}, "response_type": {"code"},
		"scope": {"openid"}, "state": {"st"}, "code_challenge": {challenge(verifier)}, "code_challenge_method": {"S256"}}
	resp, err := http.Get(srv.URL + "/authorize?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 1<<16)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	for _, want := range []string{`id="user-0"`, "ada@example.com", "email not verified", `name="email_verified"`, `id="cancel"`} {
		if !strings.Contains(b.String(), want) {
			t.Fatalf("page lacks %q", want)
		}
	}
}
