package web

import (
	"net/http"
	"time"

	"github.com/toriihq/torii/service"
)

// Leaving (issue 19): DELETE /api/v1/me, GET /api/v1/me/export, and the
// admin's DELETE /api/v1/admin/users/{id}.

type deleteMeJSON struct {
	Password string `json:"password"`
}

// deleteMe is DELETE /api/v1/me, with an optional body {"password"}: 204,
// and the session cookie is cleared.
func (s *Server) deleteMe(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	var in deleteMeJSON
	if r.ContentLength != 0 || r.Header.Get("Content-Type") != "" {
		if err := decodeJSON(w, r, &in); err != nil {
			return err
		}
	}
	if err := s.svc.DeleteMe(r.Context(), p, in.Password, s.meta(r)); err != nil {
		return err
	}
	s.clearSessionCookie(w)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// adminDeleteUser is DELETE /api/v1/admin/users/{id}: 204.
func (s *Server) adminDeleteUser(w http.ResponseWriter, r *http.Request, by service.Actor) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.svc.AdminDeleteUser(r.Context(), id, by); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type exportMessageJSON struct {
	ID        int64     `json:"id"`
	RoomID    int64     `json:"roomId"`
	Body      string    `json:"body"`
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"createdAt"`
}

type exportSessionJSON struct {
	CreatedAt    time.Time `json:"createdAt"`
	LastActivity time.Time `json:"lastActivity"`
	ExpiresAt    time.Time `json:"expiresAt"`
	IP           string    `json:"ip"`
	UserAgent    string    `json:"userAgent"`
}

type exportAuditJSON struct {
	At        time.Time      `json:"at"`
	Event     string         `json:"event"`
	IP        string         `json:"ip"`
	UserAgent string         `json:"userAgent"`
	Detail    map[string]any `json:"detail"`
}

// exportMe is GET /api/v1/me/export: the caller's data as one JSON
// document, offered as a download.
func (s *Server) exportMe(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	e, err := s.svc.ExportMe(r.Context(), p)
	if err != nil {
		return err
	}
	ids := make([]identityJSON, len(e.Profile.Identities))
	for i, id := range e.Profile.Identities {
		ids[i] = identityOf(id)
	}
	sessions := make([]exportSessionJSON, len(e.Sessions))
	for i, x := range e.Sessions {
		// Session ids are token hashes: never handed out.
		sessions[i] = exportSessionJSON{CreatedAt: x.CreatedAt.UTC(), LastActivity: x.LastActivity.UTC(), ExpiresAt: x.ExpiresAt.UTC(), IP: x.IP, UserAgent: x.UserAgent}
	}
	msgs := make([]exportMessageJSON, len(e.Messages))
	for i, m := range e.Messages {
		msgs[i] = exportMessageJSON{ID: m.ID, RoomID: m.RoomID, Body: m.Body, Status: m.Status, CreatedAt: m.CreatedAt.UTC()}
	}
	audit := make([]exportAuditJSON, len(e.Audit))
	for i, a := range e.Audit {
		audit[i] = exportAuditJSON{At: a.At.UTC(), Event: a.Event, IP: a.IP, UserAgent: a.UserAgent, Detail: a.Detail}
	}
	roles := e.Profile.Roles
	if roles == nil {
		roles = []string{}
	}
	w.Header().Set("Content-Disposition", `attachment; filename="torii-export.json"`)
	writeJSON(w, http.StatusOK, map[string]any{
		"exportedAt": time.Now().UTC(),
		"user":       userOf(e.Profile.User, len(e.Profile.Identities)),
		"identities": ids,
		"roles":      roles,
		"groups":     membershipsOf(e.Groups),
		"sessions":   sessions,
		"messages":   msgs,
		"audit":      audit,
		// The bounds and whether each part reached them (docs/api.md).
		"truncated":         e.MessagesTruncated || e.AuditTruncated,
		"messagesTruncated": e.MessagesTruncated,
		"auditTruncated":    e.AuditTruncated,
		"limits":            map[string]int{"messages": service.MaxExportMessages, "audit": service.MaxExportAudit},
	})
	return nil
}
