package storetest

import (
	"testing"

	"github.com/toriihq/torii"
)

var accountTests = []test{
	{"CreateAccount_UserIdentityAndFoundedGroupTogether", testCreateAccountFounds},
	{"CreateAccount_DefaultGroupFoundOrCreatedWhateverItsCase", testCreateAccountDefaultGroup},
	{"CreateAccount_GroupTakenWritesNothing", testCreateAccountGroupTaken},
	{"CreateAccount_EmailTakenWritesNothing", testCreateAccountEmailTaken},
	{"CreateAccount_IdentityTakenWritesNothing", testCreateAccountIdentityTaken},
	{"CreateAccount_UnknownRoleWritesNothing", testCreateAccountUnknownRole},
}

func account(email string) torii.User {
	return torii.User{Email: email, Name: email, Status: torii.StatusActive, CreatedAt: t0}
}

// wantTotals fails unless the store holds exactly users users and groups
// groups.
func wantTotals(t *testing.T, s torii.Store, users, groups int) {
	t.Helper()
	if n := must[int](t)(s.CountUsers(t.Context())); n != users {
		t.Errorf("%d users, want %d", n, users)
	}
	if gs := must[[]torii.Group](t)(s.ListGroups(t.Context())); len(gs) != groups {
		t.Errorf("%d groups, want %d", len(gs), groups)
	}
}

func testCreateAccountFounds(t *testing.T, s torii.Store) {
	id := &torii.Identity{Issuer: "https://idp", Subject: "s1", Email: "ann@example.com"}
	u := must[torii.User](t)(s.CreateAccount(t.Context(), account("Ann@Example.com"), id,
		torii.GroupJoin{Name: "Acme", Role: torii.GroupRoleOwner, Found: true}))
	if u.ID == 0 || u.Email != "ann@example.com" {
		t.Fatalf("created %+v", u)
	}
	same(t, "user read back", must[torii.User](t)(s.UserByID(t.Context(), u.ID)), u)
	ids := must[[]torii.Identity](t)(s.IdentitiesByUser(t.Context(), u.ID))
	if len(ids) != 1 || ids[0].Subject != "s1" || !ids[0].CreatedAt.Equal(t0) {
		t.Errorf("identities = %+v", ids)
	}
	ms := must[[]torii.Membership](t)(s.UserGroups(t.Context(), u.ID))
	if len(ms) != 1 || ms[0].Group.Name != "Acme" || ms[0].Role != torii.GroupRoleOwner ||
		ms[0].Group.CreatedBy == nil || *ms[0].Group.CreatedBy != u.ID {
		t.Errorf("memberships = %+v", ms)
	}
}

func testCreateAccountDefaultGroup(t *testing.T, s torii.Store) {
	join := torii.GroupJoin{Name: "everyone", Role: torii.GroupRoleMember}
	a := must[torii.User](t)(s.CreateAccount(t.Context(), account("a@example.com"), nil, join))
	join.Name = "Everyone"
	b := must[torii.User](t)(s.CreateAccount(t.Context(), account("b@example.com"), nil, join))
	groups := must[[]torii.Group](t)(s.ListGroups(t.Context()))
	if len(groups) != 1 || groups[0].CreatedBy != nil {
		t.Fatalf("groups = %+v, want one default group created by nobody", groups)
	}
	members := must[[]torii.GroupMember](t)(s.GroupMembers(t.Context(), groups[0].ID))
	if len(members) != 2 || members[0].UserID != a.ID || members[1].UserID != b.ID || members[1].Role != torii.GroupRoleMember {
		t.Errorf("members = %+v", members)
	}
	// No group at all.
	c := must[torii.User](t)(s.CreateAccount(t.Context(), account("c@example.com"), nil, torii.GroupJoin{}))
	if ms := must[[]torii.Membership](t)(s.UserGroups(t.Context(), c.ID)); len(ms) != 0 {
		t.Errorf("memberships without a join = %+v", ms)
	}
}

func testCreateAccountGroupTaken(t *testing.T, s torii.Store) {
	newGroup(t, s, "Acme", nil)
	id := &torii.Identity{Issuer: "https://idp", Subject: "s1"}
	_, err := s.CreateAccount(t.Context(), account("ann@example.com"), id,
		torii.GroupJoin{Name: "ACME", Role: torii.GroupRoleOwner, Found: true})
	is(t, err, torii.ErrGroupTaken)
	wantTotals(t, s, 0, 1)
	_, err = s.IdentityBySubject(t.Context(), "https://idp", "s1")
	is(t, err, torii.ErrNotFound)
}

func testCreateAccountEmailTaken(t *testing.T, s torii.Store) {
	newUser(t, s, "ann@example.com")
	_, err := s.CreateAccount(t.Context(), account("ANN@example.com"), nil,
		torii.GroupJoin{Name: "Acme", Role: torii.GroupRoleOwner, Found: true})
	is(t, err, torii.ErrConflict)
	wantTotals(t, s, 1, 0)
}

func testCreateAccountIdentityTaken(t *testing.T, s torii.Store) {
	id := &torii.Identity{Issuer: "https://idp", Subject: "s1"}
	must[torii.User](t)(s.CreateAccount(t.Context(), account("ann@example.com"), id, torii.GroupJoin{}))
	_, err := s.CreateAccount(t.Context(), account("bob@example.com"), id,
		torii.GroupJoin{Name: "Acme", Role: torii.GroupRoleOwner, Found: true})
	is(t, err, torii.ErrConflict)
	wantTotals(t, s, 1, 0)
}

func testCreateAccountUnknownRole(t *testing.T, s torii.Store) {
	_, err := s.CreateAccount(t.Context(), account("ann@example.com"), nil,
		torii.GroupJoin{Name: "Acme", Role: "emperor", Found: true})
	hasCode(t, err, torii.EValidation)
	wantTotals(t, s, 0, 0)
}
