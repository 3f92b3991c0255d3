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

// requestEmailChange is POST /api/v1/me/email {"email"}: 202 {"email",
// "expiresAt", "mailed"} once the link to the new address and the notice
// to the old one are queued (mailed), or, with no mail, once the change
// waits for an admin's link.
func (s *Server) requestEmailChange(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	var in emailChangeJSON
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	req, err := s.svc.RequestEmailChange(r.Context(), p, in.Email, s.meta(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"email": req.NewEmail, "expiresAt": req.ExpiresAt.UTC(), "mailed": req.Mailed})
	return nil
}

// adminEmailChangeLink is POST /api/v1/admin/users/{id}/email-change: 201
// {"url", "email", "oldEmail", "expiresAt"}, the confirmation link of the
// user's waiting change of address, for the admin to hand over.
func (s *Server) adminEmailChangeLink(w http.ResponseWriter, r *http.Request, by service.Actor) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	link, err := s.svc.AdminEmailChangeLink(r.Context(), id, by)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"url": link.URL, "email": link.NewEmail, "oldEmail": link.OldEmail, "expiresAt": link.ExpiresAt.UTC()})
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

// adminEmailChanges is GET /api/v1/admin/email-changes: the waiting
// changes of address (each account's newest), newest first, so an admin
// knows which links to make. Tokens are never listed.
func (s *Server) adminEmailChanges(w http.ResponseWriter, r *http.Request, by service.Actor) error {
	list, err := s.svc.AdminWaitingEmailChanges(r.Context(), by)
	if err != nil {
		return err
	}
	out := make([]map[string]any, len(list))
	for i, ch := range list {
		out[i] = map[string]any{"userId": ch.UserID, "oldEmail": ch.OldEmail, "email": ch.NewEmail, "via": ch.Via,
			"createdAt": ch.CreatedAt.UTC(), "expiresAt": ch.ExpiresAt.UTC()}
	}
	writeJSON(w, http.StatusOK, map[string]any{"emailChanges": out})
	return nil
}
