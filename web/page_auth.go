package web

import (
	"net/http"
	"net/url"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/service"
)

// maxFormBody bounds page form posts, like maxJSONBody for the API.
const maxFormBody = 64 << 10

// pagePrincipal returns the signed-in principal of a page request, if any.
func (s *Server) pagePrincipal(r *http.Request) (service.Principal, bool) {
	p, err := s.principal(r)
	return p, err == nil
}

// withViewer puts the signed-in reader, if any, in a page that anyone may
// open (its header then shows the navigation).
func (s *Server) withViewer(r *http.Request, d *pageData) {
	if p, ok := s.pagePrincipal(r); ok {
		d.User, d.IsAdmin = &p.User, p.IsAdmin()
	}
}

// parseForm reads a bounded form body.
func parseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil {
		return torii.Errorf(torii.EBadRequest, "The form could not be read.")
	}
	// A field that is not UTF-8 text is refused (web/utf8.go).
	return checkValues(r.PostForm)
}

func loginURL(next string) string {
	if next == "/" || next == "" {
		return "/login"
	}
	return "/login?next=" + url.QueryEscape(next)
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.URL.Query().Get("next"))
	// prompt=login: an app asked for a fresh sign-in (page_oauth.go), so
	// the form shows even to a signed-in user.
	if _, ok := s.pagePrincipal(r); ok && r.URL.Query().Get("prompt") != "login" {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	d := pageData{Title: "login.title", Next: next, GoogleAction: "google.signIn"}
	if r.URL.Query().Has("signed_out") {
		d.Notice = "login.notice.signedOut"
	} else if r.URL.Query().Has("deleted") {
		d.Notice = "recover.login.deleted"
	}
	s.render(w, r, http.StatusOK, "login", d)
}

func (s *Server) loginSubmit(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		s.renderError(w, r, err)
		return
	}
	next := safeNext(r.PostForm.Get("next"))
	email := r.PostForm.Get("email")
	res, err := s.svc.Login(r.Context(), email, r.PostForm.Get("password"), s.meta(r))
	s.metrics.signIn("password", resultOf(err))
	if err != nil {
		s.formError(w, r, "login", pageData{Title: "login.title", Next: next, GoogleAction: "google.signIn", Form: map[string]string{"email": email}}, err)
		return
	}
	s.setSessionCookie(w, res.Token)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) registerPage(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.URL.Query().Get("next"))
	if _, ok := s.pagePrincipal(r); ok {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	d := pageData{Title: "register.title", Next: next, GoogleAction: "google.signUp"}
	if credential := cookieValue(r, s.pendingCookieName()); credential != "" && s.svc.GoogleEnabled() {
		claims, err := s.svc.PendingGoogle(r.Context(), credential)
		if err == nil {
			d.Data = registerView{Pending: &claims}
			d.Form = map[string]string{"name": claims.Name}
		} else {
			s.clearCookie(w, s.pendingCookieName())
			d.Notice = "register.notice.expired"
		}
	}
	s.render(w, r, http.StatusOK, "register", d)
}

func (s *Server) registerSubmit(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		s.renderError(w, r, err)
		return
	}
	next := safeNext(r.PostForm.Get("next"))
	in := service.RegisterInput{Email: r.PostForm.Get("email"), Name: r.PostForm.Get("name"),
		Password: r.PostForm.Get("password"), CompanyName: r.PostForm.Get("companyName")}
	res, err := s.svc.Register(r.Context(), in, s.meta(r))
	s.metrics.signIn("register", resultOf(err))
	if err != nil {
		form := map[string]string{"email": in.Email, "name": in.Name, "companyName": in.CompanyName}
		s.formError(w, r, "register", pageData{Title: "register.title", Next: next, GoogleAction: "google.signUp", Form: form}, err)
		return
	}
	s.setSessionCookie(w, res.Token)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// formError re-renders a form page with the error: field messages next to
// their inputs, anything else above the form.
func (s *Server) formError(w http.ResponseWriter, r *http.Request, page string, d pageData, err error) {
	if status, ok := s.formFailure(w, r, &d, err); ok {
		s.render(w, r, status, page, d)
	}
}

func (s *Server) logoutSubmit(w http.ResponseWriter, r *http.Request) {
	if p, ok := s.pagePrincipal(r); ok {
		if err := s.svc.Logout(r.Context(), p, s.meta(r)); err != nil {
			s.renderError(w, r, err)
			return
		}
	}
	s.clearSessionCookie(w)
	http.Redirect(w, r, "/login?signed_out=1", http.StatusSeeOther)
}
