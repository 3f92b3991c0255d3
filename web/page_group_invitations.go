package web

import (
	"net/http"
)

// accountInvitationAcceptSubmit is POST /account/group-invitations/accept
// (POST /api/v1/me/group-invitations/{id}/accept for forms).
func (s *Server) accountInvitationAcceptSubmit(w http.ResponseWriter, r *http.Request) {
	p, ok := s.accountForm(w, r)
	if !ok {
		return
	}
	id, err := formID(r, "id")
	if err == nil {
		_, err = s.svc.AcceptGroupInvitation(r.Context(), p, id, s.meta(r))
	}
	if err != nil {
		s.accountError(w, r, p, err)
		return
	}
	http.Redirect(w, r, "/account?joined=1", http.StatusSeeOther)
}

// accountInvitationDeclineSubmit is POST /account/group-invitations/decline.
func (s *Server) accountInvitationDeclineSubmit(w http.ResponseWriter, r *http.Request) {
	p, ok := s.accountForm(w, r)
	if !ok {
		return
	}
	id, err := formID(r, "id")
	if err == nil {
		err = s.svc.DeclineGroupInvitation(r.Context(), p, id, s.meta(r))
	}
	if err != nil {
		s.accountError(w, r, p, err)
		return
	}
	http.Redirect(w, r, "/account?declined=1", http.StatusSeeOther)
}
