package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/service"
	"github.com/toriihq/torii/testserver"
)

// addClient registers a client through the admin API and returns the
// answer's client and secret.
func addClient(t *testing.T, c *testserver.Client, body map[string]any) (map[string]any, any) {
	t.Helper()
	r := c.Do("POST", "/api/v1/admin/clients", body)
	if r.Status != http.StatusCreated {
		t.Fatalf("POST /api/v1/admin/clients %v: %d %s", body, r.Status, r.Body)
	}
	m := r.JSON()
	return m["client"].(map[string]any), m["clientSecret"]
}

// TestClients_SecretShownOnceAndOnlyItsHashStored: registering a
// confidential client answers its secret once; no later answer carries it,
// the database holds only its hash (which the secret matches), and a new
// secret replaces the old one at once. Each change is audited.
func TestClients_SecretShownOnceAndOnlyItsHashStored(t *testing.T) {
	srv := start(t, adminEnv)
	boss := adminClient(t, srv)
	client, secret := addClient(t, boss, map[string]any{
		"name": "Grafana", "redirectUris": []string{"https://grafana.example/login/generic_oauth"},
	})
	s, _ := secret.(string)
	id, _ := client["id"].(string)
	if len(s) < 40 || id == "" || client["public"] != false || client["trusted"] != false {
		t.Fatalf("client %v secret %q", client, s)
	}
	for _, path := range []string{"/api/v1/admin/clients", "/api/v1/admin/clients/" + id, "/admin"} {
		r := boss.Do("GET", path, nil)
		if r.Status != http.StatusOK || strings.Contains(string(r.Body), s) || strings.Contains(string(r.Body), "secretHash") {
			t.Fatalf("GET %s: %d, shows the secret or its hash:\n%s", path, r.Status, r.Body)
		}
	}
	stored, err := storeOf(t, srv).OAuthClientByID(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if stored.SecretHash == "" || strings.Contains(stored.SecretHash, s) || !service.CheckClientSecret(stored, s) {
		t.Fatalf("stored secret_hash %q for secret %q", stored.SecretHash, s)
	}

	r := boss.Do("POST", "/api/v1/admin/clients/"+id+"/rotate-secret", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("rotate: %d %s", r.Status, r.Body)
	}
	s2, _ := r.JSON()["clientSecret"].(string)
	stored, _ = storeOf(t, srv).OAuthClientByID(t.Context(), id)
	if s2 == "" || s2 == s || service.CheckClientSecret(stored, s) || !service.CheckClientSecret(stored, s2) {
		t.Fatalf("after rotation: new %q old %q; old matches=%v new matches=%v", s2, s,
			service.CheckClientSecret(stored, s), service.CheckClientSecret(stored, s2))
	}

	pub, secret := addClient(t, boss, map[string]any{
		"name": "Notebook", "redirectUris": []string{"http://127.0.0.1:8501/callback"}, "public": true,
	})
	if secret != nil || pub["public"] != true {
		t.Fatalf("public client: %v secret %v", pub, secret)
	}
	wantError(t, boss.Do("POST", "/api/v1/admin/clients/"+pub["id"].(string)+"/rotate-secret", nil), http.StatusUnprocessableEntity, "VALIDATION_ERROR")

	if r := boss.Do("DELETE", "/api/v1/admin/clients/"+id, nil); r.Status != http.StatusNoContent {
		t.Fatalf("DELETE: %d %s", r.Status, r.Body)
	}
	wantError(t, boss.Do("GET", "/api/v1/admin/clients/"+id, nil), http.StatusNotFound, "NOT_FOUND")
	wantError(t, boss.Do("DELETE", "/api/v1/admin/clients/"+id, nil), http.StatusNotFound, "NOT_FOUND")
	for event, want := range map[string]int{torii.AuditClientAdd: 2, torii.AuditClientUpdate: 1, torii.AuditClientRemove: 1} {
		events := auditEvents(t, srv, event)
		if len(events) != want {
			t.Fatalf("%d %s events, want %d: %v", len(events), event, want, events)
		}
		if events[0].Detail["by"] != "boss@example.com" && events[0].Email != "boss@example.com" {
			t.Errorf("%s does not name the admin: %+v", event, events[0])
		}
	}
}

// TestClients_InvalidInputNamesTheField: redirect URIs are exact https
// URLs (http only for a loopback host), without wildcards or fragments;
// a name and one redirect URI are required; groups must exist. Each
// refusal is 422 naming the field, and nothing is stored.
func TestClients_InvalidInputNamesTheField(t *testing.T) {
	srv := start(t, adminEnv)
	boss := adminClient(t, srv)
	ok := []string{"https://app.example/cb"}
	cases := []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"no name", map[string]any{"name": " ", "redirectUris": ok}, "name"},
		{"no redirect URI", map[string]any{"name": "A"}, "redirectUris"},
		{"http on a public host", map[string]any{"name": "A", "redirectUris": []string{"http://app.example/cb"}}, "redirectUris"},
		{"wildcard", map[string]any{"name": "A", "redirectUris": []string{"https://*.app.example/cb"}}, "redirectUris"},
		{"fragment", map[string]any{"name": "A", "redirectUris": []string{"https://app.example/cb#x"}}, "redirectUris"},
		{"relative", map[string]any{"name": "A", "redirectUris": []string{"/cb"}}, "redirectUris"},
		{"custom scheme is not https", map[string]any{"name": "A", "redirectUris": []string{"javascript://app.example/cb"}}, "redirectUris"},
		{"http post-logout on a public host", map[string]any{"name": "A", "redirectUris": ok, "postLogoutUris": []string{"http://app.example/"}}, "postLogoutUris"},
		{"unknown group", map[string]any{"name": "A", "redirectUris": ok, "groups": []string{"no-such-group"}}, "groups"},
		{"wrong type", map[string]any{"name": "A", "redirectUris": "https://app.example/cb"}, "redirectUris"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := boss.Do("POST", "/api/v1/admin/clients", c.body)
			wantError(t, r, http.StatusUnprocessableEntity, "VALIDATION_ERROR")
			fields, _ := r.JSON()["error"].(map[string]any)["fields"].(map[string]any)
			if msg, _ := fields[c.field].(string); msg == "" {
				t.Fatalf("fields = %v, want a message for %s", fields, c.field)
			}
		})
	}
	if list := boss.Do("GET", "/api/v1/admin/clients", nil).JSON()["clients"].([]any); len(list) != 0 {
		t.Fatalf("refused registrations stored clients: %v", list)
	}
	// Loopback hosts may use http (RFC 8252 §7.3).
	for _, u := range []string{"http://localhost:4180/oauth2/callback", "http://127.0.0.1:8501/oauth2callback", "http://[::1]:3000/cb"} {
		addClient(t, boss, map[string]any{"name": "Local", "redirectUris": []string{u}})
	}

	client, _ := addClient(t, boss, map[string]any{"name": "App", "redirectUris": ok})
	path := "/api/v1/admin/clients/" + client["id"].(string)
	wantError(t, boss.Do("PATCH", path, map[string]any{}), http.StatusUnprocessableEntity, "VALIDATION_ERROR")
	wantError(t, boss.Do("PATCH", path, map[string]any{"public": true}), http.StatusUnprocessableEntity, "VALIDATION_ERROR")
	wantError(t, boss.Do("PATCH", path, map[string]any{"redirectUris": []string{"http://app.example/cb"}}), http.StatusUnprocessableEntity, "VALIDATION_ERROR")
	wantError(t, boss.Do("PATCH", "/api/v1/admin/clients/nope", map[string]any{"name": "B"}), http.StatusNotFound, "NOT_FOUND")
	r := boss.Do("PATCH", path, map[string]any{"name": "Renamed", "trusted": true, "redirectUris": []string{"https://app.example/cb2"}})
	if r.Status != http.StatusOK {
		t.Fatalf("PATCH: %d %s", r.Status, r.Body)
	}
	got := r.JSON()["client"].(map[string]any)
	if got["name"] != "Renamed" || got["trusted"] != true || got["redirectUris"].([]any)[0] != "https://app.example/cb2" {
		t.Fatalf("after PATCH: %v", got)
	}
}

// TestClients_AdminPageRegistersAndShowsSecretOnce: the /admin form
// registers an app and shows its credentials on that one answer; a bad
// redirect URI is named beside its input with what was typed kept.
func TestClients_AdminPageRegistersAndShowsSecretOnce(t *testing.T) {
	srv := start(t, adminEnv)
	boss := adminClient(t, srv)
	bad := postForm(boss, "/admin/clients/add", url.Values{"name": {"Wiki"}, "redirect_uris": {"http://wiki.example/cb"}})
	wantPage(t, bad, http.StatusUnprocessableEntity, `id="client-redirects-error"`, "loopback", "http://wiki.example/cb")
	r := postForm(boss, "/admin/clients/add", url.Values{"name": {"Wiki"}, "redirect_uris": {"https://wiki.example/cb\r\nhttps://wiki.example/cb2"}, "trusted": {"1"}})
	wantPage(t, r, http.StatusOK, `id="new-client-secret"`, `id="new-client-id"`)
	list := boss.Do("GET", "/api/v1/admin/clients", nil).JSON()["clients"].([]any)
	if len(list) != 1 {
		t.Fatalf("clients = %v", list)
	}
	c := list[0].(map[string]any)
	if c["trusted"] != true || len(c["redirectUris"].([]any)) != 2 {
		t.Fatalf("registered from the page: %v", c)
	}
	page := boss.Do("GET", "/admin", nil)
	wantPage(t, page, http.StatusOK, "Wiki", c["id"].(string))
	if strings.Contains(string(page.Body), `id="new-client-secret"`) {
		t.Fatalf("/admin shows a secret again")
	}
	r = postForm(boss, "/admin/clients/remove", url.Values{"id": {c["id"].(string)}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("remove: %d %s", r.Status, r.Body)
	}
	if list := boss.Do("GET", "/api/v1/admin/clients", nil).JSON()["clients"].([]any); len(list) != 0 {
		t.Fatalf("clients after remove = %v", list)
	}
}

// TestClients_NonAdminCannotRegisterChangeOrRemoveFromThePage: the
// /admin forms for apps answer a plain 403 page to a signed-in user
// without the admin role, and change nothing.
func TestClients_NonAdminCannotRegisterChangeOrRemoveFromThePage(t *testing.T) {
	srv := start(t, adminEnv)
	boss := adminClient(t, srv)
	client, _ := addClient(t, boss, map[string]any{"name": "App", "redirectUris": []string{"https://app.example/cb"}})
	member := signedIn(t, srv, "worker@example.com")
	form := url.Values{"id": {client["id"].(string)}, "name": {"Evil"}, "redirect_uris": {"https://evil.example/cb"}}
	for _, path := range []string{"/admin/clients/add", "/admin/clients/update", "/admin/clients/rotate", "/admin/clients/remove"} {
		wantPage(t, postForm(member, path, form), http.StatusForbidden)
	}
	list := boss.Do("GET", "/api/v1/admin/clients", nil).JSON()["clients"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["name"] != "App" {
		t.Fatalf("clients after refused forms: %v", list)
	}
	if events := auditEvents(t, srv, torii.AuditClientUpdate); len(events) != 0 {
		t.Fatalf("refused forms changed a client: %v", events)
	}
}
