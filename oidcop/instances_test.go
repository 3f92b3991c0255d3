package oidcop_test

import (
	"context"
	"testing"

	"github.com/toriihq/torii/service"
	"github.com/toriihq/torii/testserver"
)

// Two instances on one PostgreSQL database, as behind a load balancer
// (same TORII_BASE_URL, so the same issuer; nothing shared but the
// database): the user authorizes on one, the app exchanges the code and
// refreshes on the other. The keys, the codes and the tokens are the
// database's, so either instance finishes what the other began, and a
// code spent on one is spent on both.
func TestOP_TwoInstancesOnPostgres(t *testing.T) {
	dsn := testserver.PostgresDatabase(t)
	a := attach(t, testserver.Start(t, testserver.Options{Env: map[string]string{"TORII_DATABASE": dsn}}))
	b := attach(t, testserver.Start(t, testserver.Options{Env: map[string]string{"TORII_DATABASE": dsn, "TORII_BASE_URL": a.srv.URL}}))
	c := a.client(t, service.ClientInput{Trusted: true})
	br, u := a.user(t, "multi@example.com")
	pk := newPKCE("multi")
	code := a.codeFor(t, br, c, pk, map[string]string{"scope": "openid email offline_access"})

	st, tok := b.token(t, c, codeGrant(code, pk))
	if st != 200 || tok.RefreshToken == "" {
		t.Fatalf("exchange on the other instance: %d %+v", st, tok)
	}
	if st, again := a.token(t, c, codeGrant(code, pk)); st != 400 || again.Error != "invalid_grant" {
		t.Errorf("the code spent on B worked on A: %d %+v", st, again)
	}
	// The code's reuse revoked what B issued; authorize again.
	code = a.codeFor(t, br, c, pk, map[string]string{"scope": "openid email offline_access"})
	if st, tok = b.token(t, c, codeGrant(code, pk)); st != 200 {
		t.Fatalf("second exchange: %d %+v", st, tok)
	}
	idt, err := a.verifier(t, c).Verify(context.Background(), tok.IDToken)
	if err != nil || idt.Subject != sub(u) {
		t.Fatalf("ID token from B against A's JWKS: %v", err)
	}
	st, next := b.token(t, c, refreshGrant(tok.RefreshToken))
	if st != 200 {
		t.Fatalf("refresh on B: %d %+v", st, next)
	}
	if st, m := a.userinfo(t, "GET header", next.AccessToken); st != 200 || m["email"] != u.Email {
		t.Errorf("userinfo on A with B's token: %d %v", st, m)
	}
	if st, _ := a.token(t, c, refreshGrant(tok.RefreshToken)); st != 400 {
		t.Errorf("the refresh token spent on B worked on A: %d", st)
	}
}
