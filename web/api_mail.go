package web

import (
	"net/http"

	"github.com/toriihq/torii/service"
)

type verifyEmailJSON struct {
	Token string `json:"token"`
}

// verifyEmail is POST /api/v1/auth/verify-email {"token"}: 204, or 400
// TOKEN_INVALID. It needs no session: the token is the proof, and the
// link may be opened in another browser than the one that registered.
func (s *Server) verifyEmail(w http.ResponseWriter, r *http.Request) error {
	var in verifyEmailJSON
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if _, err := s.svc.VerifyEmail(r.Context(), in.Token, s.meta(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// resendVerification is POST /api/v1/me/verify-email: 202 once a new
// mail is queued.
func (s *Server) resendVerification(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	if err := s.svc.ResendVerification(r.Context(), p, s.meta(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusAccepted)
	return nil
}

// adminVerifyEmail is POST /api/v1/admin/users/{id}/verify-email: the
// admin vouches for the user's current address.
func (s *Server) adminVerifyEmail(w http.ResponseWriter, r *http.Request, by service.Actor) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	u, err := s.svc.AdminVerifyEmail(r.Context(), id, by)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": adminUserOf(u)})
	return nil
}
