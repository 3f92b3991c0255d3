package web

import (
	"net/http"
	"time"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/service"
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
	req, err := s.svc.RequestEmailChange(r.Context(), p, email, s.meta(r))
	if err != nil {
		d := pageData{err: err, Form: map[string]string{"email": email}}
		if status, ok := s.formFailure(w, r, &d, err); ok {
			s.renderAccount(w, r, p, status, d)
		}
		return
	}
	notice := "recover.account.emailSent"
	if !req.Mailed {
		notice = "recover.account.emailWaiting"
	}
	s.renderAccount(w, r, p, http.StatusOK, pageData{Notice: notice})
}

// adminEmailLinkSubmit is POST /admin/users/email-link {id}: shows a new
// confirmation link of the user's waiting change of address.
func (s *Server) adminEmailLinkSubmit(w http.ResponseWriter, r *http.Request) {
	by, ok := s.adminForm(w, r)
	if !ok {
		return
	}
	id, err := formID(r, "id")
	var link service.EmailChangeLink
	if err == nil {
		link, err = s.svc.AdminEmailChangeLink(r.Context(), id, by)
	}
	if err != nil {
		s.adminFormError(w, r, by, err)
		return
	}
	l := s.localizer(r, nil)
	s.renderAdminLink(w, r, "recover.admin.emailLinkTitle", adminLinkView{
		Intro: l.T("recover.admin.emailLinkIntro", "OldEmail", link.OldEmail, "NewEmail", link.NewEmail),
		URL:   link.URL,
		Note:  l.T("recover.admin.emailLinkNote", "Time", whenIn(l, link.ExpiresAt)),
		Back:  "/admin",
	})
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

// emailChangedView tells /account's reader that the address changed: with
// no mail, it stands for the notice mail to the old address.
type emailChangedView struct {
	From string
	At   time.Time
}

// emailChangeViews are /account's waiting change of address and last
// change, if any.
func (s *Server) emailChangeViews(r *http.Request, p service.Principal) (*torii.EmailChange, *emailChangedView, error) {
	var change *torii.EmailChange
	if ch, ok, err := s.svc.PendingEmailChange(r.Context(), p); err != nil {
		return nil, nil, err
	} else if ok {
		change = &ch
	}
	from, at, ok, err := s.svc.LastEmailChange(r.Context(), p)
	if err != nil || !ok {
		return change, nil, err
	}
	return change, &emailChangedView{From: from, At: at}, nil
}
