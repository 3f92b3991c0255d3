package web_test

import (
	"net/http"
	"testing"

	"github.com/toriihq/torii/testserver"
)

// verifiedClient creates email with the test password as an operator
// would (`torii user create`: an admin's act, so the address counts as
// verified, issue 12) and returns a browser signed in as it. Tests that
// need an admin through TORII_ADMIN_EMAILS, or an account an allowlist
// admits, use it: a password registration proves no address.
func verifiedClient(t *testing.T, srv *testserver.Server, email, name string) *testserver.Client {
	t.Helper()
	if out, code := srv.CLI(t, goodPassword+"\n", "user", "create", "--email", email, "--name", name, "--password-stdin"); code != 0 {
		t.Fatalf("torii user create %s: %d %s", email, code, out)
	}
	c := srv.Client(t)
	if r := login(c, email, goodPassword); r.Status != http.StatusOK {
		t.Fatalf("login %s: %d %s", email, r.Status, r.Body)
	}
	return c
}
