package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/toriihq/torii/testserver"
)

// myGroups returns name → role of a client's groups, from /me.
func myGroups(t *testing.T, c *testserver.Client) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, g := range me(t, c)["groups"].([]any) {
		m := g.(map[string]any)
		out[m["name"].(string)] = m["role"].(string)
	}
	return out
}

func registerCompany(c *testserver.Client, email, company string) *testserver.Response {
	return c.Do("POST", "/api/v1/auth/register", map[string]string{"email": email, "password": goodPassword, "name": "N", "companyName": company})
}

func groupIDByName(t *testing.T, c *testserver.Client, name string) int64 {
	t.Helper()
	for _, g := range me(t, c)["groups"].([]any) {
		if m := g.(map[string]any); m["name"] == name {
			return int64(m["id"].(float64))
		}
	}
	t.Fatalf("not in group %q", name)
	return 0
}

func TestGroups_RegistrationWithACompanyFoundsItsGroupOthersJoinTheDefault(t *testing.T) {
	srv := start(t, map[string]string{"TORII_DEFAULT_GROUP": "Staff"})
	founder := srv.Client(t)
	wantStatus(t, "register with company", registerCompany(founder, "ceo@acme.example", "  Acme   Corp "), http.StatusCreated)
	if got := myGroups(t, founder); len(got) != 1 || got["Acme Corp"] != "owner" {
		t.Fatalf("founder's groups = %v", got)
	}
	plain := signedIn(t, srv, "ann@example.com")
	if got := myGroups(t, plain); len(got) != 1 || got["Staff"] != "member" {
		t.Fatalf("plain registration's groups = %v", got)
	}
	// A company that exists, or the default group's name: 422, nothing
	// created (the founder would own someone else's group).
	for _, company := range []string{"ACME corp", "staff"} {
		r := registerCompany(srv.Client(t), "late@acme.example", company)
		wantError(t, r, http.StatusUnprocessableEntity, "VALIDATION_ERROR")
		if f := r.JSON()["error"].(map[string]any)["fields"].(map[string]any); f["companyName"] == nil {
			t.Errorf("fields = %v", f)
		}
	}
	wantError(t, login(srv.Client(t), "late@acme.example", goodPassword), http.StatusUnauthorized, "INVALID_CREDENTIALS")
}

func TestGroups_GoogleRegistrationFoundsTheCompanyAndAutoSignupJoinsTheDefault(t *testing.T) {
	g := startGoogle(t, map[string]string{"TORII_SIGNUP": "explicit"})
	c := g.srv.Client(t)
	r := c.Do("POST", "/api/v1/auth/google/register", map[string]string{"credential": g.idp.Token(ada), "name": "Ada", "companyName": "Engines"})
	wantStatus(t, "google register", r, http.StatusCreated)
	if got := myGroups(t, c); got["Engines"] != "owner" {
		t.Fatalf("groups = %v", got)
	}
	r = g.srv.Client(t).Do("POST", "/api/v1/auth/google/register", map[string]string{"credential": g.idp.Token(grace), "name": "Grace", "companyName": "engines"})
	wantError(t, r, http.StatusUnprocessableEntity, "VALIDATION_ERROR")
	g.wantCounts(t, 1, 1)

	auto := startGoogle(t, nil)
	c = auto.srv.Client(t)
	wantStatus(t, "auto sign-up", auto.signIn(c, auto.idp.Token(grace)), http.StatusCreated)
	if got := myGroups(t, c); len(got) != 1 || got["everyone"] != "member" {
		t.Fatalf("auto-created user's groups = %v", got)
	}
}

func TestGroups_OwnersAndAdminsManageMembersOthersCannot(t *testing.T) {
	srv := start(t, adminEnv)
	owner := srv.Client(t)
	registerCompany(owner, "ceo@acme.example", "Acme")
	acme := groupIDByName(t, owner, "Acme")
	bob, carol, dave := signedIn(t, srv, "bob@example.com"), signedIn(t, srv, "carol@example.com"), signedIn(t, srv, "dave@example.com")
	bobID, carolID, daveID := userID(t, bob), userID(t, carol), userID(t, dave)
	members := fmt.Sprintf("/api/v1/groups/%d/members", acme)
	set := func(c *testserver.Client, user int64, role string) *testserver.Response {
		return c.Do("POST", members, map[string]any{"userId": user, "role": role})
	}

	// A group's owners and admins invite (202); the invitee joins by
	// accepting (group_invitations_test.go holds the consent rules).
	wantStatus(t, "owner invites bob", set(owner, bobID, ""), http.StatusAccepted)
	acceptAll(t, bob)
	if got := myGroups(t, bob)["Acme"]; got != "member" {
		t.Fatalf("bob's role = %q", got)
	}
	wantError(t, set(bob, carolID, "member"), http.StatusForbidden, "FORBIDDEN")
	wantStatus(t, "owner makes bob admin", set(owner, bobID, "admin"), http.StatusOK)
	wantStatus(t, "group admin invites carol", set(bob, carolID, "member"), http.StatusAccepted)
	acceptAll(t, carol)
	wantError(t, set(bob, daveID, "owner"), http.StatusForbidden, "FORBIDDEN")
	wantError(t, set(bob, userID(t, owner), "member"), http.StatusForbidden, "FORBIDDEN")
	wantError(t, set(carol, daveID, "member"), http.StatusForbidden, "FORBIDDEN")
	wantError(t, set(owner, daveID, "emperor"), http.StatusUnprocessableEntity, "VALIDATION_ERROR")
	// An unknown id is invited like any other (no account is confirmed).
	wantStatus(t, "owner invites an unknown id", set(owner, 1<<40, "member"), http.StatusAccepted)
	// Outsiders cannot tell the group exists.
	wantError(t, set(dave, daveID, "owner"), http.StatusNotFound, "NOT_FOUND")
	wantError(t, dave.Do("GET", members, nil), http.StatusNotFound, "NOT_FOUND")
	wantError(t, owner.Do("GET", "/api/v1/groups/999999/members", nil), http.StatusNotFound, "NOT_FOUND")

	list := carol.Do("GET", members, nil).JSON()["members"].([]any)
	if len(list) != 3 {
		t.Fatalf("members = %v", list)
	}
	// The last owner stays.
	wantError(t, set(owner, userID(t, owner), "member"), http.StatusUnprocessableEntity, "VALIDATION_ERROR")
	wantError(t, owner.Do("DELETE", members+fmt.Sprintf("?userId=%d", userID(t, owner)), nil), http.StatusUnprocessableEntity, "VALIDATION_ERROR")

	wantStatus(t, "group admin removes carol", bob.Do("DELETE", members, map[string]any{"userId": carolID}), http.StatusNoContent)
	if _, in := myGroups(t, carol)["Acme"]; in {
		t.Fatal("carol is still in Acme")
	}
	wantError(t, bob.Do("DELETE", members, map[string]any{"userId": carolID}), http.StatusNotFound, "NOT_FOUND")
	wantStatus(t, "bob leaves", bob.Do("DELETE", members+fmt.Sprintf("?userId=%d", bobID), nil), http.StatusNoContent)

	// GET /groups: one's own groups; every group for a site admin, who
	// manages any of them.
	if got := owner.Do("GET", "/api/v1/groups", nil).JSON()["groups"].([]any); len(got) != 1 {
		t.Fatalf("owner's groups = %v", got)
	}
	boss := adminClient(t, srv)
	all := boss.Do("GET", "/api/v1/groups", nil).JSON()["groups"].([]any)
	if len(all) != 2 { // Acme and the default group
		t.Fatalf("admin sees %v", all)
	}
	wantStatus(t, "site admin adds dave", set(boss, daveID, "owner"), http.StatusCreated)
	r := boss.Do("POST", "/api/v1/groups", map[string]string{"name": "Ops"})
	wantStatus(t, "admin creates a group", r, http.StatusCreated)
	wantError(t, boss.Do("POST", "/api/v1/groups", map[string]string{"name": "ops"}), http.StatusUnprocessableEntity, "VALIDATION_ERROR")
	wantError(t, dave.Do("POST", "/api/v1/groups", map[string]string{"name": "Mine"}), http.StatusForbidden, "FORBIDDEN")
}

func TestGroups_RegisterPageCompanyFieldFoundsTheGroupAndKeepsItOnError(t *testing.T) {
	srv := start(t, nil)
	c := srv.Client(t)
	r := postForm(c, "/register", url.Values{"name": {"Cy"}, "email": {"cy@acme.example"}, "password": {goodPassword}, "companyName": {"Acme"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("register form: %d %s", r.Status, r.Body)
	}
	if got := myGroups(t, c); got["Acme"] != "owner" {
		t.Fatalf("groups after registering with a company = %v, want Acme owner", got)
	}
	// A taken company is a field error shown next to the field, with what
	// was typed kept.
	r = postForm(srv.Client(t), "/register", url.Values{"name": {"Di"}, "email": {"di@acme.example"}, "password": {goodPassword}, "companyName": {"ACME"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), `id="company-error"`) || !strings.Contains(string(r.Body), `value="ACME"`) {
		t.Fatalf("taken company: %d %s", r.Status, r.Body)
	}
}
