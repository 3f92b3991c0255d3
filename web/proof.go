package web

import (
	"net/http"
	"strings"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/service"
)

// waitingMay lists the API routes an account waiting for its address to
// be confirmed may still call: who am I, sign out, and ask for or consume
// the confirmation. Every other authenticated route answers 403
// EMAIL_NOT_VERIFIED (api.md "What counts as a verified address").
// GET /api/v1/auth/config and POST /api/v1/auth/verify-email need no
// sign-in at all.
var waitingMay = map[string]bool{
	"GET /api/v1/me":               true,
	"POST /api/v1/auth/logout":     true,
	"POST /api/v1/me/verify-email": true,
}

// gateWaiting refuses a waiting principal on every route but waitingMay.
// r.Pattern is the route the mux matched.
func gateWaiting(r *http.Request, p service.Principal) error {
	if waitingMay[r.Pattern] {
		return nil
	}
	return p.WaitingErr()
}

// waitingPage reports whether path is a page that a waiting account must
// not see (chat, account, admin and their forms): it sees the waiting page
// instead.
func waitingPage(path string) bool {
	switch {
	case path == "/", path == "/account", path == "/admin", path == "/auth/google/link":
		return true
	case path == "/account/verify-email":
		return false // the waiting page's own form: ask for the link again
	case strings.HasPrefix(path, "/account/"), strings.HasPrefix(path, "/admin/"):
		return true
	}
	return false
}

// waitingPages shows the waiting page, instead of any page waitingPage
// names, to a signed-in account that waits for its address to be
// confirmed.
func (s *Server) waitingPages(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !waitingPage(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		if c, err := r.Cookie(s.opts.CookieName); err != nil || c.Value == "" {
			next.ServeHTTP(w, r)
			return
		}
		p, err := s.principal(r)
		if err != nil || !p.Waiting {
			next.ServeHTTP(w, r)
			return
		}
		s.render(w, r, http.StatusForbidden, "waiting", pageData{Title: "waiting.title", User: &p.User})
	})
}

type reauthJSON struct {
	Password string `json:"password"`
}

// reauth is POST /api/v1/me/reauth {"password"}: the signed-in user
// proves who they are again, so lasting changes are allowed for
// the re-authentication window (service.reauthWindow, 10 minutes). 204.
func (s *Server) reauth(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	var in reauthJSON
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := s.svc.Reauthenticate(r.Context(), p, in.Password, s.meta(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// accountReauthSubmit is POST /account/reauth, the password form /account
// shows when a change answered REAUTH_REQUIRED.
func (s *Server) accountReauthSubmit(w http.ResponseWriter, r *http.Request) {
	p, ok := s.accountForm(w, r)
	if !ok {
		return
	}
	if err := s.svc.Reauthenticate(r.Context(), p, r.PostForm.Get("password"), s.meta(r)); err != nil {
		s.accountError(w, r, p, err)
		return
	}
	http.Redirect(w, r, "/account?reauthed=1", http.StatusSeeOther)
}

// googleReauthStart is POST /auth/google/reauth: a code flow whose callback
// refreshes the session's sign-in time, if the identity the provider
// returns is already linked to this user.
func (s *Server) googleReauthStart(w http.ResponseWriter, r *http.Request) {
	p, ok := s.pagePrincipal(r)
	if !ok {
		http.Redirect(w, r, loginURL("/account"), http.StatusSeeOther)
		return
	}
	start, err := s.svc.StartGoogleReauth(r.Context(), p, "/account?reauthed=1", cookieValue(r, s.cookieName(bindingCookie)), s.meta(r))
	if err != nil {
		s.googleError(w, r, err)
		return
	}
	s.setBindingCookie(w, start.Binding)
	http.Redirect(w, r, start.URL, http.StatusSeeOther)
}

// isReauth reports whether err asks the user to prove who they are again.
func isReauth(err error) bool { return torii.IsCode(err, torii.EReauthRequired) }
