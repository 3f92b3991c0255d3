package web

import (
	"net/http"
	"net/url"
)

// The first-run setup page (service/setup.go): the link the server logs
// at start while no admin exists. Opening it never changes anything; a
// signed-in user confirms with a POST (covered by the cross-origin
// protection), which makes them the first admin.

type setupView struct {
	Token string
	Email string
	Next  string
}

func (s *Server) setupPage(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	if err := s.svc.CheckSetup(r.Context(), token); err != nil {
		s.renderError(w, r, err)
		return
	}
	v := setupView{Token: token, Next: "/setup?token=" + url.QueryEscape(token)}
	if p, ok := s.pagePrincipal(r); ok {
		v.Email = p.User.Email
	}
	s.render(w, r, http.StatusOK, "setup", pageData{Title: "setup.title", Data: v})
}

func (s *Server) setupSubmit(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		s.renderError(w, r, err)
		return
	}
	token := r.PostForm.Get("token")
	p, ok := s.pagePrincipal(r)
	if !ok {
		http.Redirect(w, r, loginURL("/setup?token="+url.QueryEscape(token)), http.StatusSeeOther)
		return
	}
	if err := s.svc.ClaimSetup(r.Context(), p, token, s.meta(r)); err != nil {
		s.renderError(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin", http.StatusSeeOther)
}
