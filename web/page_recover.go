package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/i18n"
	"github.com/toriihq/torii/service"
)

// The pages of account recovery (issue 19): "Forgot password?", the reset
// link's page, the invitation's registration page, and the admin's links.

// resetView is the /reset-password page's data.
type resetView struct {
	Token, Email string
	Done         bool
}

// inviteView is the /invite page's data.
type inviteView struct {
	Token, Email string
	Groups       []torii.Group
	// GroupNames lists the groups for the page's sentence.
	GroupNames string
}

func inviteViewOf(token string, inv service.UserInvitation) inviteView {
	names := make([]string, len(inv.Groups))
	for i, g := range inv.Groups {
		names[i] = g.Name
	}
	return inviteView{Token: token, Email: inv.Email, Groups: inv.Groups, GroupNames: strings.Join(names, ", ")}
}

// adminLinkView shows a link an admin made, to copy and hand over.
type adminLinkView struct {
	Intro, URL, Note, Back string
}

// adminInvitationsView is the /admin/invitations page's data.
type adminInvitationsView struct {
	Invitations []service.UserInvitation
}

func (s *Server) forgotPasswordPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "forgot_password", pageData{Title: "recover.forgot.title"})
}

// forgotPasswordSubmit is POST /forgot-password {email}: the same notice
// whether or not the address has an account.
func (s *Server) forgotPasswordSubmit(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		s.renderError(w, r, err)
		return
	}
	email := r.PostForm.Get("email")
	d := pageData{Title: "recover.forgot.title", Form: map[string]string{"email": email}}
	mailed, err := s.svc.RequestPasswordReset(r.Context(), email, s.meta(r))
	if err != nil {
		s.formError(w, r, "forgot_password", d, err)
		return
	}
	if mailed { // else the page says this server sends no mail
		d.Notice = "recover.forgot.sent"
	}
	s.render(w, r, http.StatusOK, "forgot_password", d)
}

// resetPasswordPage is GET /reset-password?token=…, where the reset mail
// and the admin's link lead. Opening it spends nothing (mail scanners
// fetch links); the form does.
func (s *Server) resetPasswordPage(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	email, err := s.svc.CheckPasswordReset(r.Context(), token)
	if err != nil {
		s.formError(w, r, "reset_password", pageData{Title: "recover.reset.title", Data: resetView{}}, err)
		return
	}
	s.render(w, r, http.StatusOK, "reset_password", pageData{Title: "recover.reset.title", Data: resetView{Token: token, Email: email}})
}

// resetPasswordSubmit is POST /reset-password {token, password}.
func (s *Server) resetPasswordSubmit(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		s.renderError(w, r, err)
		return
	}
	token := r.PostForm.Get("token")
	u, err := s.svc.ResetPassword(r.Context(), token, r.PostForm.Get("password"), s.meta(r))
	if err != nil {
		v := resetView{}
		if !torii.IsCode(err, torii.ETokenInvalid) {
			v.Token = token
			v.Email, _ = s.svc.CheckPasswordReset(r.Context(), token)
		}
		s.formError(w, r, "reset_password", pageData{Title: "recover.reset.title", Data: v}, err)
		return
	}
	// Every session of the account ended, this browser's too if it had one.
	s.clearSessionCookie(w)
	s.render(w, r, http.StatusOK, "reset_password", pageData{Title: "recover.reset.doneTitle",
		Notice: s.localizer(r, nil).T("recover.reset.done", "Email", u.Email),
		Data:   resetView{Done: true}})
}

// invitePage is GET /invite?token=…: the invitee's registration form.
func (s *Server) invitePage(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	inv, err := s.svc.CheckInvitation(r.Context(), token)
	if err != nil {
		s.formError(w, r, "invite", pageData{Title: "recover.invite.invalidTitle", Data: inviteView{}}, err)
		return
	}
	s.render(w, r, http.StatusOK, "invite", pageData{Title: "recover.invite.title", Data: inviteViewOf(token, inv)})
}

// inviteSubmit is POST /invite {token, name, password}: registers and
// signs in.
func (s *Server) inviteSubmit(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		s.renderError(w, r, err)
		return
	}
	token, name := r.PostForm.Get("token"), r.PostForm.Get("name")
	res, err := s.svc.AcceptInvitation(r.Context(), token, name, r.PostForm.Get("password"), s.meta(r))
	s.metrics.signIn("register", resultOf(err))
	if err != nil {
		d := pageData{Title: "recover.invite.title", Form: map[string]string{"name": name}, Data: inviteView{}}
		if inv, cerr := s.svc.CheckInvitation(r.Context(), token); cerr == nil {
			d.Data = inviteViewOf(token, inv)
		}
		s.formError(w, r, "invite", d, err)
		return
	}
	s.setSessionCookie(w, res.Token)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// adminResetLinkSubmit is POST /admin/users/reset-link {id}: shows a new
// reset link for the admin to hand over.
func (s *Server) adminResetLinkSubmit(w http.ResponseWriter, r *http.Request) {
	by, ok := s.adminForm(w, r)
	if !ok {
		return
	}
	id, err := formID(r, "id")
	var link service.ResetLink
	if err == nil {
		link, err = s.svc.AdminResetLink(r.Context(), id, by)
	}
	if err != nil {
		s.adminFormError(w, r, by, err)
		return
	}
	l := s.localizer(r, nil)
	s.renderAdminLink(w, r, "recover.admin.resetTitle", adminLinkView{
		Intro: l.T("recover.admin.resetIntro", "Email", link.Email),
		URL:   link.URL,
		Note:  l.T("recover.admin.resetNote", "Time", whenIn(l, link.ExpiresAt)),
		Back:  "/admin",
	})
}

func (s *Server) renderAdminLink(w http.ResponseWriter, r *http.Request, title string, v adminLinkView) {
	d := pageData{Title: title, Data: v}
	s.withViewer(r, &d)
	s.render(w, r, http.StatusOK, "admin_link", d)
}

// adminInvitationsPage is GET /admin/invitations.
func (s *Server) adminInvitationsPage(w http.ResponseWriter, r *http.Request) {
	by, ok := s.adminActor(w, r)
	if !ok {
		return
	}
	d := pageData{}
	if r.URL.Query().Get("done") == "revoked" {
		d.Notice = "recover.admin.revoked"
	}
	s.renderInvitations(w, r, by, http.StatusOK, d)
}

func (s *Server) renderInvitations(w http.ResponseWriter, r *http.Request, by service.Actor, status int, d pageData) {
	list, err := s.svc.Invitations(r.Context(), by)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	d.Title, d.Data = "recover.admin.invitations", adminInvitationsView{Invitations: list}
	s.withViewer(r, &d)
	s.render(w, r, status, "admin_invitations", d)
}

// adminInviteSubmit is POST /admin/invitations {email, groups, admin}.
func (s *Server) adminInviteSubmit(w http.ResponseWriter, r *http.Request) {
	by, ok := s.adminForm(w, r)
	if !ok {
		return
	}
	in := service.InviteInput{Email: r.PostForm.Get("email"), Admin: r.PostForm.Get("admin") == "1"}
	for _, g := range strings.Split(r.PostForm.Get("groups"), ",") {
		if g = strings.TrimSpace(g); g != "" {
			in.Groups = append(in.Groups, g)
		}
	}
	v, link, err := s.svc.Invite(r.Context(), in, by)
	if err != nil {
		d := pageData{Form: map[string]string{"email": in.Email, "groups": r.PostForm.Get("groups")}}
		status, ok := s.formFailure(w, r, &d, err)
		if !ok {
			return
		}
		l := s.localizer(r, nil)
		for k, label := range map[string]string{"email": "field.email", "groups": "recover.admin.groups"} {
			if m := d.Fields[k]; m != "" {
				d.Error = l.T("field.error", "Field", l.T(label), "Message", m)
			}
		}
		s.renderInvitations(w, r, by, status, d)
		return
	}
	l := s.localizer(r, nil)
	intro := l.T("recover.admin.inviteMadeMailOff", "Email", v.Email)
	if v.Mailed {
		intro = l.T("recover.admin.inviteMade", "Email", v.Email)
	}
	s.renderAdminLink(w, r, "recover.admin.inviteTitle", adminLinkView{Intro: intro, URL: link,
		Note: l.T("recover.admin.inviteNote", "Time", whenIn(l, v.ExpiresAt)), Back: "/admin/invitations"})
}

// adminRevokeInvitationSubmit is POST /admin/invitations/revoke {id}.
func (s *Server) adminRevokeInvitationSubmit(w http.ResponseWriter, r *http.Request) {
	by, ok := s.adminForm(w, r)
	if !ok {
		return
	}
	id, err := formID(r, "id")
	if err == nil {
		err = s.svc.RevokeInvitation(r.Context(), id, by)
	}
	if err != nil {
		var d pageData
		if status, ok := s.formFailure(w, r, &d, err); ok {
			s.renderInvitations(w, r, by, status, d)
		}
		return
	}
	http.Redirect(w, r, "/admin/invitations?done=revoked", http.StatusSeeOther)
}

// whenIn formats t as the pages' "when" does, in l's language.
func whenIn(l *i18n.Localizer, t time.Time) string {
	return l.T("time.utc", "Time", t.UTC().Format(l.T("time.layout")))
}
