package service_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/service"
	"github.com/toriihq/torii/sqlstore"
	"github.com/toriihq/torii/testserver"
)

// eachBackend runs fn on a migrated SQLite store and, when PostgreSQL is
// configured, on a PostgreSQL schema.
func eachBackend(t *testing.T, fn func(t *testing.T, st *sqlstore.Store)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, openStore(t, filepath.Join(t.TempDir(), "torii.db")))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		fn(t, openStore(t, testserver.PostgresDatabase(t)))
	})
}

func newClientService(st torii.Store) *service.Service {
	clock := testserver.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	return service.New(service.Options{Store: st, Now: clock.Now, Issuer: "https://torii.example.com"})
}

// Client registration validates its input and refuses anyone but an admin.
func TestClients_RegistrationRules(t *testing.T) {
	eachBackend(t, func(t *testing.T, st *sqlstore.Store) {
		s := newClientService(st)
		ctx := t.Context()
		if _, err := st.CreateGroup(ctx, torii.Group{Name: "ops", CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		ok := service.ClientInput{Name: "Grafana", RedirectURIs: []string{"https://grafana.example.com/login/generic_oauth"}}
		cases := []struct {
			name  string
			by    service.Actor
			in    func(service.ClientInput) service.ClientInput
			code  string
			field string
		}{
			{"not an admin", service.Actor{}, func(i service.ClientInput) service.ClientInput { return i }, torii.EForbidden, ""},
			{"no name", service.CLI, func(i service.ClientInput) service.ClientInput { i.Name = " "; return i }, torii.EValidation, "name"},
			{"no redirect URI", service.CLI, func(i service.ClientInput) service.ClientInput { i.RedirectURIs = nil; return i }, torii.EValidation, "redirectUris"},
			{"http on a public host", service.CLI, func(i service.ClientInput) service.ClientInput {
				i.RedirectURIs = []string{"http://app.example.com/cb"}
				return i
			}, torii.EValidation, "redirectUris"},
			{"wildcard", service.CLI, func(i service.ClientInput) service.ClientInput {
				i.RedirectURIs = []string{"https://*.example.com/cb"}
				return i
			}, torii.EValidation, "redirectUris"},
			{"fragment", service.CLI, func(i service.ClientInput) service.ClientInput {
				i.RedirectURIs = []string{"https://app.example.com/cb#x"}
				return i
			}, torii.EValidation, "redirectUris"},
			{"relative", service.CLI, func(i service.ClientInput) service.ClientInput { i.RedirectURIs = []string{"/cb"}; return i }, torii.EValidation, "redirectUris"},
			{"javascript", service.CLI, func(i service.ClientInput) service.ClientInput {
				i.PostLogoutURIs = []string{"javascript:alert(1)"}
				return i
			}, torii.EValidation, "postLogoutUris"},
			{"unknown group", service.CLI, func(i service.ClientInput) service.ClientInput { i.Groups = []string{"nope"}; return i }, torii.EValidation, "groups"},
			{"too many URIs", service.CLI, func(i service.ClientInput) service.ClientInput {
				for range 11 {
					i.RedirectURIs = append(i.RedirectURIs, "https://app.example.com/cb")
				}
				return i
			}, torii.EValidation, "redirectUris"},
			{"http on loopback", service.CLI, func(i service.ClientInput) service.ClientInput {
				i.RedirectURIs = []string{"http://127.0.0.1:8501/oauth2callback", "http://localhost:8501/oauth2callback", "http://[::1]:9/cb"}
				i.Groups = []string{"OPS"}
				return i
			}, "", ""},
		}
		for _, c := range cases {
			_, err := s.CreateClient(ctx, c.in(ok), c.by)
			if got := torii.ErrorCode(err); got != c.code {
				t.Errorf("%s: code %q (%v), want %q", c.name, got, err, c.code)
				continue
			}
			if c.field != "" {
				var e *torii.Error
				if !errorsAs(err, &e) || e.Fields[c.field] == "" {
					t.Errorf("%s: fields %v, want %s", c.name, err, c.field)
				}
			}
		}
	})
}

// The secret is shown once and only its hash is stored; rotating it kills
// the old one; a public client has none.
func TestClients_SecretShownOnceHashStored(t *testing.T) {
	eachBackend(t, func(t *testing.T, st *sqlstore.Store) {
		s := newClientService(st)
		ctx := t.Context()
		cred, err := s.CreateClient(ctx, service.ClientInput{Name: "App", RedirectURIs: []string{"https://app.example.com/cb"}}, service.CLI)
		if err != nil {
			t.Fatal(err)
		}
		stored, err := st.OAuthClientByID(ctx, cred.Client.ID)
		if err != nil {
			t.Fatal(err)
		}
		if cred.Secret == "" || strings.Contains(stored.SecretHash, cred.Secret) || !service.CheckClientSecret(stored, cred.Secret) {
			t.Fatalf("secret %q, stored hash %q", cred.Secret, stored.SecretHash)
		}
		rot, err := s.RotateClientSecret(ctx, cred.Client.ID, service.CLI)
		if err != nil {
			t.Fatal(err)
		}
		stored, _ = st.OAuthClientByID(ctx, cred.Client.ID)
		if service.CheckClientSecret(stored, cred.Secret) || !service.CheckClientSecret(stored, rot.Secret) {
			t.Error("after rotation the old secret works or the new one does not")
		}
		pub, err := s.CreateClient(ctx, service.ClientInput{Name: "SPA", Public: true, RedirectURIs: []string{"https://spa.example.com/cb"}}, service.CLI)
		if err != nil || pub.Secret != "" {
			t.Fatalf("public client: secret %q, err %v", pub.Secret, err)
		}
		_, err = s.RotateClientSecret(ctx, pub.Client.ID, service.CLI)
		if torii.ErrorCode(err) != torii.EValidation {
			t.Errorf("rotating a public client's secret: %v", err)
		}
		name := "App 2"
		v, err := s.UpdateClient(ctx, cred.Client.ID, service.ClientPatch{Name: &name}, service.CLI)
		if err != nil || v.Name != name {
			t.Fatalf("update: %+v, %v", v, err)
		}
		list, err := s.Clients(ctx, service.CLI)
		if err != nil || len(list) != 2 {
			t.Fatalf("list: %d, %v", len(list), err)
		}
		if err := s.DeleteClient(ctx, cred.Client.ID, service.CLI); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Client(ctx, cred.Client.ID, service.CLI); torii.ErrorCode(err) != torii.ENotFound {
			t.Errorf("deleted client: %v", err)
		}
		events, err := st.ListAudit(ctx, torii.AuditFilter{Events: []string{torii.AuditClientAdd, torii.AuditClientUpdate, torii.AuditClientRemove}})
		if err != nil || len(events) != 5 {
			t.Errorf("client audit events: %d (%v), want 5", len(events), err)
		}
	})
}

func errorsAs(err error, target **torii.Error) bool { return errors.As(err, target) }
