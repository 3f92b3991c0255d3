package web

import (
	"net/http"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/service"
)

type accountView struct {
	AuthProvider string
	Identities   []torii.Identity
	Sessions     []torii.Session
	CurrentID    string
	HasPassword  bool
	// CanUnlink is false when the only identity is the only way to sign in.
	CanUnlink bool
	// Invitations are the groups that invite the user, waiting for consent.
	Invitations []service.InvitationView
	// Reauth shows the "confirm it's you" box: a lasting change answered
	// REAUTH_REQUIRED. ReauthGoogle offers the provider's code flow.
	Reauth       bool
	ReauthGoogle bool
	// Language is the saved language preference, "" for the browser's.
	Language string
	// Apps are the apps the user signed in to with torii (page_consent.go).
	Apps []service.AppAccess
	// EmailChange is the waiting change of address, if any; EmailChanged
	// the last change, within service.EmailChangeNoticeFor (page_profile.go).
	EmailChange  *torii.EmailChange
	EmailChanged *emailChangedView
}

func (s *Server) accountPage(w http.ResponseWriter, r *http.Request) {
	p, ok := s.pagePrincipal(r)
	if !ok {
		http.Redirect(w, r, loginURL("/account"), http.StatusSeeOther)
		return
	}
	d := pageData{}
	switch {
	case r.URL.Query().Has("linked"):
		d.Notice = "account.notice.linked"
	case r.URL.Query().Has("unlinked"):
		d.Notice = "account.notice.unlinked"
	case r.URL.Query().Has("password"):
		d.Notice = "account.notice.password"
	case r.URL.Query().Has("joined"):
		d.Notice = "account.notice.joined"
	case r.URL.Query().Has("declined"):
		d.Notice = "account.notice.declined"
	case r.URL.Query().Has("mailed"):
		d.Notice = "account.notice.mailed"
	case r.URL.Query().Has("language"):
		d.Notice = "account.notice.language"
	case r.URL.Query().Has("revoked-app"):
		d.Notice = "apps.account.revoked"
	case r.URL.Query().Has("reauthed"):
		d.Notice = "account.notice.reauthed"
	case r.URL.Query().Has("reauth"):
		d.Error = "account.notice.reauth"
	}
	s.renderAccount(w, r, p, http.StatusOK, d)
}

// renderAccount shows /account for p, with d's notice or errors.
func (s *Server) renderAccount(w http.ResponseWriter, r *http.Request, p service.Principal, status int, d pageData) {
	sessions, err := s.svc.Sessions(r.Context(), p)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	invitations, err := s.svc.MyGroupInvitations(r.Context(), p)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	apps, err := s.svc.MyApps(r.Context(), p)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	change, changed, err := s.emailChangeViews(r, p)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	cfg := s.svc.PublicConfig()
	d.Title, d.User, d.IsAdmin = "account.title", &p.User, p.IsAdmin()
	d.GoogleAction = "google.link"
	d.Data = accountView{
		AuthProvider: p.Profile().AuthProvider(),
		Identities:   p.Identities,
		Sessions:     sessions,
		CurrentID:    p.Session.ID,
		HasPassword:  p.User.HasPassword(),
		CanUnlink:    len(p.Identities) > 1 || (p.User.HasPassword() && cfg.PasswordLogin),
		Invitations:  invitations,
		Language:     s.svc.UserLanguage(r.Context(), p.User.ID),
		Apps:         apps,
		Reauth: r.URL.Query().Has("reauth") || torii.IsCode(d.err, torii.EReauthRequired) ||
			r.URL.Path == "/account/reauth",
		ReauthGoogle: cfg.Google != nil && cfg.Google.CodeFlow && len(p.Identities) > 0,
		EmailChange:  change,
		EmailChanged: changed,
	}
	s.render(w, r, status, "account", d)
}

// accountPasswordSubmit is POST /account/password: set or change the
// password (PUT /api/v1/me/password for forms).
func (s *Server) accountPasswordSubmit(w http.ResponseWriter, r *http.Request) {
	p, ok := s.accountForm(w, r)
	if !ok {
		return
	}
	err := s.svc.SetPassword(r.Context(), p, r.PostForm.Get("currentPassword"), r.PostForm.Get("newPassword"), s.meta(r))
	if err != nil {
		s.accountError(w, r, p, err)
		return
	}
	http.Redirect(w, r, "/account?password=1", http.StatusSeeOther)
}

// accountUnlinkSubmit is POST /account/identities/unlink.
func (s *Server) accountUnlinkSubmit(w http.ResponseWriter, r *http.Request) {
	p, ok := s.accountForm(w, r)
	if !ok {
		return
	}
	id, err := formID(r, "id")
	if err == nil {
		err = s.svc.UnlinkIdentity(r.Context(), p, id, s.meta(r))
	} else {
		err = torii.ErrNotFound
	}
	if err != nil {
		s.accountError(w, r, p, err)
		return
	}
	http.Redirect(w, r, "/account?unlinked=1", http.StatusSeeOther)
}

// accountError re-renders /account with the error of a form on it.
func (s *Server) accountError(w http.ResponseWriter, r *http.Request, p service.Principal, err error) {
	d := pageData{err: err}
	status, ok := s.formFailure(w, r, &d, err)
	if !ok {
		return
	}
	// The principal may be stale after a change: read it again.
	if fresh, ok := s.pagePrincipal(r); ok {
		p = fresh
	}
	s.renderAccount(w, r, p, status, d)
}

func (s *Server) revokeSessionSubmit(w http.ResponseWriter, r *http.Request) {
	p, ok := s.accountForm(w, r)
	if !ok {
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

// accountForm starts every /account form post: a signed-out browser is sent
// to sign in, and the bounded form is parsed. It reports whether the
// handler should go on.
func (s *Server) accountForm(w http.ResponseWriter, r *http.Request) (service.Principal, bool) {
	p, ok := s.pagePrincipal(r)
	if !ok {
		http.Redirect(w, r, loginURL("/account"), http.StatusSeeOther)
		return p, false
	}
	if err := parseForm(w, r); err != nil {
		s.renderError(w, r, err)
		return p, false
	}
	return p, true
}
