package web

import (
	"net/http"
	"time"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/service"
)

// invitationJSON is an invitation as its group's owners and admins see it:
// only the id they gave, never the invitee's name or email (an id nobody
// holds looks the same as a user's).
type invitationJSON struct {
	ID        int64     `json:"id"`
	GroupID   int64     `json:"groupId"`
	UserID    int64     `json:"userId"`
	Role      string    `json:"role"`
	InvitedBy *int64    `json:"invitedBy"`
	CreatedAt time.Time `json:"createdAt"`
	ExpiresAt time.Time `json:"expiresAt"`
}

func invitationOf(i torii.GroupInvitation) invitationJSON {
	return invitationJSON{ID: i.ID, GroupID: i.GroupID, UserID: i.UserID, Role: i.Role, InvitedBy: i.InvitedBy,
		CreatedAt: i.CreatedAt.UTC(), ExpiresAt: i.ExpiresAt.UTC()}
}

// myInvitationJSON is an invitation as its invitee sees it: which group,
// and the inviter's name.
type myInvitationJSON struct {
	invitationJSON
	Group       groupRefJSON `json:"group"`
	InviterName string       `json:"inviterName"`
}

type groupRefJSON struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// groupInvitations is GET /api/v1/groups/{id}/invitations.
func (s *Server) groupInvitations(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	list, err := s.svc.GroupInvitations(r.Context(), p, id)
	if err != nil {
		return err
	}
	out := make([]invitationJSON, len(list))
	for i, inv := range list {
		out[i] = invitationOf(inv)
	}
	writeJSON(w, http.StatusOK, map[string]any{"invitations": out})
	return nil
}

// cancelGroupInvitation is DELETE /api/v1/groups/{id}/invitations/{invitationId}.
func (s *Server) cancelGroupInvitation(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	invID, err := pathID(r, "invitationId")
	if err != nil {
		return err
	}
	if err := s.svc.CancelGroupInvitation(r.Context(), p, id, invID, s.meta(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// myGroupInvitations is GET /api/v1/me/group-invitations.
func (s *Server) myGroupInvitations(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	list, err := s.svc.MyGroupInvitations(r.Context(), p)
	if err != nil {
		return err
	}
	out := make([]myInvitationJSON, len(list))
	for i, v := range list {
		out[i] = myInvitationJSON{invitationJSON: invitationOf(v.GroupInvitation),
			Group: groupRefJSON{ID: v.Group.ID, Name: v.Group.Name}, InviterName: v.InviterName}
	}
	writeJSON(w, http.StatusOK, map[string]any{"invitations": out})
	return nil
}

// acceptGroupInvitation is POST /api/v1/me/group-invitations/{id}/accept:
// 201 {"group"} with the caller's new role.
func (s *Server) acceptGroupInvitation(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	m, err := s.svc.AcceptGroupInvitation(r.Context(), p, id, s.meta(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"group": groupOf(m.Group, m.Role)})
	return nil
}

// declineGroupInvitation is DELETE /api/v1/me/group-invitations/{id} and
// POST /api/v1/me/group-invitations/{id}/decline.
func (s *Server) declineGroupInvitation(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.svc.DeclineGroupInvitation(r.Context(), p, id, s.meta(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
