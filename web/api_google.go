package web

import (
	"errors"
	"net/http"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/service"
)

type credentialJSON struct {
	Credential string `json:"credential"`
}

type googleRegisterJSON struct {
	Credential  string `json:"credential"`
	Name        string `json:"name"`
	CompanyName string `json:"companyName"`
}

// googleSignIn is POST /api/v1/auth/google: a GIS credential from the JS
// callback. 200 for an existing user, 201 when the account was created. A
// USER_NOT_FOUND (explicit signup) also hands the browser the credential
// in a short-lived HttpOnly cookie, so /register can finish the
// registration without the page handling the token again.
func (s *Server) googleSignIn(w http.ResponseWriter, r *http.Request) error {
	if !s.svc.GoogleEnabled() {
		return googleOff()
	}
	var in credentialJSON
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	res, err := s.svc.SignInWithGoogle(r.Context(), in.Credential, s.meta(r))
	s.metrics.signIn(service.MethodGoogle, resultOf(err))
	if torii.IsCode(err, torii.EUserNotFound) {
		s.setPendingCookie(w, in.Credential)
	}
	if err != nil {
		return err
	}
	s.setSessionCookie(w, res.Token)
	status := http.StatusOK
	if res.IsNewUser {
		status = http.StatusCreated
	}
	// A user who just signed in with Google has at least one identity,
	// which is all authProvider needs to know.
	writeJSON(w, status, map[string]any{"user": userOf(res.User, 1), "isNewUser": res.IsNewUser})
	return nil
}

// googleRegister is POST /api/v1/auth/google/register (seed 003).
func (s *Server) googleRegister(w http.ResponseWriter, r *http.Request) error {
	if !s.svc.GoogleEnabled() {
		return googleOff()
	}
	var in googleRegisterJSON
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	res, err := s.svc.RegisterWithGoogle(r.Context(), service.GoogleRegisterInput{
		Credential: in.Credential, Name: in.Name, CompanyName: in.CompanyName}, s.meta(r))
	s.metrics.signIn("google_register", resultOf(err))
	if err != nil {
		return err
	}
	s.clearCookie(w, s.pendingCookieName())
	s.setSessionCookie(w, res.Token)
	writeJSON(w, http.StatusCreated, map[string]any{"user": userOf(res.User, 1)})
	return nil
}

// linkIdentity is POST /api/v1/me/identities (security.md D.23).
func (s *Server) linkIdentity(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	if !s.svc.GoogleEnabled() {
		return googleOff()
	}
	var in credentialJSON
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	id, created, err := s.svc.LinkGoogle(r.Context(), p, in.Credential, s.meta(r))
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if !created {
		status = http.StatusOK
	}
	writeJSON(w, status, map[string]any{"identity": identityOf(id)})
	return nil
}

// unlinkIdentity is DELETE /api/v1/me/identities/{id}.
func (s *Server) unlinkIdentity(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.svc.UnlinkIdentity(r.Context(), p, id, s.meta(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type passwordJSON struct {
	CurrentPassword string `json:"currentPassword"`
	NewPassword     string `json:"newPassword"`
}

// setPassword is PUT /api/v1/me/password.
func (s *Server) setPassword(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	var in passwordJSON
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := s.svc.SetPassword(r.Context(), p, in.CurrentPassword, in.NewPassword, s.meta(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func googleOff() error {
	return torii.Errorf(torii.EGoogleNotConfigured, "Google sign-in is not configured on this server.")
}

// isPending reports whether err asks the browser to finish a registration.
func isPending(err error) (*service.PendingRegistration, bool) {
	var p *service.PendingRegistration
	return p, errors.As(err, &p)
}
