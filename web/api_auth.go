package web

import (
	"net/http"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/service"
)

func notFound(w http.ResponseWriter, r *http.Request) error {
	return torii.Errorf(torii.ENotFound, "No such endpoint.")
}

type authConfigJSON struct {
	Google        *googleConfigJSON `json:"google"`
	PasswordLogin bool              `json:"passwordLogin"`
	Signup        string            `json:"signup"`
	Assistant     bool              `json:"assistant"`
	// Mail says whether torii sends mail (verification links); without
	// it an admin confirms addresses.
	Mail bool `json:"mail"`
}

// googleConfigJSON adds to api.md's {clientId}: gis (the provider is
// Google, so the page may load Google Identity Services) and codeFlow (a
// client secret is set, so /auth/google/login works).
type googleConfigJSON struct {
	ClientID string `json:"clientId"`
	GIS      bool   `json:"gis"`
	CodeFlow bool   `json:"codeFlow"`
}

func (s *Server) authConfig(w http.ResponseWriter, r *http.Request) error {
	c := s.svc.PublicConfig()
	var google *googleConfigJSON
	if g := c.Google; g != nil {
		google = &googleConfigJSON{ClientID: g.ClientID, GIS: g.GIS, CodeFlow: g.CodeFlow}
	}
	writeJSON(w, http.StatusOK, authConfigJSON{
		Google:        google,
		PasswordLogin: c.PasswordLogin,
		Signup:        string(c.Signup),
		Assistant:     s.svc.AssistantEnabled(),
		Mail:          c.Mail,
	})
	return nil
}

type credentialsJSON struct {
	Email       string `json:"email"`
	Password    string `json:"password"`
	Name        string `json:"name"`
	CompanyName string `json:"companyName"`
}

func (s *Server) register(w http.ResponseWriter, r *http.Request) error {
	var in credentialsJSON
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	res, err := s.svc.Register(r.Context(), service.RegisterInput{Email: in.Email, Password: in.Password, Name: in.Name, CompanyName: in.CompanyName}, s.meta(r))
	s.metrics.signIn("register", resultOf(err))
	if err != nil {
		return err
	}
	s.setSessionCookie(w, res.Token)
	writeJSON(w, http.StatusCreated, map[string]any{"user": userOf(res.User, 0)})
	return nil
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	var in credentialsJSON
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	res, err := s.svc.Login(r.Context(), in.Email, in.Password, s.meta(r))
	s.metrics.signIn("password", resultOf(err))
	if err != nil {
		return err
	}
	s.setSessionCookie(w, res.Token)
	p, err := s.svc.Profile(r.Context(), res.User.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": userOf(p.User, len(p.Identities))})
	return nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	if err := s.svc.Logout(r.Context(), p, s.meta(r)); err != nil {
		return err
	}
	s.clearSessionCookie(w)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) me(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	ids := make([]identityJSON, 0, len(p.Identities))
	for _, id := range p.Identities {
		ids = append(ids, identityOf(id))
	}
	roles := p.Roles
	if roles == nil {
		roles = []string{}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"user":       userOf(p.User, len(p.Identities)),
		"identities": ids,
		"groups":     membershipsOf(p.Groups),
		"roles":      roles,
		"language":   s.svc.UserLanguage(r.Context(), p.User.ID),
	})
	return nil
}

func (s *Server) mySessions(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	list, err := s.svc.Sessions(r.Context(), p)
	if err != nil {
		return err
	}
	out := make([]sessionJSON, 0, len(list))
	for _, x := range list {
		out = append(out, sessionOf(x, p.Session.ID))
	}
	writeJSON(w, http.StatusOK, map[string]any{"sessions": out})
	return nil
}

func (s *Server) revokeSession(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	if err := s.svc.RevokeSession(r.Context(), p, r.PathValue("id"), s.meta(r)); err != nil {
		return err
	}
	if r.PathValue("id") == p.Session.ID {
		s.clearSessionCookie(w)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) revokeOtherSessions(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	if err := s.svc.RevokeOtherSessions(r.Context(), p, s.meta(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// resultOf labels a sign-in attempt for metrics.
func resultOf(err error) string {
	if err == nil {
		return "success"
	}
	return torii.ErrorCode(err)
}
