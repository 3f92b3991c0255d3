package storetest

import (
	"testing"
	"time"

	"github.com/toriihq/torii"
)

var groupTests = []test{
	{"CreateGroup_RoundTrip", testCreateGroupRoundTrip},
	{"CreateGroup_NameUniqueWhateverItsCase", testCreateGroupNameUnique},
	{"GroupByName_CaseInsensitive", testGroupByNameCase},
	{"SetGroupMember_AddsThenChangesRole", testSetGroupMemberRole},
	{"SetGroupMember_UnknownRoleIsValidationErrorAndChangesNothing", testSetGroupMemberUnknownRole},
	{"SetGroupMember_MissingGroupOrUserIsNotFound", testSetGroupMemberMissing},
	{"RemoveGroupMember_RemovesOnlyThatMembership", testRemoveGroupMember},
	{"UserGroups_ListsGroupsWithRoles", testUserGroups},
	{"DeleteUser_LeavesGroupsButNotMemberships", testGroupMembersOfDeletedUser},
	{"Allowlist_AddListRemove", testAllowlistAddListRemove},
	{"Allowlist_PatternUnique", testAllowlistUnique},
	{"Allowlist_RemoveMissingIsNotFound", testAllowlistRemoveMissing},
}

func newGroup(t *testing.T, s torii.Store, name string, by *int64) torii.Group {
	t.Helper()
	return must[torii.Group](t)(s.CreateGroup(t.Context(), torii.Group{Name: name, CreatedBy: by, CreatedAt: t0}))
}

func testCreateGroupRoundTrip(t *testing.T, s torii.Store) {
	ann := newUser(t, s, "ann@example.com")
	g := must[torii.Group](t)(s.CreateGroup(t.Context(), torii.Group{
		Name: "Acme", Description: "the company", CreatedBy: &ann.ID, CreatedAt: t0}))
	if g.ID == 0 {
		t.Fatal("CreateGroup returned id 0")
	}
	want := torii.Group{ID: g.ID, Name: "Acme", Description: "the company", CreatedBy: ptr(ann.ID), CreatedAt: t0, UpdatedAt: t0}
	same(t, "created group", g, want)
	same(t, "GroupByID", must[torii.Group](t)(s.GroupByID(t.Context(), g.ID)), want)
	same(t, "ListGroups", must[[]torii.Group](t)(s.ListGroups(t.Context())), []torii.Group{want})
	_, err := s.GroupByID(t.Context(), g.ID+1000)
	is(t, err, torii.ErrNotFound)
}

func testCreateGroupNameUnique(t *testing.T, s torii.Store) {
	newGroup(t, s, "Acme", nil)
	for _, name := range []string{"Acme", "ACME", "acme"} {
		_, err := s.CreateGroup(t.Context(), torii.Group{Name: name, CreatedAt: t0})
		is(t, err, torii.ErrConflict)
	}
	if got := must[[]torii.Group](t)(s.ListGroups(t.Context())); len(got) != 1 {
		t.Errorf("groups after conflicting inserts = %d, want 1", len(got))
	}
}

func testGroupByNameCase(t *testing.T, s torii.Store) {
	g := newGroup(t, s, "Acme Corp", nil)
	got := must[torii.Group](t)(s.GroupByName(t.Context(), "aCME cORP"))
	if got.ID != g.ID {
		t.Errorf("GroupByName found %d, want %d", got.ID, g.ID)
	}
	_, err := s.GroupByName(t.Context(), "Acme")
	is(t, err, torii.ErrNotFound)
}

func testSetGroupMemberRole(t *testing.T, s torii.Store) {
	ctx := t.Context()
	ann := newUser(t, s, "ann@example.com")
	g := newGroup(t, s, "Acme", nil)
	ok(t, s.SetGroupMember(ctx, torii.GroupMember{GroupID: g.ID, UserID: ann.ID, Role: torii.GroupRoleMember, CreatedAt: t0}))
	if r := must[string](t)(s.GroupRole(ctx, g.ID, ann.ID)); r != torii.GroupRoleMember {
		t.Errorf("role = %q, want member", r)
	}
	ok(t, s.SetGroupMember(ctx, torii.GroupMember{GroupID: g.ID, UserID: ann.ID, Role: torii.GroupRoleOwner, CreatedAt: at(time.Second)}))
	same(t, "members", must[[]torii.GroupMember](t)(s.GroupMembers(ctx, g.ID)),
		[]torii.GroupMember{{GroupID: g.ID, UserID: ann.ID, Role: torii.GroupRoleOwner, CreatedAt: t0}})
}

func testSetGroupMemberUnknownRole(t *testing.T, s torii.Store) {
	ctx := t.Context()
	ann := newUser(t, s, "ann@example.com")
	g := newGroup(t, s, "Acme", nil)
	hasCode(t, s.SetGroupMember(ctx, torii.GroupMember{GroupID: g.ID, UserID: ann.ID, Role: "emperor"}), torii.EValidation)
	_, err := s.GroupRole(ctx, g.ID, ann.ID)
	is(t, err, torii.ErrNotFound)
}

func testSetGroupMemberMissing(t *testing.T, s torii.Store) {
	ctx := t.Context()
	ann := newUser(t, s, "ann@example.com")
	g := newGroup(t, s, "Acme", nil)
	is(t, s.SetGroupMember(ctx, torii.GroupMember{GroupID: g.ID + 1000, UserID: ann.ID, Role: torii.GroupRoleMember}), torii.ErrNotFound)
	is(t, s.SetGroupMember(ctx, torii.GroupMember{GroupID: g.ID, UserID: ann.ID + 1000, Role: torii.GroupRoleMember}), torii.ErrNotFound)
	deleteUser(t, s, ann.ID, at(time.Second))
	is(t, s.SetGroupMember(ctx, torii.GroupMember{GroupID: g.ID, UserID: ann.ID, Role: torii.GroupRoleMember}), torii.ErrNotFound)
	if got := must[[]torii.GroupMember](t)(s.GroupMembers(ctx, g.ID)); len(got) != 0 {
		t.Errorf("members after failed adds = %v, want none", got)
	}
}

func testRemoveGroupMember(t *testing.T, s torii.Store) {
	ctx := t.Context()
	ann := newUser(t, s, "ann@example.com")
	bob := newUser(t, s, "bob@example.com")
	acme := newGroup(t, s, "Acme", nil)
	beta := newGroup(t, s, "Beta", nil)
	for _, m := range []torii.GroupMember{
		{GroupID: acme.ID, UserID: ann.ID, Role: torii.GroupRoleOwner},
		{GroupID: acme.ID, UserID: bob.ID, Role: torii.GroupRoleMember},
		{GroupID: beta.ID, UserID: ann.ID, Role: torii.GroupRoleMember},
	} {
		ok(t, s.SetGroupMember(ctx, m))
	}
	ok(t, s.RemoveGroupMember(ctx, acme.ID, ann.ID))
	is(t, s.RemoveGroupMember(ctx, acme.ID, ann.ID), torii.ErrNotFound)
	if got := must[[]torii.GroupMember](t)(s.GroupMembers(ctx, acme.ID)); len(got) != 1 || got[0].UserID != bob.ID {
		t.Errorf("Acme members = %v, want only bob", got)
	}
	if r := must[string](t)(s.GroupRole(ctx, beta.ID, ann.ID)); r != torii.GroupRoleMember {
		t.Errorf("ann's role in Beta = %q, want member (untouched)", r)
	}
}

func testUserGroups(t *testing.T, s torii.Store) {
	ctx := t.Context()
	ann := newUser(t, s, "ann@example.com")
	acme := newGroup(t, s, "Acme", &ann.ID)
	beta := newGroup(t, s, "Beta", nil)
	newGroup(t, s, "Gamma", nil)
	ok(t, s.SetGroupMember(ctx, torii.GroupMember{GroupID: beta.ID, UserID: ann.ID, Role: torii.GroupRoleAdmin}))
	ok(t, s.SetGroupMember(ctx, torii.GroupMember{GroupID: acme.ID, UserID: ann.ID, Role: torii.GroupRoleOwner}))
	same(t, "UserGroups", must[[]torii.Membership](t)(s.UserGroups(ctx, ann.ID)), []torii.Membership{
		{Group: acme, Role: torii.GroupRoleOwner},
		{Group: beta, Role: torii.GroupRoleAdmin},
	})
	if got := must[[]torii.Membership](t)(s.UserGroups(ctx, ann.ID+1000)); len(got) != 0 {
		t.Errorf("groups of a missing user = %v, want none", got)
	}
}

func testGroupMembersOfDeletedUser(t *testing.T, s torii.Store) {
	ctx := t.Context()
	ann := newUser(t, s, "ann@example.com")
	g := newGroup(t, s, "Acme", &ann.ID)
	ok(t, s.SetGroupMember(ctx, torii.GroupMember{GroupID: g.ID, UserID: ann.ID, Role: torii.GroupRoleOwner}))
	// A soft-deleted user keeps its rows; the group itself must survive.
	deleteUser(t, s, ann.ID, at(time.Second))
	if _, err := s.GroupByID(ctx, g.ID); err != nil {
		t.Errorf("group of a deleted user: %v", err)
	}
}

func testAllowlistAddListRemove(t *testing.T, s torii.Store) {
	ctx := t.Context()
	ann := newUser(t, s, "ann@example.com")
	a := must[torii.AllowlistEntry](t)(s.AddAllowlist(ctx, torii.AllowlistEntry{Pattern: "bob@example.com", AddedBy: &ann.ID, CreatedAt: t0}))
	b := must[torii.AllowlistEntry](t)(s.AddAllowlist(ctx, torii.AllowlistEntry{Pattern: "@example.org", CreatedAt: at(time.Second)}))
	want := []torii.AllowlistEntry{
		{ID: a.ID, Pattern: "bob@example.com", AddedBy: ptr(ann.ID), CreatedAt: t0},
		{ID: b.ID, Pattern: "@example.org", CreatedAt: at(time.Second)},
	}
	same(t, "ListAllowlist", must[[]torii.AllowlistEntry](t)(s.ListAllowlist(ctx)), want)
	same(t, "RemoveAllowlist", must[torii.AllowlistEntry](t)(s.RemoveAllowlist(ctx, a.ID)), want[0])
	same(t, "ListAllowlist after remove", must[[]torii.AllowlistEntry](t)(s.ListAllowlist(ctx)), want[1:])
}

func testAllowlistUnique(t *testing.T, s torii.Store) {
	ctx := t.Context()
	must[torii.AllowlistEntry](t)(s.AddAllowlist(ctx, torii.AllowlistEntry{Pattern: "@example.org"}))
	_, err := s.AddAllowlist(ctx, torii.AllowlistEntry{Pattern: "@example.org"})
	is(t, err, torii.ErrConflict)
	if got := must[[]torii.AllowlistEntry](t)(s.ListAllowlist(ctx)); len(got) != 1 {
		t.Errorf("entries = %d, want 1", len(got))
	}
}

func testAllowlistRemoveMissing(t *testing.T, s torii.Store) {
	_, err := s.RemoveAllowlist(t.Context(), 12345)
	is(t, err, torii.ErrNotFound)
}
