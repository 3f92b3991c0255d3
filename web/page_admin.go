package web

import (
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/i18n"
	"github.com/toriihq/torii/service"
)

// adminView is the /admin page's data.
type adminView struct {
	Query, Status string
	Users         []service.UserSummary
	Allowlist     []service.AllowlistItem
	Audit         service.AuditPage
	AuditEvent    string
	AuditUser     string
	Events        []string
	// Back is this page's own URL, where forms return after a change.
	Back  string
	Actor service.Actor
	// The apps that sign in with torii (web/page_clients.go).
	adminClientsView
	// EmailChanges are the waiting changes of address by user id, whose
	// link the admin can make (page_profile.go).
	EmailChanges map[int64]*torii.EmailChange
}

// adminPage is GET /admin: users, allowlist and audit log, filtered by
// the query string (q, status; event, userId, before).
func (s *Server) adminPage(w http.ResponseWriter, r *http.Request) {
	by, ok := s.adminActor(w, r)
	if !ok {
		return
	}
	s.renderAdmin(w, r, by, http.StatusOK, pageData{Notice: adminNotices[r.URL.Query().Get("done")]})
}

var adminNotices = map[string]string{
	"status":   "admin.notice.status",
	"roles":    "admin.notice.roles",
	"allow":    "admin.notice.allow",
	"disallow": "admin.notice.disallow",
	"verified": "admin.notice.verified",
	"client":   "apps.admin.saved",
	"unclient": "apps.admin.removed",
	"deleted":  "recover.admin.deleted",
}

func (s *Server) renderAdmin(w http.ResponseWriter, r *http.Request, by service.Actor, status int, d pageData) {
	q := r.URL.Query()
	v := adminView{Query: q.Get("q"), Status: q.Get("status"), AuditEvent: q.Get("event"), AuditUser: q.Get("userId"),
		Events: torii.AuditEvents, Back: r.URL.RequestURI(), Actor: by}
	f := torii.UserFilter{Query: v.Query, Status: torii.UserStatus(v.Status), Limit: 100}
	var err error
	if v.Users, err = s.svc.AdminUsers(r.Context(), f, by); err != nil {
		s.renderError(w, r, err)
		return
	}
	if v.EmailChanges, err = s.svc.AdminPendingEmailChanges(r.Context(), by); err != nil {
		s.renderError(w, r, err)
		return
	}
	if v.Allowlist, err = s.svc.Allowlist(r.Context(), by); err != nil {
		s.renderError(w, r, err)
		return
	}
	af, err := auditFilterOf(r)
	if err == nil {
		v.Audit, err = s.svc.AdminAudit(r.Context(), af, by)
	}
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	if err := s.loadAdminClients(r, by, &v, d); err != nil {
		s.renderError(w, r, err)
		return
	}
	d.Title, d.Data = "admin.title", v
	s.withViewer(r, &d)
	s.render(w, r, status, "admin", d)
}

// adminActor authenticates an admin page request: a signed-out browser is
// sent to sign in, a signed-in non-admin gets a plain 403 page.
func (s *Server) adminActor(w http.ResponseWriter, r *http.Request) (service.Actor, bool) {
	p, ok := s.pagePrincipal(r)
	if !ok {
		http.Redirect(w, r, loginURL("/admin"), http.StatusSeeOther)
		return service.Actor{}, false
	}
	by := service.ActorOf(p, s.meta(r))
	if !by.IsAdmin() {
		s.renderError(w, r, torii.Errorf(torii.EForbidden, "This page is for administrators."))
		return by, false
	}
	return by, true
}

// adminForm starts every /admin form post, as accountForm does for
// /account: sign-in, the admin role, and the bounded form.
func (s *Server) adminForm(w http.ResponseWriter, r *http.Request) (service.Actor, bool) {
	by, ok := s.adminActor(w, r)
	if !ok {
		return by, false
	}
	if err := parseForm(w, r); err != nil {
		s.renderError(w, r, err)
		return by, false
	}
	return by, true
}

// adminSubmit is the handler of an /admin form whose success is a notice
// on the page it was posted from: act runs for an admin with the form
// parsed; its error is shown above the page (adminFormError), else the
// browser goes back with ?done=done.
func (s *Server) adminSubmit(done string, act func(r *http.Request, by service.Actor) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		by, ok := s.adminForm(w, r)
		if !ok {
			return
		}
		if err := act(r, by); err != nil {
			s.adminFormError(w, r, by, err)
			return
		}
		s.adminDone(w, r, done)
	}
}

// adminDone sends the browser back to the page it posted from, with a
// notice.
func (s *Server) adminDone(w http.ResponseWriter, r *http.Request, done string) {
	back := safeNext(r.PostForm.Get("back"))
	if back != "/admin" && !strings.HasPrefix(back, "/admin?") {
		back = "/admin"
	}
	u, _ := url.Parse(back)
	q := u.Query()
	q.Set("done", done)
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
}

// adminFormError shows /admin again with the error above it.
func (s *Server) adminFormError(w http.ResponseWriter, r *http.Request, by service.Actor, err error) {
	var d pageData
	status, ok := s.formFailure(w, r, &d, err)
	if !ok {
		return
	}
	// The admin page's forms are rows of a table, with no place beside an
	// input: the field messages go above it.
	// In the reader's language: the field's label and message from the
	// catalog (English keeps "pattern must be …").
	if len(d.Fields) > 0 {
		var u *torii.User
		if p, ok := s.pagePrincipal(r); ok {
			u = &p.User
		}
		l := s.localizer(r, u)
		fields := fieldsText(l, d.Fields)
		msg := ""
		for _, k := range slices.Sorted(maps.Keys(fields)) {
			if l.Lang() == i18n.English {
				msg += k + " " + fields[k] + ". "
			} else {
				label := k
				if l.Has("admin.field." + k) {
					label = l.T("admin.field." + k)
				}
				msg += l.T("admin.fieldError", "Field", label, "Message", fields[k]) + " "
			}
		}
		d = pageData{Error: strings.TrimSpace(msg)}
	}
	s.renderAdmin(w, r, by, status, d)
}

// adminStatusSubmit is POST /admin/users/status {id, status}.
func (s *Server) adminStatusSubmit(r *http.Request, by service.Actor) error {
	id, err := formID(r, "id")
	if err != nil {
		return err
	}
	st := torii.UserStatus(r.PostForm.Get("status"))
	_, err = s.svc.AdminUpdateUser(r.Context(), id, service.UserChange{Status: &st}, by)
	return err
}

// adminRolesSubmit is POST /admin/users/roles {id, admin: "1" or "0"}:
// grant or revoke the admin role, keeping any other role.
func (s *Server) adminRolesSubmit(r *http.Request, by service.Actor) error {
	id, err := formID(r, "id")
	if err != nil {
		return err
	}
	return s.svc.SetRole(r.Context(), id, torii.RoleAdmin, r.PostForm.Get("admin") == "1", by)
}

// adminAllowAddSubmit is POST /admin/allowlist/add {pattern}.
func (s *Server) adminAllowAddSubmit(r *http.Request, by service.Actor) error {
	_, err := s.svc.AddAllowlist(r.Context(), r.PostForm.Get("pattern"), by)
	return err
}

// adminAllowRemoveSubmit is POST /admin/allowlist/remove {id}.
func (s *Server) adminAllowRemoveSubmit(r *http.Request, by service.Actor) error {
	id, err := formID(r, "id")
	if err != nil {
		return err
	}
	_, err = s.svc.RemoveAllowlist(r.Context(), id, by)
	return err
}
