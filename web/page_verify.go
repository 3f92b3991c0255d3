package web

import (
	"net/http"

	"github.com/toriihq/torii/service"
)

// verifyView is the /verify-email page's data.
type verifyView struct {
	Token string
	Done  bool
}

// verifyEmailPage is GET /verify-email?token=…, where the mail's link
// leads. It only shows a button: mail scanners fetch links to check them,
// so opening the link must not use the token; pressing the button does.
func (s *Server) verifyEmailPage(w http.ResponseWriter, r *http.Request) {
	d := pageData{Title: "verify.title", Data: verifyView{Token: r.URL.Query().Get("token")}}
	s.withViewer(r, &d)
	s.render(w, r, http.StatusOK, "verify_email", d)
}

// verifyEmailSubmit is POST /verify-email {token}: the page's button.
func (s *Server) verifyEmailSubmit(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		s.renderError(w, r, err)
		return
	}
	d := pageData{Title: "verify.title"}
	s.withViewer(r, &d)
	u, err := s.svc.VerifyEmail(r.Context(), r.PostForm.Get("token"), s.meta(r))
	if err != nil {
		d.Data = verifyView{}
		s.formError(w, r, "verify_email", d, err)
		return
	}
	if d.User != nil && d.User.ID == u.ID {
		d.User = &u
	}
	d.Title, d.Data = "verify.doneTitle", verifyView{Done: true}
	d.Notice = s.localizer(r, d.User).T("verify.notice.confirmed", "Email", u.Email)
	s.render(w, r, http.StatusOK, "verify_email", d)
}

// accountVerifySubmit is POST /account/verify-email: "send the mail
// again" on /account.
func (s *Server) accountVerifySubmit(w http.ResponseWriter, r *http.Request) {
	p, ok := s.accountForm(w, r)
	if !ok {
		return
	}
	if err := s.svc.ResendVerification(r.Context(), p, s.meta(r)); err != nil {
		s.accountError(w, r, p, err)
		return
	}
	http.Redirect(w, r, "/account?mailed=1", http.StatusSeeOther)
}

// adminVerifySubmit is POST /admin/users/verify-email {id}: "Mark
// verified" on /admin.
func (s *Server) adminVerifySubmit(r *http.Request, by service.Actor) error {
	id, err := formID(r, "id")
	if err != nil {
		return err
	}
	_, err = s.svc.AdminVerifyEmail(r.Context(), id, by)
	return err
}
