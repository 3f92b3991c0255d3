package storetest

import (
	"testing"

	"github.com/toriihq/torii"
)

var roleTests = []test{
	{"UserRoles_NoneForNewUser", testUserRolesNone},
	{"SetUserRoles_ReplacesAndEmptyRevokes", testSetUserRolesReplace},
	{"SetUserRoles_UnknownRoleIsValidationErrorAndChangesNothing", testSetUserRolesUnknown},
	{"AddUserRole_Idempotent", testAddUserRoleIdempotent},
	{"AddUserRole_UnknownRoleIsValidationError", testAddUserRoleUnknown},
	{"CountRoleHolders_CountsLiveHolders", testCountRoleHolders},
}

func roles(t *testing.T, s torii.Store, userID int64) []string {
	t.Helper()
	return must[[]string](t)(s.UserRoles(t.Context(), userID))
}

func testUserRolesNone(t *testing.T, s torii.Store) {
	u := newUser(t, s, "ann@example.com")
	if got := roles(t, s, u.ID); len(got) != 0 {
		t.Errorf("roles of a new user = %v, want none", got)
	}
}

func testSetUserRolesReplace(t *testing.T, s torii.Store) {
	ctx := t.Context()
	ann := newUser(t, s, "ann@example.com")
	bob := newUser(t, s, "bob@example.com")
	steps := []struct {
		set  []string
		want []string
	}{
		{[]string{torii.RoleAdmin}, []string{torii.RoleAdmin}},
		{[]string{torii.RoleAdmin, torii.RoleAdmin}, []string{torii.RoleAdmin}},
		{[]string{}, nil},
		{[]string{torii.RoleAdmin}, []string{torii.RoleAdmin}},
		{nil, nil},
	}
	for i, st := range steps {
		ok(t, s.SetUserRoles(ctx, ann.ID, st.set))
		got := roles(t, s, ann.ID)
		if len(got) != len(st.want) || (len(got) > 0 && got[0] != st.want[0]) {
			t.Errorf("step %d: SetUserRoles(%v) left %v, want %v", i, st.set, got, st.want)
		}
		if other := roles(t, s, bob.ID); len(other) != 0 {
			t.Errorf("step %d: another user got roles %v", i, other)
		}
	}
}

func testSetUserRolesUnknown(t *testing.T, s torii.Store) {
	u := newUser(t, s, "ann@example.com")
	ok(t, s.SetUserRoles(t.Context(), u.ID, []string{torii.RoleAdmin}))
	for _, set := range [][]string{{"superuser"}, {torii.RoleAdmin, "superuser"}, {"superuser", torii.RoleAdmin}} {
		err := s.SetUserRoles(t.Context(), u.ID, set)
		hasCode(t, err, torii.EValidation)
		if got := roles(t, s, u.ID); len(got) != 1 || got[0] != torii.RoleAdmin {
			t.Errorf("after a failed SetUserRoles(%v): roles %v, want [admin]", set, got)
		}
	}
}

func testAddUserRoleIdempotent(t *testing.T, s torii.Store) {
	u := newUser(t, s, "ann@example.com")
	for range 2 {
		ok(t, s.AddUserRole(t.Context(), u.ID, torii.RoleAdmin))
		if got := roles(t, s, u.ID); len(got) != 1 || got[0] != torii.RoleAdmin {
			t.Errorf("roles = %v, want [admin]", got)
		}
	}
}

func testAddUserRoleUnknown(t *testing.T, s torii.Store) {
	u := newUser(t, s, "ann@example.com")
	hasCode(t, s.AddUserRole(t.Context(), u.ID, "superuser"), torii.EValidation)
	if got := roles(t, s, u.ID); len(got) != 0 {
		t.Errorf("roles = %v, want none", got)
	}
}

func testCountRoleHolders(t *testing.T, s torii.Store) {
	count := func() int { return must[int](t)(s.CountRoleHolders(t.Context(), torii.RoleAdmin)) }
	if n := count(); n != 0 {
		t.Fatalf("admins in an empty store = %d", n)
	}
	a, b := newUser(t, s, "a@example.com"), newUser(t, s, "b@example.com")
	newUser(t, s, "c@example.com")
	ok(t, s.AddUserRole(t.Context(), a.ID, torii.RoleAdmin))
	ok(t, s.AddUserRole(t.Context(), b.ID, torii.RoleAdmin))
	if n := count(); n != 2 {
		t.Errorf("admins = %d, want 2", n)
	}
	deleteUser(t, s, b.ID, at(0))
	if n := count(); n != 1 {
		t.Errorf("admins after deleting one = %d, want 1", n)
	}
	if n := must[int](t)(s.CountRoleHolders(t.Context(), "emperor")); n != 0 {
		t.Errorf("holders of an unknown role = %d", n)
	}
}
