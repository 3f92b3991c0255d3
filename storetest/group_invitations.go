package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/toriihq/torii"
)

// invitationTests are the rules of group invitations (security.md I.45:
// nobody joins a group without their consent).
var invitationTests = []test{
	{"GroupInvitation_CreateListAndAcceptMakesAMember", testInvitationAccept},
	{"GroupInvitation_AcceptIsAtomicOnlyOneOfTwoRacingWins", testInvitationAcceptRace},
	{"GroupInvitation_ExpiredCannotBeAcceptedNorListed", testInvitationExpired},
	{"GroupInvitation_OnlyTheInviteeAccepts", testInvitationOtherUser},
	{"GroupInvitation_DuplicateRenewsTheOneInvitation", testInvitationDuplicate},
	{"GroupInvitation_LimitCountsLiveInvitationsOnly", testInvitationLimit},
	{"GroupInvitation_ToAnIDNobodyHoldsReachesNoLaterAccount", testInvitationUnknownID},
	{"GroupInvitation_AcceptByAMemberKeepsTheirRole", testInvitationAlreadyMember},
	{"GroupInvitation_MissingGroupOrUnknownRoleStoresNothing", testInvitationBadInput},
	{"GroupInvitation_DeleteReturnsItThenNotFound", testInvitationDelete},
	{"GroupInvitation_DeleteExpiredRemovesOnlyExpired", testInvitationDeleteExpired},
}

const invTTL = 14 * 24 * time.Hour

func invite(t *testing.T, s torii.Store, groupID, userID int64, role string, when time.Time) torii.GroupInvitation {
	t.Helper()
	return must[torii.GroupInvitation](t)(s.CreateGroupInvitation(t.Context(), torii.GroupInvitation{
		GroupID: groupID, UserID: userID, Role: role, CreatedAt: when, ExpiresAt: when.Add(invTTL)}, 100))
}

func invitationIDs(list []torii.GroupInvitation) []int64 {
	return ids(list, func(x torii.GroupInvitation) int64 { return x.ID })
}

func testInvitationAccept(t *testing.T, s torii.Store) {
	ctx := t.Context()
	ann, bob := newUser(t, s, "ann@example.com"), newUser(t, s, "bob@example.com")
	g := newGroup(t, s, "Acme", &ann.ID)
	inv := must[torii.GroupInvitation](t)(s.CreateGroupInvitation(ctx, torii.GroupInvitation{
		GroupID: g.ID, UserID: bob.ID, Role: torii.GroupRoleAdmin, InvitedBy: &ann.ID, CreatedAt: t0, ExpiresAt: at(invTTL)}, 100))
	want := torii.GroupInvitation{ID: inv.ID, GroupID: g.ID, UserID: bob.ID, Role: torii.GroupRoleAdmin,
		InvitedBy: ptr(ann.ID), CreatedAt: t0, ExpiresAt: at(invTTL)}
	same(t, "created", inv, want)
	same(t, "by id", must[torii.GroupInvitation](t)(s.GroupInvitationByID(ctx, inv.ID)), want)
	same(t, "group's", must[[]torii.GroupInvitation](t)(s.GroupInvitations(ctx, g.ID, t0)), []torii.GroupInvitation{want})
	same(t, "bob's", must[[]torii.GroupInvitation](t)(s.UserGroupInvitations(ctx, bob.ID, t0)), []torii.GroupInvitation{want})
	// Inviting is not joining.
	_, err := s.GroupRole(ctx, g.ID, bob.ID)
	is(t, err, torii.ErrNotFound)

	m := must[torii.GroupMember](t)(s.AcceptGroupInvitation(ctx, inv.ID, bob.ID, at(time.Hour)))
	same(t, "membership", m, torii.GroupMember{GroupID: g.ID, UserID: bob.ID, Role: torii.GroupRoleAdmin, CreatedAt: at(time.Hour)})
	if r := must[string](t)(s.GroupRole(ctx, g.ID, bob.ID)); r != torii.GroupRoleAdmin {
		t.Errorf("role after accepting = %q, want admin", r)
	}
	_, err = s.GroupInvitationByID(ctx, inv.ID)
	is(t, err, torii.ErrNotFound)
	_, err = s.AcceptGroupInvitation(ctx, inv.ID, bob.ID, at(time.Hour))
	is(t, err, torii.ErrNotFound)
}

func testInvitationAcceptRace(t *testing.T, s torii.Store) {
	ctx := t.Context()
	bob := newUser(t, s, "bob@example.com")
	g := newGroup(t, s, "Acme", nil)
	inv := invite(t, s, g.ID, bob.ID, torii.GroupRoleMember, t0)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Go(func() { _, errs[i] = s.AcceptGroupInvitation(ctx, inv.ID, bob.ID, at(time.Minute)) })
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case torii.ErrorCode(err) != torii.ENotFound:
			t.Errorf("losing accept: %v, want NOT_FOUND", err)
		}
	}
	if won != 1 {
		t.Errorf("%d accepts succeeded, want exactly 1 (%v)", won, errs)
	}
	if ms := must[[]torii.GroupMember](t)(s.GroupMembers(ctx, g.ID)); len(ms) != 1 {
		t.Errorf("members = %v, want bob once", ms)
	}
}

func testInvitationExpired(t *testing.T, s torii.Store) {
	ctx := t.Context()
	bob := newUser(t, s, "bob@example.com")
	g := newGroup(t, s, "Acme", nil)
	inv := invite(t, s, g.ID, bob.ID, torii.GroupRoleMember, t0)
	end := at(invTTL)
	if got := must[[]torii.GroupInvitation](t)(s.UserGroupInvitations(ctx, bob.ID, end.Add(-time.Microsecond))); len(got) != 1 {
		t.Errorf("invitations just before expiry = %v, want 1", got)
	}
	for _, list := range [][]torii.GroupInvitation{
		must[[]torii.GroupInvitation](t)(s.UserGroupInvitations(ctx, bob.ID, end)),
		must[[]torii.GroupInvitation](t)(s.GroupInvitations(ctx, g.ID, end)),
	} {
		if len(list) != 0 {
			t.Errorf("expired invitation listed: %v", list)
		}
	}
	_, err := s.AcceptGroupInvitation(ctx, inv.ID, bob.ID, end)
	is(t, err, torii.ErrNotFound)
	_, err = s.GroupRole(ctx, g.ID, bob.ID)
	is(t, err, torii.ErrNotFound)
}

func testInvitationOtherUser(t *testing.T, s torii.Store) {
	ctx := t.Context()
	bob, eve := newUser(t, s, "bob@example.com"), newUser(t, s, "eve@example.com")
	g := newGroup(t, s, "Acme", nil)
	inv := invite(t, s, g.ID, bob.ID, torii.GroupRoleMember, t0)
	_, err := s.AcceptGroupInvitation(ctx, inv.ID, eve.ID, t0)
	is(t, err, torii.ErrNotFound)
	if ms := must[[]torii.GroupMember](t)(s.GroupMembers(ctx, g.ID)); len(ms) != 0 {
		t.Errorf("members = %v, want none", ms)
	}
	// A deleted invitee accepts nothing either.
	deleteUser(t, s, bob.ID, at(time.Second))
	_, err = s.AcceptGroupInvitation(ctx, inv.ID, bob.ID, at(time.Minute))
	is(t, err, torii.ErrNotFound)
	if got := must[[]torii.GroupInvitation](t)(s.UserGroupInvitations(ctx, bob.ID, at(time.Minute))); len(got) != 0 {
		t.Errorf("deleted user's invitations = %v", got)
	}
}

func testInvitationDuplicate(t *testing.T, s torii.Store) {
	ctx := t.Context()
	bob := newUser(t, s, "bob@example.com")
	g := newGroup(t, s, "Acme", nil)
	first := invite(t, s, g.ID, bob.ID, torii.GroupRoleMember, t0)
	again := invite(t, s, g.ID, bob.ID, torii.GroupRoleAdmin, at(time.Hour))
	if again.ID != first.ID {
		t.Errorf("renewed invitation id = %d, want %d (one per group and user)", again.ID, first.ID)
	}
	same(t, "invitations", must[[]torii.GroupInvitation](t)(s.GroupInvitations(ctx, g.ID, at(time.Hour))), []torii.GroupInvitation{
		{ID: first.ID, GroupID: g.ID, UserID: bob.ID, Role: torii.GroupRoleAdmin, CreatedAt: at(time.Hour), ExpiresAt: at(time.Hour + invTTL)}})
}

func testInvitationLimit(t *testing.T, s torii.Store) {
	ctx := t.Context()
	g := newGroup(t, s, "Acme", nil)
	add := func(user int64, when time.Time) error {
		_, err := s.CreateGroupInvitation(ctx, torii.GroupInvitation{GroupID: g.ID, UserID: user, Role: torii.GroupRoleMember,
			CreatedAt: when, ExpiresAt: when.Add(invTTL)}, 2)
		return err
	}
	ok(t, add(101, t0))
	ok(t, add(102, at(time.Hour)))
	is(t, add(103, at(time.Hour)), torii.ErrInvitationLimit)
	ok(t, add(102, at(2*time.Hour))) // a renewal adds no row
	if got := must[[]torii.GroupInvitation](t)(s.GroupInvitations(ctx, g.ID, at(2*time.Hour))); len(got) != 2 {
		t.Errorf("invitations = %d, want 2", len(got))
	}
	// Once the first has expired, its place is free.
	ok(t, add(103, at(invTTL)))
	got := must[[]torii.GroupInvitation](t)(s.GroupInvitations(ctx, g.ID, at(invTTL)))
	if len(got) != 2 || got[0].UserID != 102 || got[1].UserID != 103 {
		t.Errorf("invitations after expiry = %+v, want users 102 and 103", got)
	}
}

func testInvitationUnknownID(t *testing.T, s torii.Store) {
	ctx := t.Context()
	ann := newUser(t, s, "ann@example.com")
	g := newGroup(t, s, "Acme", nil)
	// Nobody holds ann.ID+1 yet: the invitation is stored all the same.
	inv := invite(t, s, g.ID, ann.ID+1, torii.GroupRoleMember, t0)
	if got := must[[]torii.GroupInvitation](t)(s.GroupInvitations(ctx, g.ID, t0)); len(got) != 1 {
		t.Fatalf("invitations = %v, want the one to an unknown id", got)
	}
	later := must[torii.User](t)(s.CreateUser(ctx, torii.User{Email: "late@example.com", Name: "Late", Status: torii.StatusActive, CreatedAt: at(time.Second)}))
	if later.ID != inv.UserID {
		t.Fatalf("the next account got id %d, not %d: the test's premise failed", later.ID, inv.UserID)
	}
	if got := must[[]torii.GroupInvitation](t)(s.UserGroupInvitations(ctx, later.ID, at(time.Minute))); len(got) != 0 {
		t.Errorf("an invitation older than the account reached it: %v", got)
	}
	_, err := s.AcceptGroupInvitation(ctx, inv.ID, later.ID, at(time.Minute))
	is(t, err, torii.ErrNotFound)
}

func testInvitationAlreadyMember(t *testing.T, s torii.Store) {
	ctx := t.Context()
	bob := newUser(t, s, "bob@example.com")
	g := newGroup(t, s, "Acme", nil)
	inv := invite(t, s, g.ID, bob.ID, torii.GroupRoleOwner, t0)
	ok(t, s.SetGroupMember(ctx, torii.GroupMember{GroupID: g.ID, UserID: bob.ID, Role: torii.GroupRoleMember, CreatedAt: t0}))
	m := must[torii.GroupMember](t)(s.AcceptGroupInvitation(ctx, inv.ID, bob.ID, at(time.Hour)))
	same(t, "membership", m, torii.GroupMember{GroupID: g.ID, UserID: bob.ID, Role: torii.GroupRoleMember, CreatedAt: t0})
	_, err := s.GroupInvitationByID(ctx, inv.ID)
	is(t, err, torii.ErrNotFound)
}

func testInvitationBadInput(t *testing.T, s torii.Store) {
	ctx := t.Context()
	bob := newUser(t, s, "bob@example.com")
	g := newGroup(t, s, "Acme", nil)
	_, err := s.CreateGroupInvitation(ctx, torii.GroupInvitation{GroupID: g.ID + 1000, UserID: bob.ID, Role: torii.GroupRoleMember, CreatedAt: t0, ExpiresAt: at(invTTL)}, 100)
	is(t, err, torii.ErrNotFound)
	_, err = s.CreateGroupInvitation(ctx, torii.GroupInvitation{GroupID: g.ID, UserID: bob.ID, Role: "emperor", CreatedAt: t0, ExpiresAt: at(invTTL)}, 100)
	hasCode(t, err, torii.EValidation)
	if got := must[[]torii.GroupInvitation](t)(s.UserGroupInvitations(ctx, bob.ID, t0)); len(got) != 0 {
		t.Errorf("invitations after failed creates = %v", got)
	}
}

func testInvitationDelete(t *testing.T, s torii.Store) {
	ctx := t.Context()
	bob := newUser(t, s, "bob@example.com")
	g := newGroup(t, s, "Acme", nil)
	beta := newGroup(t, s, "Beta", nil)
	inv := invite(t, s, g.ID, bob.ID, torii.GroupRoleMember, t0)
	other := invite(t, s, beta.ID, bob.ID, torii.GroupRoleMember, t0)
	same(t, "deleted", must[torii.GroupInvitation](t)(s.DeleteGroupInvitation(ctx, inv.ID)), inv)
	_, err := s.DeleteGroupInvitation(ctx, inv.ID)
	is(t, err, torii.ErrNotFound)
	ok(t, s.DeleteGroupInvitationOf(ctx, g.ID, bob.ID)) // nothing left: no error
	same(t, "left", invitationIDs(must[[]torii.GroupInvitation](t)(s.UserGroupInvitations(ctx, bob.ID, t0))), []int64{other.ID})
	ok(t, s.DeleteGroupInvitationOf(ctx, beta.ID, bob.ID))
	if got := must[[]torii.GroupInvitation](t)(s.UserGroupInvitations(ctx, bob.ID, t0)); len(got) != 0 {
		t.Errorf("after DeleteGroupInvitationOf: %v", got)
	}
}

func testInvitationDeleteExpired(t *testing.T, s torii.Store) {
	ctx := t.Context()
	g := newGroup(t, s, "Acme", nil)
	invite(t, s, g.ID, 101, torii.GroupRoleMember, t0)
	live := invite(t, s, g.ID, 102, torii.GroupRoleMember, at(time.Hour))
	if n := must[int64](t)(s.DeleteExpiredGroupInvitations(ctx, at(invTTL))); n != 1 {
		t.Errorf("deleted %d, want 1", n)
	}
	same(t, "left", invitationIDs(must[[]torii.GroupInvitation](t)(s.GroupInvitations(ctx, g.ID, at(invTTL)))), []int64{live.ID})
	_, err := s.GroupInvitationByID(ctx, live.ID)
	ok(t, err)
}
