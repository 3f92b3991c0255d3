package web

import (
	"net/http"

	"github.com/toriihq/torii"
)

// Pages of "Sign in with torii" (issue 16) beside the provider's own steps
// (web/page_oauth.go): the clear page for a user torii does not let into an
// app, what an app learns in words, and /account's "Revoke access".

func init() { pageFuncs["appScopes"] = appScopes }

// appScopes names, as catalog keys, what an app learns, for /account.
func appScopes(scopes []string) []string {
	out := []string{}
	for _, s := range scopes {
		switch s {
		case "profile", "email", "groups":
			out = append(out, "apps.learns."+s)
		}
	}
	if len(out) == 0 {
		out = append(out, "apps.learns.openid")
	}
	return out
}

// renderOAuthRefused is the clear page for a user torii does not let into
// an app (inactive, not allowed, not in the app's groups) or a request
// that is gone: it names the app and says why, and no code is sent.
func (s *Server) renderOAuthRefused(w http.ResponseWriter, r *http.Request, c torii.OAuthClient, err error) {
	d := pageData{Title: "apps.refused.title", Data: map[string]any{"App": c.Name, "Code": torii.ErrorCode(err)}}
	s.withViewer(r, &d)
	s.formError(w, r, "oauth_refused", d, err)
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
