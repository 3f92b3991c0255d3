package web

import (
	"net/http"
)

// The profile's pages (issue 19): /account's name and address forms, and
// the page the change link leads to.

// accountNameSubmit is POST /account/name {name}.
func (s *Server) accountNameSubmit(w http.ResponseWriter, r *http.Request) {
	p, ok := s.accountForm(w, r)
	if !ok {
		return
	}
	u, err := s.svc.UpdateName(r.Context(), p, r.PostForm.Get("name"), s.meta(r))
	if err != nil {
		s.accountError(w, r, p, err)
		return
	}
	p.User = u
	s.renderAccount(w, r, p, http.StatusOK, pageData{Notice: "recover.account.renamed"})
}

// accountEmailSubmit is POST /account/email {email}.
func (s *Server) accountEmailSubmit(w http.ResponseWriter, r *http.Request) {
	p, ok := s.accountForm(w, r)
	if !ok {
		return
	}
	email := r.PostForm.Get("email")
	if err := s.svc.RequestEmailChange(r.Context(), p, email, s.meta(r)); err != nil {
		d := pageData{err: err, Form: map[string]string{"email": email}}
		if status, ok := s.formFailure(w, r, &d, err); ok {
			s.renderAccount(w, r, p, status, d)
		}
		return
	}
	s.renderAccount(w, r, p, http.StatusOK, pageData{Notice: "recover.account.emailSent"})
}

// confirmEmailPage is GET /confirm-email?token=…: a button only, since
// mail scanners fetch links.
func (s *Server) confirmEmailPage(w http.ResponseWriter, r *http.Request) {
	d := pageData{Title: "recover.confirmEmail.title", Data: verifyView{Token: r.URL.Query().Get("token")}}
	s.withViewer(r, &d)
	s.render(w, r, http.StatusOK, "confirm_email", d)
}

// confirmEmailSubmit is POST /confirm-email {token}.
func (s *Server) confirmEmailSubmit(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		s.renderError(w, r, err)
		return
	}
	u, err := s.svc.ConfirmEmailChange(r.Context(), r.PostForm.Get("token"), s.meta(r))
	d := pageData{Title: "recover.confirmEmail.title", Data: verifyView{}}
	if err != nil {
		s.formError(w, r, "confirm_email", d, err)
		return
	}
	s.withViewer(r, &d)
	d.Title, d.Data = "recover.confirmEmail.doneTitle", verifyView{Done: true}
	d.Notice = s.localizer(r, d.User).T("recover.confirmEmail.done", "Email", u.Email)
	s.render(w, r, http.StatusOK, "confirm_email", d)
}

// accountDeleteSubmit is POST /account/delete {password?}: the account is
// deleted and the browser signed out.
func (s *Server) accountDeleteSubmit(w http.ResponseWriter, r *http.Request) {
	p, ok := s.accountForm(w, r)
	if !ok {
		return
	}
	if err := s.svc.DeleteMe(r.Context(), p, r.PostForm.Get("password"), s.meta(r)); err != nil {
		s.accountError(w, r, p, err)
		return
	}
	s.clearSessionCookie(w)
	http.Redirect(w, r, "/login?deleted=1", http.StatusSeeOther)
}

// adminDeleteSubmit is POST /admin/users/delete {id}.
func (s *Server) adminDeleteSubmit(w http.ResponseWriter, r *http.Request) {
	by, ok := s.adminForm(w, r)
	if !ok {
		return
	}
	id, err := formID(r, "id")
	if err == nil {
		err = s.svc.AdminDeleteUser(r.Context(), id, by)
	}
	if err != nil {
		s.adminFormError(w, r, by, err)
		return
	}
	s.adminDone(w, r, "deleted")
}
