package web

import (
	"net/http"
	"strings"

	"github.com/toriihq/torii"
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
}

// adminLinkView shows a link an admin made, to copy and hand over.
type adminLinkView struct {
	Intro, URL, Note, Back string
}

// adminInvitationsView is the /admin/invitations page's data.
type adminInvitationsView struct {
	Invitations []service.UserInvitation
}

const resetSentNotice = "If an account has this address, a mail with a link to choose a new password is on its way. The link works for 30 minutes."

func (s *Server) forgotPasswordPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "forgot_password", pageData{Title: "Reset your password"})
}

// forgotPasswordSubmit is POST /forgot-password {email}: the same notice
// whether or not the address has an account.
func (s *Server) forgotPasswordSubmit(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		s.renderError(w, r, err)
		return
	}
	email := r.PostForm.Get("email")
	d := pageData{Title: "Reset your password", Form: map[string]string{"email": email}}
	if err := s.svc.RequestPasswordReset(r.Context(), email, s.meta(r)); err != nil {
		s.formError(w, r, "forgot_password", d, err)
		return
	}
	d.Notice = resetSentNotice
	s.render(w, r, http.StatusOK, "forgot_password", d)
}

// resetPasswordPage is GET /reset-password?token=…, where the reset mail
// and the admin's link lead. Opening it spends nothing (mail scanners
// fetch links); the form does.
func (s *Server) resetPasswordPage(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	email, err := s.svc.CheckPasswordReset(r.Context(), token)
	if err != nil {
		s.formError(w, r, "reset_password", pageData{Title: "Choose a new password", Data: resetView{}}, err)
		return
	}
	s.render(w, r, http.StatusOK, "reset_password", pageData{Title: "Choose a new password", Data: resetView{Token: token, Email: email}})
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
		s.formError(w, r, "reset_password", pageData{Title: "Choose a new password", Data: v}, err)
		return
	}
	// Every session of the account ended, this browser's too if it had one.
	s.clearSessionCookie(w)
	s.render(w, r, http.StatusOK, "reset_password", pageData{Title: "Password set",
		Notice: "The password of " + u.Email + " is set, and every device is signed out. Sign in with it now.",
		Data:   resetView{Done: true}})
}

// invitePage is GET /invite?token=…: the invitee's registration form.
func (s *Server) invitePage(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	inv, err := s.svc.CheckInvitation(r.Context(), token)
	if err != nil {
		s.formError(w, r, "invite", pageData{Title: "Invitation", Data: inviteView{}}, err)
		return
	}
	s.render(w, r, http.StatusOK, "invite", pageData{Title: "Join torii", Data: inviteView{Token: token, Email: inv.Email, Groups: inv.Groups}})
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
		d := pageData{Title: "Join torii", Form: map[string]string{"name": name}, Data: inviteView{}}
		if inv, cerr := s.svc.CheckInvitation(r.Context(), token); cerr == nil {
			d.Data = inviteView{Token: token, Email: inv.Email, Groups: inv.Groups}
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
	s.renderAdminLink(w, r, "Password reset link", adminLinkView{
		Intro: "Give this link to " + link.Email + " by a way you trust. Whoever opens it can choose the account's password.",
		URL:   link.URL,
		Note:  "It works once, until " + link.ExpiresAt.UTC().Format("2 Jan 2006, 15:04 UTC") + ". Using it signs the account out everywhere.",
		Back:  "/admin",
	})
}

func (s *Server) renderAdminLink(w http.ResponseWriter, r *http.Request, title string, v adminLinkView) {
	d := pageData{Title: title, Data: v}
	if p, ok := s.pagePrincipal(r); ok {
		d.User, d.IsAdmin = &p.User, p.IsAdmin()
	}
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
		d.Notice = "The invitation is revoked."
	}
	s.renderInvitations(w, r, by, http.StatusOK, d)
}

func (s *Server) renderInvitations(w http.ResponseWriter, r *http.Request, by service.Actor, status int, d pageData) {
	list, err := s.svc.Invitations(r.Context(), by)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	d.Title, d.Data = "Invitations", adminInvitationsView{Invitations: list}
	if p, ok := s.pagePrincipal(r); ok {
		d.User, d.IsAdmin = &p.User, p.IsAdmin()
	}
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
		for _, k := range []string{"email", "groups"} {
			if m := d.Fields[k]; m != "" {
				d.Error = strings.ToUpper(k[:1]) + k[1:] + " " + m + "."
			}
		}
		s.renderInvitations(w, r, by, status, d)
		return
	}
	intro := "The invitation of " + v.Email + " is made."
	if v.Mailed {
		intro += " It is on its way by mail; you can also hand this link over yourself."
	} else {
		intro += " This server sends no mail: give this link to them by a way you trust."
	}
	s.renderAdminLink(w, r, "Invitation", adminLinkView{Intro: intro, URL: link,
		Note: "It works once, until " + v.ExpiresAt.UTC().Format("2 Jan 2006, 15:04 UTC") + ".", Back: "/admin/invitations"})
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
		s.renderInvitations(w, r, by, statusOf(err), pageData{Error: torii.ErrorMessage(err)})
		return
	}
	http.Redirect(w, r, "/admin/invitations?done=revoked", http.StatusSeeOther)
}
