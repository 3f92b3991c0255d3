package web

import (
	"net/http"
	"time"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/service"
)

// The admin API for the apps that sign their users in with torii (issue 16,
// docs/provider.md). Registration is for admins only: there is no dynamic
// client registration. The secret is in the answer of POST and of
// rotate-secret, and nowhere else: torii stores only its hash.

type clientJSON struct {
	ID             string    `json:"id"`
	Name           string    `json:"name"`
	RedirectURIs   []string  `json:"redirectUris"`
	PostLogoutURIs []string  `json:"postLogoutUris"`
	Public         bool      `json:"public"`
	Trusted        bool      `json:"trusted"`
	Groups         []string  `json:"groups"`
	CreatedBy      *int64    `json:"createdBy"`
	CreatedAt      time.Time `json:"createdAt"`
	UpdatedAt      time.Time `json:"updatedAt"`
}

func clientOf(c service.ClientView) clientJSON {
	out := clientJSON{ID: c.ID, Name: c.Name, RedirectURIs: c.RedirectURIs, PostLogoutURIs: c.PostLogoutURIs,
		Public: c.Public, Trusted: c.Trusted, Groups: c.GroupNames, CreatedBy: c.CreatedBy,
		CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC()}
	for _, l := range []*[]string{&out.RedirectURIs, &out.PostLogoutURIs, &out.Groups} {
		if *l == nil {
			*l = []string{}
		}
	}
	return out
}

// credentialsOf is the answer that carries the secret, once: clientSecret
// is null for a public client.
func credentialsOf(c service.ClientCredentials) map[string]any {
	var secret *string
	if c.Secret != "" {
		secret = &c.Secret
	}
	return map[string]any{"client": clientOf(c.Client), "clientSecret": secret}
}

type clientInJSON struct {
	Name           *string   `json:"name"`
	RedirectURIs   *[]string `json:"redirectUris"`
	PostLogoutURIs *[]string `json:"postLogoutUris"`
	Public         *bool     `json:"public"`
	Trusted        *bool     `json:"trusted"`
	Groups         *[]string `json:"groups"`
}

// clientField is a JSON field's value, or its zero value when absent.
func clientField[T any](p *T) (v T) {
	if p != nil {
		v = *p
	}
	return v
}

// adminClients is GET /api/v1/admin/clients.
func (s *Server) adminClients(w http.ResponseWriter, r *http.Request, by service.Actor) error {
	list, err := s.svc.Clients(r.Context(), by)
	if err != nil {
		return err
	}
	out := make([]clientJSON, len(list))
	for i, c := range list {
		out[i] = clientOf(c)
	}
	writeJSON(w, http.StatusOK, map[string]any{"clients": out})
	return nil
}

// adminClient is GET /api/v1/admin/clients/{id}.
func (s *Server) adminClient(w http.ResponseWriter, r *http.Request, by service.Actor) error {
	c, err := s.svc.Client(r.Context(), r.PathValue("id"), by)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"client": clientOf(c)})
	return nil
}

// adminClientAdd is POST /api/v1/admin/clients {name, redirectUris,
// postLogoutUris?, public?, trusted?, groups?} → 201 {client, clientSecret}.
func (s *Server) adminClientAdd(w http.ResponseWriter, r *http.Request, by service.Actor) error {
	var in clientInJSON
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	c, err := s.svc.CreateClient(r.Context(), service.ClientInput{
		Name: clientField(in.Name), RedirectURIs: clientField(in.RedirectURIs), PostLogoutURIs: clientField(in.PostLogoutURIs),
		Public: clientField(in.Public), Trusted: clientField(in.Trusted), Groups: clientField(in.Groups),
	}, by)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, credentialsOf(c))
	return nil
}

// adminClientUpdate is PATCH /api/v1/admin/clients/{id}: the fields given
// replace the stored ones. Whether a client is public cannot change.
func (s *Server) adminClientUpdate(w http.ResponseWriter, r *http.Request, by service.Actor) error {
	var in clientInJSON
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.Public != nil {
		return torii.Invalid(map[string]string{"public": "cannot change: register a new client instead"})
	}
	p := service.ClientPatch{Name: in.Name, RedirectURIs: in.RedirectURIs, PostLogoutURIs: in.PostLogoutURIs,
		Trusted: in.Trusted, Groups: in.Groups}
	if p == (service.ClientPatch{}) {
		return torii.Invalid(map[string]string{"body": "nothing to change"})
	}
	c, err := s.svc.UpdateClient(r.Context(), r.PathValue("id"), p, by)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"client": clientOf(c)})
	return nil
}

// adminClientRemove is DELETE /api/v1/admin/clients/{id} → 204.
func (s *Server) adminClientRemove(w http.ResponseWriter, r *http.Request, by service.Actor) error {
	if err := s.svc.DeleteClient(r.Context(), r.PathValue("id"), by); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// adminClientRotate is POST /api/v1/admin/clients/{id}/rotate-secret →
// 200 {client, clientSecret}: the old secret stops working at once.
func (s *Server) adminClientRotate(w http.ResponseWriter, r *http.Request, by service.Actor) error {
	c, err := s.svc.RotateClientSecret(r.Context(), r.PathValue("id"), by)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, credentialsOf(c))
	return nil
}
