package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/toriihq/torii"
)

// The consent page of torii as an OpenID Provider (issue 16): it names the
// app and what it will learn; "Allow" lets the authorization go on to its
// code, "Cancel" tells the app access_denied. And /account's "Revoke
// access" for an app.

// consentCallback is where an approved request goes on: the provider's
// callback, which issues the code (zitadel/oidc op.AuthCallbackURL).
func consentCallback(id string) string { return "/authorize/callback?id=" + url.QueryEscape(id) }

// consentPath is the consent page for an authorization request, where the
// provider sends the browser when service.ConsentNeeded says so.
func consentPath(id string) string { return "/oauth/consent?id=" + url.QueryEscape(id) }

func init() {
	pageFuncs["scopeText"] = scopeText
	pageFuncs["scopeSummary"] = scopeSummary
}

// scopeText says what a scope tells the app, for the consent page.
func scopeText(scope string) string {
	switch scope {
	case "openid":
		return "That you are signed in, with an identifier of your torii account that never changes"
	case "profile":
		return "Your name, your picture and your roles in torii"
	case "email":
		return "Your email address"
	case "groups":
		return "The names of the groups you belong to"
	case "offline_access":
		return "It may stay signed in while you are away, until you revoke its access"
	}
	return ""
}

// scopeSummary is a short list for /account ("name, email, groups").
func scopeSummary(scopes []string) string {
	var parts []string
	for _, s := range scopes {
		switch s {
		case "profile":
			parts = append(parts, "name")
		case "email", "groups":
			parts = append(parts, s)
		}
	}
	if len(parts) == 0 {
		return "who you are"
	}
	return strings.Join(parts, ", ")
}

// consentPage is GET /oauth/consent?id=.
func (s *Server) consentPage(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("id")
	p, ok := s.pagePrincipal(r)
	if !ok {
		http.Redirect(w, r, loginURL(consentPath(id)), http.StatusSeeOther)
		return
	}
	v, err := s.svc.ConsentRequest(r.Context(), p, id)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "consent", pageData{Title: "Sign in to " + v.Client.Name, User: &p.User, IsAdmin: p.IsAdmin(), Data: v})
}

// consentSubmit is POST /oauth/consent {id, decision: allow|deny}.
func (s *Server) consentSubmit(w http.ResponseWriter, r *http.Request) {
	p, ok := s.pagePrincipal(r)
	if !ok {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	if err := parseForm(w, r); err != nil {
		s.renderError(w, r, err)
		return
	}
	id := r.PostForm.Get("id")
	if r.PostForm.Get("decision") != "allow" {
		req, err := s.svc.DenyConsent(r.Context(), p, id)
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		http.Redirect(w, r, deniedURL(req), http.StatusSeeOther)
		return
	}
	if _, err := s.svc.ApproveConsent(r.Context(), p, id, s.meta(r)); err != nil {
		s.renderError(w, r, err)
		return
	}
	http.Redirect(w, r, consentCallback(id), http.StatusSeeOther)
}

// deniedURL tells the app the user said no: its registered redirect URI
// (the request's, checked when the request was made) with
// error=access_denied and the app's state (RFC 6749 §4.1.2.1), in the
// query or, for response_mode=fragment, the fragment.
func deniedURL(req torii.OAuthAuthRequest) string {
	u, err := url.Parse(req.RedirectURI)
	if err != nil {
		return "/"
	}
	v := url.Values{"error": {"access_denied"}, "error_description": {"The user declined."}}
	if req.State != "" {
		v.Set("state", req.State)
	}
	if req.ResponseMode == "fragment" {
		u.Fragment = v.Encode()
	} else {
		q := u.Query()
		for k, vs := range v {
			q[k] = vs
		}
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// accountAppRevokeSubmit is POST /account/apps/revoke {clientId}.
func (s *Server) accountAppRevokeSubmit(w http.ResponseWriter, r *http.Request) {
	p, ok := s.accountForm(w, r)
	if !ok {
		return
	}
	if err := s.svc.RevokeApp(r.Context(), p, r.PostForm.Get("clientId"), s.meta(r)); err != nil {
		var d pageData
		if status, ok := s.formFailure(w, r, &d, err); ok {
			s.renderAccount(w, r, p, status, d)
		}
		return
	}
	http.Redirect(w, r, "/account?revoked-app=1", http.StatusSeeOther)
}
