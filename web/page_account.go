package web

import (
	"net/http"

	"github.com/toriihq/torii"
)

type accountView struct {
	AuthProvider string
	Identities   []torii.Identity
	Sessions     []torii.Session
	CurrentID    string
}

func (s *Server) accountPage(w http.ResponseWriter, r *http.Request) {
	p, ok := s.pagePrincipal(r)
	if !ok {
		http.Redirect(w, r, loginURL("/account"), http.StatusSeeOther)
		return
	}
	sessions, err := s.svc.Sessions(r.Context(), p)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	view := accountView{
		AuthProvider: p.Profile().AuthProvider(),
		Identities:   p.Identities,
		Sessions:     sessions,
		CurrentID:    p.Session.ID,
	}
	s.render(w, r, http.StatusOK, "account", pageData{Title: "Your account", User: &p.User, IsAdmin: p.IsAdmin(), Data: view})
}

func (s *Server) revokeSessionSubmit(w http.ResponseWriter, r *http.Request) {
	p, ok := s.pagePrincipal(r)
	if !ok {
		http.Redirect(w, r, loginURL("/account"), http.StatusSeeOther)
		return
	}
	if err := parseForm(w, r); err != nil {
		s.renderError(w, r, err)
		return
	}
	id := r.PostForm.Get("id")
	if err := s.svc.RevokeSession(r.Context(), p, id, s.meta(r)); err != nil {
		s.renderError(w, r, err)
		return
	}
	if id == p.Session.ID {
		s.clearSessionCookie(w)
		http.Redirect(w, r, "/login?signed_out=1", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/account", http.StatusSeeOther)
}

func (s *Server) revokeOthersSubmit(w http.ResponseWriter, r *http.Request) {
	p, ok := s.pagePrincipal(r)
	if !ok {
		http.Redirect(w, r, loginURL("/account"), http.StatusSeeOther)
		return
	}
	if err := s.svc.RevokeOtherSessions(r.Context(), p, s.meta(r)); err != nil {
		s.renderError(w, r, err)
		return
	}
	http.Redirect(w, r, "/account", http.StatusSeeOther)
}
