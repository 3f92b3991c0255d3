package web

import (
	"encoding/json"
	"net/http"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/service"
)

// Profile changes (issue 19): PATCH /api/v1/me, the e-mail change.

// patchMe is PATCH /api/v1/me: a partial update of the caller's profile,
// answered like GET /api/v1/me. Each field is handled by a function of its
// own (patchMeName, …), so fields added by other features join this one
// handler; an unknown field is refused, so a typo never answers 200.
func (s *Server) patchMe(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	var in map[string]json.RawMessage
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if len(in) == 0 {
		return torii.Invalid(map[string]string{"name": "is required"})
	}
	for k := range in {
		if _, ok := meFields[k]; !ok {
			return torii.Invalid(map[string]string{k: "is not a field of the profile"})
		}
	}
	for k, raw := range in {
		u, err := meFields[k](s, w, r, p, raw)
		if err != nil {
			return err
		}
		p.User = u
	}
	return s.me(w, r, p)
}

// meFields are PATCH /api/v1/me's fields, each with its handler.
var meFields = map[string]func(s *Server, w http.ResponseWriter, r *http.Request, p service.Principal, raw json.RawMessage) (torii.User, error){
	"name":     (*Server).patchMeName,
	"language": (*Server).patchMeLanguage,
}

// patchMeName handles PATCH /api/v1/me {"name"}.
func (s *Server) patchMeName(_ http.ResponseWriter, r *http.Request, p service.Principal, raw json.RawMessage) (torii.User, error) {
	var name string
	if err := json.Unmarshal(raw, &name); err != nil {
		return torii.User{}, torii.Invalid(map[string]string{"name": "must be a string"})
	}
	return s.svc.UpdateName(r.Context(), p, name, s.meta(r))
}

type emailChangeJSON struct {
	Email string `json:"email"`
}

// requestEmailChange is POST /api/v1/me/email {"email"}: 202 once the
// link to the new address and the notice to the old one are queued.
func (s *Server) requestEmailChange(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	var in emailChangeJSON
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := s.svc.RequestEmailChange(r.Context(), p, in.Email, s.meta(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusAccepted)
	return nil
}

// confirmEmailChange is POST /api/v1/auth/email-change/confirm {"token"}:
// 204, or 400 TOKEN_INVALID. No session needed.
func (s *Server) confirmEmailChange(w http.ResponseWriter, r *http.Request) error {
	var in verifyEmailJSON
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if _, err := s.svc.ConfirmEmailChange(r.Context(), in.Token, s.meta(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
