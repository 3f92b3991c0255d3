package storetest

import (
	"testing"

	"github.com/toriihq/torii"
)

var setupTests = []test{
	{"ClaimSetupToken_MakesTheFirstAdminOnceAndSpendsEveryToken", testClaimSetupToken},
}

func testClaimSetupToken(t *testing.T, s torii.Store) {
	ctx := t.Context()
	ann := newUser(t, s, "ann@example.com")
	bob := newUser(t, s, "bob@example.com")
	ok(t, s.AddSetupToken(ctx, "h1", t0))
	ok(t, s.AddSetupToken(ctx, "h2", t0))
	ok(t, s.AddSetupToken(ctx, "h1", t0)) // again: a no-op
	is(t, s.ClaimSetupToken(ctx, "unknown", ann.ID), torii.ErrNotFound)
	if n := must[int](t)(s.CountRoleHolders(ctx, torii.RoleAdmin)); n != 0 {
		t.Fatalf("an unknown token made %d admins", n)
	}
	ok(t, s.ClaimSetupToken(ctx, "h1", ann.ID))
	same(t, "ann's roles", must[[]string](t)(s.UserRoles(ctx, ann.ID)), []string{torii.RoleAdmin})
	// Every token is spent with the first claim.
	if must[bool](t)(s.SetupTokenExists(ctx, "h2")) {
		t.Error("h2 survived the first claim")
	}
	// A token added later is useless once an admin exists.
	ok(t, s.AddSetupToken(ctx, "h3", t0))
	is(t, s.ClaimSetupToken(ctx, "h3", bob.ID), torii.ErrAlreadySetUp)
	same(t, "bob's roles", must[[]string](t)(s.UserRoles(ctx, bob.ID)), []string{})
	ok(t, s.DeleteSetupTokens(ctx))
	if must[bool](t)(s.SetupTokenExists(ctx, "h3")) {
		t.Error("h3 survived DeleteSetupTokens")
	}
}
