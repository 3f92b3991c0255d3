package web

import (
	"net/http"
	"time"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/service"
)

type groupJSON struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	CreatedBy   *int64    `json:"createdBy"`
	CreatedAt   time.Time `json:"createdAt"`
	// Role is the caller's role in the group, null when an admin sees a
	// group they are not in.
	Role *string `json:"role"`
}

func groupOf(g torii.Group, role string) groupJSON {
	out := groupJSON{ID: g.ID, Name: g.Name, Description: g.Description, CreatedBy: g.CreatedBy, CreatedAt: g.CreatedAt.UTC()}
	if role != "" {
		out.Role = &role
	}
	return out
}

type memberJSON struct {
	GroupID   int64     `json:"groupId"`
	UserID    int64     `json:"userId"`
	Email     string    `json:"email,omitempty"`
	Name      string    `json:"name,omitempty"`
	Role      string    `json:"role"`
	CreatedAt time.Time `json:"createdAt"`
}

// groups is GET /api/v1/groups: the caller's groups, every group for an
// admin.
func (s *Server) groups(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	list, err := s.svc.Groups(r.Context(), p)
	if err != nil {
		return err
	}
	out := make([]groupJSON, len(list))
	for i, g := range list {
		out[i] = groupOf(g.Group, g.Role)
	}
	writeJSON(w, http.StatusOK, map[string]any{"groups": out})
	return nil
}

// createGroup is POST /api/v1/groups {name, description?} (admins).
func (s *Server) createGroup(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	var in struct {
		Name        string `json:"name"`
		Description string `json:"description"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	g, err := s.svc.CreateGroup(r.Context(), in.Name, in.Description, service.ActorOf(p, s.meta(r)))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"group": groupOf(g, "")})
	return nil
}

// groupMembers is GET /api/v1/groups/{id}/members.
func (s *Server) groupMembers(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	list, err := s.svc.GroupMembers(r.Context(), p, id)
	if err != nil {
		return err
	}
	out := make([]memberJSON, len(list))
	for i, m := range list {
		out[i] = memberJSON{GroupID: m.GroupID, UserID: m.UserID, Email: m.Email, Name: m.Name, Role: m.Role, CreatedAt: m.CreatedAt.UTC()}
	}
	writeJSON(w, http.StatusOK, map[string]any{"members": out})
	return nil
}

type memberChangeJSON struct {
	UserID int64  `json:"userId"`
	Role   string `json:"role"`
}

// setGroupMember is POST /api/v1/groups/{id}/members {userId, role}: 201
// for a member added by a site admin, 200 for a role change, 202
// {"invitation"} when the change became an invitation (anyone else adding
// someone; docs/api.md "Group invitations").
func (s *Server) setGroupMember(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in memberChangeJSON
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.UserID <= 0 {
		return torii.Invalid(map[string]string{"userId": "is required"})
	}
	m := torii.GroupMember{GroupID: id, UserID: in.UserID, Role: in.Role}
	change, err := s.svc.SetGroupMember(r.Context(), p, m, s.meta(r))
	if err != nil {
		return err
	}
	if change.Invitation != nil {
		writeJSON(w, http.StatusAccepted, map[string]any{"invitation": invitationOf(*change.Invitation)})
		return nil
	}
	status := http.StatusOK
	if change.Added {
		status = http.StatusCreated
	}
	if m.Role == "" {
		m.Role = torii.GroupRoleMember
	}
	writeJSON(w, status, map[string]any{"member": memberJSON{GroupID: id, UserID: m.UserID, Role: m.Role}})
	return nil
}

// removeGroupMember is DELETE /api/v1/groups/{id}/members with a body
// {userId} (as api.md writes it) or ?userId=.
func (s *Server) removeGroupMember(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	userID, err := queryInt(r.URL.Query(), "userId")
	if err != nil {
		return err
	}
	if userID == 0 && r.ContentLength != 0 {
		var in memberChangeJSON
		if err := decodeJSON(w, r, &in); err != nil {
			return err
		}
		userID = in.UserID
	}
	if userID <= 0 {
		return torii.Invalid(map[string]string{"userId": "is required"})
	}
	if err := s.svc.RemoveGroupMember(r.Context(), p, id, userID, s.meta(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
