package web

import (
	"html/template"
	"net/http"
	"net/url"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/oidcop"
	"github.com/toriihq/torii/service"
)

// torii's own steps of "Sign in with torii" (issue 16), between the
// library's /oauth2/authorize and its callback that issues the code:
//
//	GET  /oauth2/continue?id=…  sign-in (via /login?next=…), torii's rules
//	                            (a clear page when the user may not enter),
//	                            then consent or the hand-off to the app.
//	GET  /oauth2/consent?id=…   the consent page;
//	POST /oauth2/consent        id, decision=approve|deny.
//
// The consent page is deliberately plain: the client administration work
// (branch oprp) owns its final form. Whatever replaces it must call
// service.ConsentAuthRequest and finish with s.oauthHandOff (approve) or
// s.op.Fail(…, oidcop.ErrAccessDenied()) (deny), as oauthConsentSubmit does.

// oauthContinue is every client's LoginURL.
func (s *Server) oauthContinue(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("id")
	var pp *service.Principal
	p, perr := s.principal(r)
	if perr == nil && p.Session.ID != "" {
		pp = &p
	}
	d, err := s.svc.ContinueAuthRequest(r.Context(), id, pp)
	if err == nil && d.Step == service.StepLogin && signedInButRefused(perr) {
		// A signed-in user the server refuses (not on the allowlist,
		// address not yet proved) gets the page that says why, not a
		// sign-in form that would only refuse again.
		err = perr
	}
	if err != nil {
		if d.Request.ID != "" && d.NoPrompt {
			s.op.Fail(w, r, d.Request, oidcop.ErrAccessDenied().WithDescription("%s", err.Error()))
			return
		}
		// Inactive, not allowed, not in the client's groups, expired:
		// a page that says so, never a bare protocol code.
		s.renderOAuthRefused(w, r, d.Client, err) // oprp: a page naming the app (page_consent.go)
		return
	}
	switch d.Step {
	case service.StepLogin:
		if d.NoPrompt {
			s.op.Fail(w, r, d.Request, oidcop.ErrLoginRequired())
			return
		}
		login := "/login?next=" + url.QueryEscape(oidcop.ContinuePath+"?id="+url.QueryEscape(id))
		if d.ForceLogin {
			login += "&prompt=login"
		}
		http.Redirect(w, r, login, http.StatusSeeOther)
	case service.StepConsent:
		if d.NoPrompt {
			s.op.Fail(w, r, d.Request, oidcop.ErrConsentRequired())
			return
		}
		http.Redirect(w, r, oidcop.ConsentPath+"?id="+url.QueryEscape(id), http.StatusSeeOther)
	default:
		s.oauthHandOff(w, r, d)
	}
}

// consentView is the consent page's data.
type consentView struct {
	ID     string
	Client string
	Learns []string
}

// scopeTexts says, per scope, what the app learns: catalog keys
// (i18n/locales/provider.*.toml, oprp).
var scopeTexts = map[string]string{
	service.ScopeOpenID:        "apps.scope.openid",
	service.ScopeProfile:       "apps.scope.profile",
	service.ScopeEmail:         "apps.scope.email",
	service.ScopeGroups:        "apps.scope.groups",
	service.ScopeOfflineAccess: "apps.scope.offline_access",
}

func (s *Server) oauthConsentPage(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("id")
	p, ok := s.pagePrincipal(r)
	if !ok || p.Session.ID == "" {
		http.Redirect(w, r, oidcop.ContinuePath+"?id="+url.QueryEscape(id), http.StatusSeeOther)
		return
	}
	d, err := s.svc.ContinueAuthRequest(r.Context(), id, &p)
	if err != nil {
		s.renderOAuthRefused(w, r, d.Client, err) // oprp: a page naming the app (page_consent.go)
		return
	}
	if d.Step != service.StepConsent {
		http.Redirect(w, r, oidcop.ContinuePath+"?id="+url.QueryEscape(id), http.StatusSeeOther)
		return
	}
	v := consentView{ID: id, Client: d.Client.Name}
	for _, sc := range d.Request.Scopes {
		if t, ok := scopeTexts[sc]; ok {
			v.Learns = append(v.Learns, t)
		}
	}
	s.render(w, r, http.StatusOK, "oauth_consent", pageData{Title: "apps.consent.title", User: &p.User, IsAdmin: p.IsAdmin(), Data: v})
}

func (s *Server) oauthConsentSubmit(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		s.renderError(w, r, err)
		return
	}
	id := r.PostForm.Get("id")
	p, ok := s.pagePrincipal(r)
	if !ok || p.Session.ID == "" {
		http.Redirect(w, r, oidcop.ContinuePath+"?id="+url.QueryEscape(id), http.StatusSeeOther)
		return
	}
	approve := r.PostForm.Get("decision") == "approve"
	d, err := s.svc.ConsentAuthRequest(r.Context(), id, p, approve, s.meta(r))
	if err != nil {
		s.renderOAuthRefused(w, r, d.Client, err) // oprp: a page naming the app (page_consent.go)
		return
	}
	switch {
	case d.Step == service.StepDone:
		s.oauthHandOff(w, r, d)
	case !approve:
		s.op.Fail(w, r, d.Request, oidcop.ErrAccessDenied().WithDescription("The user refused."))
	default:
		http.Redirect(w, r, oidcop.ContinuePath+"?id="+url.QueryEscape(id), http.StatusSeeOther)
	}
}

// handOffPage sends the browser on to the library's callback (which
// redirects to the app with the code) by a fresh navigation: a redirect
// chain that started with a form post (sign-in, consent) would be held to
// the page's CSP form-action 'self' and stopped at the app's origin.
var handOffPage = template.Must(template.New("handoff").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8">
<meta http-equiv="refresh" content="0;url={{.URL}}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} · torii</title>
<link rel="stylesheet" href="/static/style.css"></head>
<body><main id="main"><section class="card auth">
<p>{{.SigningIn}}</p>
<p><a id="oauth-continue" href="{{.URL}}">{{.Continue}}</a></p>
</section></main></body></html>`))

func (s *Server) oauthHandOff(w http.ResponseWriter, r *http.Request, d service.AuthDecision) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	var u *torii.User
	if p, ok := s.pagePrincipal(r); ok {
		u = &p.User
	}
	l := s.localizer(r, u)
	_ = handOffPage.Execute(w, map[string]any{
		"Lang":      l.Lang(),
		"URL":       s.op.CallbackURL(d.Request.ID),
		"Title":     l.T("apps.handoff.title", "App", d.Client.Name),
		"SigningIn": l.HTML("apps.handoff.signingIn", "App", d.Client.Name),
		"Continue":  l.T("apps.handoff.continue", "App", d.Client.Name),
	})
}

// oauthSession gives the provider the browser's torii session (for
// RP-initiated logout).
func (s *Server) oauthSession(r *http.Request) (string, service.Meta) {
	return cookieValue(r, s.opts.CookieName), s.meta(r)
}

// signedInButRefused reports whether err is the refusal of a valid
// session (as opposed to no session at all).
func signedInButRefused(err error) bool {
	return torii.IsCode(err, torii.ENotAllowed) || torii.IsCode(err, torii.EEmailNotVerified)
}
