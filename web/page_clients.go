package web

import (
	"net/http"
	"strings"

	"github.com/toriihq/torii/service"
)

// The /admin section for the apps that sign in with torii (issue 16): the
// same service rules as the admin API and `torii client …`.

// adminClientsView is the clients part of the /admin page's data.
type adminClientsView struct {
	Clients []service.ClientView
	// NewClient holds the credentials just made (registration or a new
	// secret): the one page that shows the secret.
	NewClient *service.ClientCredentials
	// Issuer is what apps configure (TORII_BASE_URL).
	Issuer string
}

// loadAdminClients fills the clients part of the /admin page; d.Data may
// carry the credentials a form just made.
func (s *Server) loadAdminClients(r *http.Request, by service.Actor, v *adminView, d pageData) error {
	list, err := s.svc.Clients(r.Context(), by)
	if err != nil {
		return err
	}
	v.Clients = list
	v.Issuer = strings.TrimSuffix(s.opts.BaseURL.String(), "/")
	if c, ok := d.Data.(*service.ClientCredentials); ok {
		v.NewClient = c
	}
	return nil
}

// clientFormLines splits a textarea into its non-empty lines.
func clientFormLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// clientFormList splits "a, b" into its non-empty items.
func clientFormList(s string) []string {
	var out []string
	for _, g := range strings.Split(s, ",") {
		if g = strings.TrimSpace(g); g != "" {
			out = append(out, g)
		}
	}
	return out
}

// clientFormError shows /admin again with the error: field messages go
// beside the registration form's inputs, which keep what was typed.
func (s *Server) clientFormError(w http.ResponseWriter, r *http.Request, by service.Actor, err error) {
	d := pageData{Form: map[string]string{}}
	for _, k := range []string{"name", "redirect_uris", "post_logout_uris", "groups", "public", "trusted"} {
		d.Form[k] = r.PostForm.Get(k)
	}
	status, ok := s.formFailure(w, r, &d, err)
	if !ok {
		return
	}
	s.renderAdmin(w, r, by, status, d)
}

// adminClientAddSubmit is POST /admin/clients/add: registers the app and
// shows its credentials once (the page is the answer; nothing redirects to
// a URL that would show the secret again).
func (s *Server) adminClientAddSubmit(w http.ResponseWriter, r *http.Request) {
	by, ok := s.adminForm(w, r)
	if !ok {
		return
	}
	f := r.PostForm
	c, err := s.svc.CreateClient(r.Context(), service.ClientInput{
		Name: f.Get("name"), RedirectURIs: clientFormLines(f.Get("redirect_uris")), PostLogoutURIs: clientFormLines(f.Get("post_logout_uris")),
		Public: f.Get("public") == "1", Trusted: f.Get("trusted") == "1", Groups: clientFormList(f.Get("groups")),
	}, by)
	if err != nil {
		s.clientFormError(w, r, by, err)
		return
	}
	s.renderAdmin(w, r, by, http.StatusOK, pageData{Notice: "apps.admin.registered", Data: &c})
}

// adminClientUpdateSubmit is POST /admin/clients/update {id, name,
// redirect_uris, post_logout_uris, groups, trusted}.
func (s *Server) adminClientUpdateSubmit(r *http.Request, by service.Actor) error {
	f := r.PostForm
	name, redirects, logouts := f.Get("name"), clientFormLines(f.Get("redirect_uris")), clientFormLines(f.Get("post_logout_uris"))
	groups, trusted := clientFormList(f.Get("groups")), f.Get("trusted") == "1"
	if logouts == nil {
		logouts = []string{}
	}
	if groups == nil {
		groups = []string{}
	}
	_, err := s.svc.UpdateClient(r.Context(), f.Get("id"), service.ClientPatch{
		Name: &name, RedirectURIs: &redirects, PostLogoutURIs: &logouts, Groups: &groups, Trusted: &trusted,
	}, by)
	return err
}

// adminClientRotateSubmit is POST /admin/clients/rotate {id}: a new secret,
// shown once.
func (s *Server) adminClientRotateSubmit(w http.ResponseWriter, r *http.Request) {
	by, ok := s.adminForm(w, r)
	if !ok {
		return
	}
	c, err := s.svc.RotateClientSecret(r.Context(), r.PostForm.Get("id"), by)
	if err != nil {
		s.adminFormError(w, r, by, err)
		return
	}
	s.renderAdmin(w, r, by, http.StatusOK, pageData{Notice: "apps.admin.rotated", Data: &c})
}

// adminClientRemoveSubmit is POST /admin/clients/remove {id}.
func (s *Server) adminClientRemoveSubmit(r *http.Request, by service.Actor) error {
	return s.svc.DeleteClient(r.Context(), r.PostForm.Get("id"), by)
}
