package web

import (
	"net/http"
	"time"

	"github.com/toriihq/torii/service"
)

// Account recovery (issue 19): password reset and invitations.

type resetRequestJSON struct {
	Email string `json:"email"`
}

// passwordResetRequest is POST /api/v1/auth/password-reset {"email"}:
// 202 {"mailed"}, whether or not the address has an account; mailed is
// false on a server that sends no mail (the same for every address).
func (s *Server) passwordResetRequest(w http.ResponseWriter, r *http.Request) error {
	var in resetRequestJSON
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	mailed, err := s.svc.RequestPasswordReset(r.Context(), in.Email, s.meta(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]bool{"mailed": mailed})
	return nil
}

type resetConfirmJSON struct {
	Token    string `json:"token"`
	Password string `json:"password"`
}

// passwordResetConfirm is POST /api/v1/auth/password-reset/confirm
// {"token", "password"}: 204, or 400 TOKEN_INVALID. It signs nobody in:
// the holder of the link signs in with the new password.
func (s *Server) passwordResetConfirm(w http.ResponseWriter, r *http.Request) error {
	var in resetConfirmJSON
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if _, err := s.svc.ResetPassword(r.Context(), in.Token, in.Password, s.meta(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// adminPasswordReset is POST /api/v1/admin/users/{id}/password-reset:
// 201 {"url", "expiresAt"}, a link for the admin to hand over.
func (s *Server) adminPasswordReset(w http.ResponseWriter, r *http.Request, by service.Actor) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	link, err := s.svc.AdminResetLink(r.Context(), id, by)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"url": link.URL, "expiresAt": link.ExpiresAt.UTC()})
	return nil
}

type inviteJSON struct {
	Email  string   `json:"email"`
	Groups []string `json:"groups"`
	Admin  bool     `json:"admin"`
}

type userInviteJSON struct {
	ID        int64       `json:"id"`
	Email     string      `json:"email"`
	Groups    []groupJSON `json:"groups"`
	Admin     bool        `json:"admin"`
	InvitedBy *int64      `json:"invitedBy"`
	CreatedAt time.Time   `json:"createdAt"`
	ExpiresAt time.Time   `json:"expiresAt"`
}

func userInviteOf(v service.UserInvitation) userInviteJSON {
	out := userInviteJSON{ID: v.ID, Email: v.Email, Groups: make([]groupJSON, len(v.Groups)), Admin: v.Admin,
		InvitedBy: v.InvitedBy, CreatedAt: v.CreatedAt.UTC(), ExpiresAt: v.ExpiresAt.UTC()}
	for i, g := range v.Groups {
		out.Groups[i] = groupOf(g, "")
	}
	return out
}

// adminInvite is POST /api/v1/admin/invitations {"email", "groups",
// "admin"}: 201 {"id", "url", "mailed", "invitation"}.
func (s *Server) adminInvite(w http.ResponseWriter, r *http.Request, by service.Actor) error {
	var in inviteJSON
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	v, link, err := s.svc.Invite(r.Context(), service.InviteInput{Email: in.Email, Groups: in.Groups, Admin: in.Admin}, by)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": v.ID, "url": link, "mailed": v.Mailed, "invitation": userInviteOf(v)})
	return nil
}

// adminInvitations is GET /api/v1/admin/invitations: the live ones,
// newest first.
func (s *Server) adminInvitations(w http.ResponseWriter, r *http.Request, by service.Actor) error {
	list, err := s.svc.Invitations(r.Context(), by)
	if err != nil {
		return err
	}
	out := make([]userInviteJSON, len(list))
	for i, v := range list {
		out[i] = userInviteOf(v)
	}
	writeJSON(w, http.StatusOK, map[string]any{"invitations": out})
	return nil
}

// adminRevokeInvitation is DELETE /api/v1/admin/invitations/{id}: 204.
func (s *Server) adminRevokeInvitation(w http.ResponseWriter, r *http.Request, by service.Actor) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.svc.RevokeInvitation(r.Context(), id, by); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type acceptInviteJSON struct {
	Token    string `json:"token"`
	Name     string `json:"name"`
	Password string `json:"password"`
}

// acceptInvitation is POST /api/v1/auth/invitations/accept {"token",
// "name", "password"}: 201 {user} and a session cookie, as a
// registration.
func (s *Server) acceptInvitation(w http.ResponseWriter, r *http.Request) error {
	var in acceptInviteJSON
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	res, err := s.svc.AcceptInvitation(r.Context(), in.Token, in.Name, in.Password, s.meta(r))
	s.metrics.signIn("register", resultOf(err))
	if err != nil {
		return err
	}
	s.setSessionCookie(w, res.Token)
	writeJSON(w, http.StatusCreated, map[string]any{"user": userOf(res.User, 0)})
	return nil
}
