package service

import (
	"slices"
	"testing"
	"time"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/chat"
	"github.com/toriihq/torii/password"
)

// TestAfterEmailVerified_ReleasesWaitingSessionAndPromotesBootstrapAdmin:
// an unverified TORII_ADMIN_EMAILS address that the allowlist matches
// waits and is no admin; once its address is verified (the mail link, an
// admin's confirmation: whoever calls afterEmailVerified), the very same
// session is released at once, the role granted, and the user's streams
// are told their access changed.
func TestAfterEmailVerified_ReleasesWaitingSessionAndPromotesBootstrapAdmin(t *testing.T) {
	st := migratedSQLite(t)
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	s := New(Options{
		Store: st, Now: func() time.Time { return now }, PasswordLogin: true,
		Hasher:        password.New(password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, 4, nil),
		AllowedEmails: []string{"@corp.example"}, AdminEmails: []string{"boss@corp.example"},
	})
	ctx := t.Context()
	in, err := s.Register(ctx, RegisterInput{Email: "boss@corp.example", Password: "a long enough password", Name: "Boss"}, Meta{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.Authenticate(ctx, in.Token)
	if err != nil || !p.Waiting || p.IsAdmin() {
		t.Fatalf("before verification: waiting %v, admin %v, err %v; want waiting, no admin", p.Waiting, p.IsAdmin(), err)
	}
	sub := s.broker.Subscribe(1, in.User.ID)
	defer sub.Close()

	u, err := st.UpdateUser(ctx, in.User.ID, func(x *torii.User) error { x.EmailVerified = true; return nil })
	if err != nil {
		t.Fatal(err)
	}
	if err := s.afterEmailVerified(ctx, u, Meta{}); err != nil {
		t.Fatal(err)
	}
	p, err = s.Authenticate(ctx, in.Token)
	if err != nil || p.Waiting || !p.IsAdmin() {
		t.Fatalf("after verification: waiting %v, roles %v, err %v; want released admin", p.Waiting, p.Roles, err)
	}
	// The local broker delivers before Publish returns.
	got, _ := sub.Take()
	if !slices.ContainsFunc(got, func(e chat.Event) bool { return e.Kind == chat.KindAccess && e.UserID == in.User.ID }) {
		t.Fatalf("events %+v, want an access change of the user", got)
	}
	events, err := st.ListAudit(ctx, torii.AuditFilter{Event: torii.AuditUserRoles, Limit: 10})
	if err != nil || len(events) != 1 || events[0].Detail["by"] != "TORII_ADMIN_EMAILS" {
		t.Fatalf("role audit: %+v (%v)", events, err)
	}
	if !slices.Contains(p.Roles, torii.RoleAdmin) {
		t.Fatal("no admin role")
	}
}
