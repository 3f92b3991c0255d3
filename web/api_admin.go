package web

import (
	"net/http"
	"time"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/service"
)

// adminFunc is an API handler for an administrator.
type adminFunc func(w http.ResponseWriter, r *http.Request, by service.Actor) error

// admin wraps an admin endpoint: a signed-in caller without the admin role
// gets FORBIDDEN before the request is even read. The service checks the
// role again, so a handler cannot skip it.
func (s *Server) admin(h adminFunc) http.Handler {
	return s.authed(func(w http.ResponseWriter, r *http.Request, p service.Principal) error {
		by := service.ActorOf(p, s.meta(r))
		if !by.IsAdmin() {
			return torii.Errorf(torii.EForbidden, "This needs the admin role.")
		}
		return h(w, r, by)
	})
}

type membershipJSON struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Role string `json:"role"`
}

type adminUserJSON struct {
	userJSON
	Roles       []string         `json:"roles"`
	Groups      []membershipJSON `json:"groups"`
	LastLoginAt *time.Time       `json:"lastLoginAt"`
}

func adminUserOf(u service.UserSummary) adminUserJSON {
	out := adminUserJSON{userJSON: userOf(u.User, u.Identities), Roles: u.Roles, Groups: membershipsOf(u.Groups)}
	if out.Roles == nil {
		out.Roles = []string{}
	}
	if u.User.LastLoginAt != nil {
		t := u.User.LastLoginAt.UTC()
		out.LastLoginAt = &t
	}
	return out
}

func membershipsOf(ms []torii.Membership) []membershipJSON {
	out := make([]membershipJSON, len(ms))
	for i, m := range ms {
		out[i] = membershipJSON{ID: m.Group.ID, Name: m.Group.Name, Role: m.Role}
	}
	return out
}

// adminUsers is GET /api/v1/admin/users?q=&status=&after=&limit=.
func (s *Server) adminUsers(w http.ResponseWriter, r *http.Request, by service.Actor) error {
	q := r.URL.Query()
	f := torii.UserFilter{Query: q.Get("q"), Status: torii.UserStatus(q.Get("status"))}
	var err error
	if f.AfterID, err = queryInt(q, "after"); err != nil {
		return err
	}
	limit, err := queryInt(q, "limit")
	if err != nil {
		return err
	}
	f.Limit = int(limit)
	users, err := s.svc.AdminUsers(r.Context(), f, by)
	if err != nil {
		return err
	}
	out := make([]adminUserJSON, len(users))
	for i, u := range users {
		out[i] = adminUserOf(u)
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": out})
	return nil
}

type userChangeJSON struct {
	Status *string   `json:"status"`
	Roles  *[]string `json:"roles"`
}

// adminUpdateUser is PATCH /api/v1/admin/users/{id}.
func (s *Server) adminUpdateUser(w http.ResponseWriter, r *http.Request, by service.Actor) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in userChangeJSON
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	var c service.UserChange
	if in.Status != nil {
		st := torii.UserStatus(*in.Status)
		c.Status = &st
	}
	if in.Roles != nil {
		roles := *in.Roles
		if roles == nil {
			roles = []string{}
		}
		c.Roles = &roles
	}
	u, err := s.svc.AdminUpdateUser(r.Context(), id, c, by)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": adminUserOf(u)})
	return nil
}

type allowlistJSON struct {
	ID        *int64     `json:"id"`
	Pattern   string     `json:"pattern"`
	AddedBy   *int64     `json:"addedBy"`
	CreatedAt *time.Time `json:"createdAt"`
	Source    string     `json:"source"`
}

// allowlistOf shows an entry; those from the environment have no id and
// no creation time (null).
func allowlistOf(e service.AllowlistItem) allowlistJSON {
	out := allowlistJSON{Pattern: e.Pattern, AddedBy: e.AddedBy, Source: e.Source}
	if e.Source == service.SourceDB {
		id, at := e.ID, e.CreatedAt.UTC()
		out.ID, out.CreatedAt = &id, &at
	}
	return out
}

// adminAllowlist is GET /api/v1/admin/allowlist.
func (s *Server) adminAllowlist(w http.ResponseWriter, r *http.Request, by service.Actor) error {
	list, err := s.svc.Allowlist(r.Context(), by)
	if err != nil {
		return err
	}
	out := make([]allowlistJSON, len(list))
	for i, e := range list {
		out[i] = allowlistOf(e)
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": out})
	return nil
}

// adminAllowlistAdd is POST /api/v1/admin/allowlist {pattern}.
func (s *Server) adminAllowlistAdd(w http.ResponseWriter, r *http.Request, by service.Actor) error {
	var in struct {
		Pattern string `json:"pattern"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	e, err := s.svc.AddAllowlist(r.Context(), in.Pattern, by)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"entry": allowlistOf(service.AllowlistItem{AllowlistEntry: e, Source: service.SourceDB})})
	return nil
}

// adminAllowlistRemove is DELETE /api/v1/admin/allowlist/{id}.
func (s *Server) adminAllowlistRemove(w http.ResponseWriter, r *http.Request, by service.Actor) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := s.svc.RemoveAllowlist(r.Context(), id, by); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type auditJSON struct {
	ID        int64          `json:"id"`
	At        time.Time      `json:"at"`
	Event     string         `json:"event"`
	UserID    *int64         `json:"userId"`
	Email     string         `json:"email"`
	IP        string         `json:"ip"`
	UserAgent string         `json:"userAgent"`
	Detail    map[string]any `json:"detail"`
}

func auditOf(e torii.AuditEvent) auditJSON {
	d := e.Detail
	if d == nil {
		d = map[string]any{}
	}
	return auditJSON{ID: e.ID, At: e.At.UTC(), Event: e.Event, UserID: e.UserID, Email: e.Email,
		IP: e.IP, UserAgent: e.UserAgent, Detail: d}
}

// adminAudit is GET /api/v1/admin/audit?userId=&event=&before=&limit=.
func (s *Server) adminAudit(w http.ResponseWriter, r *http.Request, by service.Actor) error {
	f, err := auditFilterOf(r)
	if err != nil {
		return err
	}
	page, err := s.svc.AdminAudit(r.Context(), f, by)
	if err != nil {
		return err
	}
	out := make([]auditJSON, len(page.Events))
	for i, e := range page.Events {
		out[i] = auditOf(e)
	}
	writeJSON(w, http.StatusOK, map[string]any{"events": out, "nextBefore": page.NextBefore})
	return nil
}

// auditFilterOf reads the audit filters of a query string (the API's and
// the admin page's).
func auditFilterOf(r *http.Request) (torii.AuditFilter, error) {
	q := r.URL.Query()
	f := torii.AuditFilter{Event: q.Get("event")}
	uid, err := queryInt(q, "userId")
	if err != nil {
		return f, err
	}
	if uid > 0 {
		f.UserID = &uid
	}
	if f.Before, err = queryInt(q, "before"); err != nil {
		return f, err
	}
	limit, err := queryInt(q, "limit")
	f.Limit = int(limit)
	return f, err
}
