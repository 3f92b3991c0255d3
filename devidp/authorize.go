package devidp

import (
	_ "embed"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

//go:embed page.html
var pageHTML string

var page = template.Must(template.New("page").Parse(pageHTML))

// authRequest is an authorization request, validated.
type authRequest struct {
	ClientID      string
	RedirectURI   string
	State         string
	Nonce         string
	Challenge     string
	ChallengeMeth string
	Scope         string
}

// authCode is an issued, not yet redeemed authorization code.
type authCode struct {
	req     authRequest
	user    User
	expires time.Time
}

// parseAuthRequest validates an authorization request. A bad client or
// redirect URI is shown on the page (never redirected to, RFC 6749
// §4.1.2.1); other errors go back to the client as `error=`.
func (p *Provider) parseAuthRequest(v url.Values) (authRequest, string, string) {
	req := authRequest{
		ClientID: v.Get("client_id"), RedirectURI: v.Get("redirect_uri"), State: v.Get("state"),
		Nonce: v.Get("nonce"), Challenge: v.Get("code_challenge"), ChallengeMeth: v.Get("code_challenge_method"),
		Scope: v.Get("scope"),
	}
	c, ok := p.client(req.ClientID)
	if !ok {
		return req, "Unknown client_id " + req.ClientID + ".", ""
	}
	u, err := url.Parse(req.RedirectURI)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Fragment != "" ||
		(len(c.RedirectURIs) > 0 && !slices.Contains(c.RedirectURIs, req.RedirectURI)) {
		return req, "The redirect_uri is not registered for this client.", ""
	}
	switch {
	case v.Get("response_type") != "code":
		return req, "", "unsupported_response_type"
	case !slices.Contains(strings.Fields(req.Scope), "openid"):
		return req, "", "invalid_scope"
	case req.Challenge == "" || req.ChallengeMeth != "S256":
		// PKCE with S256 is required: the provider is strict so that
		// tests catch a client that forgets it.
		return req, "", "invalid_request"
	}
	return req, "", ""
}

func (p *Provider) authorizePage(w http.ResponseWriter, r *http.Request) {
	req, pageErr, redirErr := p.parseAuthRequest(r.URL.Query())
	if pageErr != "" {
		p.render(w, http.StatusBadRequest, pageData{Error: pageErr})
		return
	}
	if redirErr != "" {
		redirectBack(w, r, req, url.Values{"error": {redirErr}})
		return
	}
	p.render(w, http.StatusOK, pageData{Req: req, Users: p.opts.Users, Issuer: p.Issuer()})
}

func (p *Provider) authorizeSubmit(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		p.render(w, http.StatusBadRequest, pageData{Error: "The form could not be read."})
		return
	}
	req, pageErr, redirErr := p.parseAuthRequest(r.PostForm)
	if pageErr != "" {
		p.render(w, http.StatusBadRequest, pageData{Error: pageErr})
		return
	}
	if redirErr != "" {
		redirectBack(w, r, req, url.Values{"error": {redirErr}})
		return
	}
	if r.PostForm.Get("action") == "cancel" {
		redirectBack(w, r, req, url.Values{"error": {"access_denied"}, "error_description": {"The user cancelled."}})
		return
	}
	email := strings.TrimSpace(r.PostForm.Get("email"))
	if email == "" {
		p.render(w, http.StatusUnprocessableEntity, pageData{Req: req, Users: p.opts.Users, Issuer: p.Issuer(),
			Error: "Type an email, or pick one of the users."})
		return
	}
	u := User{
		Email:         email,
		Name:          strings.TrimSpace(r.PostForm.Get("name")),
		Subject:       strings.TrimSpace(r.PostForm.Get("sub")),
		EmailVerified: r.PostForm.Get("email_verified") != "",
		HostedDomain:  strings.TrimSpace(r.PostForm.Get("hd")),
	}
	if u.Subject == "" {
		u.Subject = SubjectFor(u.Email)
	}
	code := randomString(24)
	p.mu.Lock()
	p.codes[code] = &authCode{req: req, user: u, expires: p.opts.Now().Add(codeTTL)}
	p.mu.Unlock()
	p.opts.Logger.Info("dev-idp: signed in", "email", u.Email, "sub", u.Subject, "email_verified", u.EmailVerified)
	redirectBack(w, r, req, url.Values{"code": {code}})
}

// redirectBack sends the browser to the client's redirect URI with params,
// the state and the issuer (RFC 9207).
func redirectBack(w http.ResponseWriter, r *http.Request, req authRequest, params url.Values) {
	u, _ := url.Parse(req.RedirectURI)
	q := u.Query()
	for k, v := range params {
		q[k] = v
	}
	if req.State != "" {
		q.Set("state", req.State)
	}
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
}

type pageData struct {
	Req    authRequest
	Users  []User
	Issuer string
	Error  string
}

func (p *Provider) render(w http.ResponseWriter, status int, d pageData) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action *; frame-ancestors 'none'")
	w.WriteHeader(status)
	_ = page.Execute(w, d)
}

func (p *Provider) home(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("torii dev-idp: an OpenID provider for development.\nDiscovery: " +
		p.Issuer() + "/.well-known/openid-configuration\n"))
}
