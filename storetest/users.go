package storetest

import (
	"errors"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/toriihq/torii"
)

var userTests = []test{
	{"CreateUser_RoundTrip", testCreateUserRoundTrip},
	{"CreateUser_DefaultsCreatedAtToNow", testCreateUserDefaultsCreatedAt},
	{"CreateUser_StoresEmailNormalised", testCreateUserNormalisesEmail},
	{"CreateUser_EmailUniqueCaseInsensitive", testCreateUserEmailUnique},
	{"CreateUser_DeletedUserDoesNotBlockEmail", testCreateUserDeletedFreesEmail},
	{"CreateUser_ConcurrentSameEmailOneWins", testCreateUserConcurrent},
	{"CreateUser_NoPassword", testCreateUserNoPassword},
	{"UserByEmail_CaseInsensitive", testUserByEmailCaseInsensitive},
	{"UpdateUser_Writes", testUpdateUserWrites},
	{"UpdateUser_CallbackErrorLeavesRowUnchanged", testUpdateUserCallbackError},
	{"UpdateUser_EmailTakenConflicts", testUpdateUserEmailTaken},
	{"UpdateUser_ConcurrentUpdatesAllApply", testUpdateUserConcurrent},
	{"UpdateUser_SoftDeleteHidesUser", testUpdateUserSoftDelete},
	{"UpdateUser_DeactivationRevokesSessions", testUpdateUserDeactivates},
	{"SetUserStatus_InactiveRevokesSessions", testSetUserStatusRevokes},
	{"SetUserStatus_InvalidStatus", testSetUserStatusInvalid},
	{"ListUsers_Filters", testListUsersFilters},
	{"ListUsers_LimitDefaultAndMax", testListUsersLimit},
	{"CountUsers_CountsLiveUsers", testCountUsers},
}

func testCreateUserRoundTrip(t *testing.T, s torii.Store) {
	in := torii.User{
		Email:         "ann@example.com",
		EmailVerified: true,
		Name:          "Ann Lee",
		AvatarURL:     "https://example.com/ann.png",
		PasswordHash:  "$argon2id$v=19$m=65536,t=3,p=2$c2FsdA$aGFzaA",
		Status:        torii.StatusActive,
		IsFirstLogin:  true,
		LastLoginAt:   ptr(at(-time.Hour)),
		CreatedAt:     t0,
	}
	got, err := s.CreateUser(t.Context(), in)
	ok(t, err)
	if got.ID <= 0 {
		t.Fatalf("ID = %d, want > 0", got.ID)
	}
	want := in
	want.ID, want.UpdatedAt = got.ID, t0
	same(t, "created user", got, want)
	same(t, "read user", must[torii.User](t)(s.UserByID(t.Context(), got.ID)), want)

	other := newUser(t, s, "bob@example.com")
	if other.ID == got.ID {
		t.Errorf("two users share id %d", got.ID)
	}
}

func testCreateUserDefaultsCreatedAt(t *testing.T, s torii.Store) {
	before := time.Now().Add(-time.Second)
	got, err := s.CreateUser(t.Context(), torii.User{Email: "ann@example.com", Status: torii.StatusActive})
	ok(t, err)
	after := time.Now().Add(time.Second)
	if got.CreatedAt.Before(before) || got.CreatedAt.After(after) {
		t.Errorf("CreatedAt = %v, want about now", got.CreatedAt)
	}
	if !got.UpdatedAt.Equal(got.CreatedAt) {
		t.Errorf("UpdatedAt = %v, want CreatedAt %v", got.UpdatedAt, got.CreatedAt)
	}
	same(t, "read user", must[torii.User](t)(s.UserByID(t.Context(), got.ID)), got)
}

// The User type says emails are stored normalised.
func testCreateUserNormalisesEmail(t *testing.T, s torii.Store) {
	got := newUser(t, s, " Ann@Example.COM ")
	if got.Email != "ann@example.com" {
		t.Errorf("created Email = %q, want ann@example.com", got.Email)
	}
	read := must[torii.User](t)(s.UserByID(t.Context(), got.ID))
	if read.Email != "ann@example.com" {
		t.Errorf("stored Email = %q, want ann@example.com", read.Email)
	}
}

func testCreateUserEmailUnique(t *testing.T, s torii.Store) {
	first := newUser(t, s, "User@X.com")
	for _, email := range []string{"user@x.com", "USER@X.COM", "User@X.com", "uSeR@x.CoM"} {
		t.Run(email, func(t *testing.T) {
			_, err := s.CreateUser(t.Context(), torii.User{Email: email, Status: torii.StatusActive, CreatedAt: t0})
			is(t, err, torii.ErrConflict)
			hasCode(t, err, torii.EConflict)
		})
	}
	got := must[torii.User](t)(s.UserByEmail(t.Context(), "user@x.com"))
	if got.ID != first.ID {
		t.Errorf("UserByEmail found %d, want the first user %d", got.ID, first.ID)
	}
	if n := must[int](t)(s.CountUsers(t.Context())); n != 1 {
		t.Errorf("CountUsers = %d, want 1", n)
	}
}

func testCreateUserDeletedFreesEmail(t *testing.T, s torii.Store) {
	old := newUser(t, s, "ann@example.com")
	deleteUser(t, s, old.ID, at(time.Hour))
	again := newUser(t, s, "Ann@Example.com")
	if again.ID == old.ID {
		t.Fatalf("new user reused id %d", old.ID)
	}
	got := must[torii.User](t)(s.UserByEmail(t.Context(), "ann@example.com"))
	if got.ID != again.ID {
		t.Errorf("UserByEmail found %d, want the new user %d", got.ID, again.ID)
	}
	// A second deleted holder of the same email is fine too.
	deleteUser(t, s, again.ID, at(2*time.Hour))
	newUser(t, s, "ann@example.com")
}

// Run it on PostgreSQL especially: there only the unique index, not a
// single writer, stands between the racers.
func testCreateUserConcurrent(t *testing.T, s torii.Store) {
	const n = 8
	var (
		wg   sync.WaitGroup
		errs = make([]error, n)
	)
	for i := range n {
		email := "race@example.com"
		if i%2 == 1 {
			email = "RACE@example.com"
		}
		wg.Go(func() {
			_, errs[i] = s.CreateUser(t.Context(), torii.User{Email: email, Status: torii.StatusActive, CreatedAt: t0})
		})
	}
	wg.Wait()
	wins := 0
	for i, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, torii.ErrConflict):
			t.Errorf("racer %d: error = %v, want nil or ErrConflict", i, err)
		}
	}
	if wins != 1 {
		t.Errorf("%d racers created the user, want exactly 1", wins)
	}
	if c := must[int](t)(s.CountUsers(t.Context())); c != 1 {
		t.Errorf("CountUsers = %d, want 1", c)
	}
}

func testCreateUserNoPassword(t *testing.T, s torii.Store) {
	u := newUser(t, s, "google@example.com")
	read := must[torii.User](t)(s.UserByID(t.Context(), u.ID))
	if read.PasswordHash != "" || read.HasPassword() {
		t.Errorf("PasswordHash = %q, want none", read.PasswordHash)
	}
	if read.LastLoginAt != nil || read.DeletedAt != nil {
		t.Errorf("LastLoginAt, DeletedAt = %v, %v; want nil, nil", read.LastLoginAt, read.DeletedAt)
	}
}

func testUserByEmailCaseInsensitive(t *testing.T, s torii.Store) {
	u := newUser(t, s, "ann@example.com")
	newUser(t, s, "bob@example.com")
	for _, email := range []string{"ann@example.com", "ANN@EXAMPLE.COM", "Ann@Example.com"} {
		t.Run(email, func(t *testing.T) {
			got, err := s.UserByEmail(t.Context(), email)
			ok(t, err)
			same(t, "user", got, u)
		})
	}
}

func testUpdateUserWrites(t *testing.T, s torii.Store) {
	u := newUser(t, s, "ann@example.com")
	got, err := s.UpdateUser(t.Context(), u.ID, func(u *torii.User) error {
		u.ID = 999999           // kept
		u.CreatedAt = at(-1000) // kept
		u.Email = "ann.lee@example.com"
		u.EmailVerified = true
		u.Name = "Ann Lee"
		u.AvatarURL = "https://example.com/a.png"
		u.PasswordHash = "$argon2id$new"
		u.IsFirstLogin = false
		u.LastLoginAt = ptr(at(time.Minute))
		u.UpdatedAt = at(time.Minute)
		return nil
	})
	ok(t, err)
	want := u
	want.Email, want.EmailVerified, want.Name = "ann.lee@example.com", true, "Ann Lee"
	want.AvatarURL, want.PasswordHash, want.IsFirstLogin = "https://example.com/a.png", "$argon2id$new", false
	want.LastLoginAt, want.UpdatedAt = ptr(at(time.Minute)), at(time.Minute)
	same(t, "updated user", got, want)
	same(t, "read user", must[torii.User](t)(s.UserByID(t.Context(), u.ID)), want)
	same(t, "by new email", must[torii.User](t)(s.UserByEmail(t.Context(), "ann.lee@example.com")), want)

	// And back: a password can be removed, a time set to NULL.
	got, err = s.UpdateUser(t.Context(), u.ID, func(u *torii.User) error {
		u.PasswordHash, u.LastLoginAt = "", nil
		return nil
	})
	ok(t, err)
	read := must[torii.User](t)(s.UserByID(t.Context(), u.ID))
	same(t, "cleared user", read, got)
	if read.PasswordHash != "" || read.LastLoginAt != nil {
		t.Errorf("PasswordHash, LastLoginAt = %q, %v; want cleared", read.PasswordHash, read.LastLoginAt)
	}
}

func testUpdateUserCallbackError(t *testing.T, s torii.Store) {
	u := newUser(t, s, "ann@example.com")
	boom := errors.New("boom")
	_, err := s.UpdateUser(t.Context(), u.ID, func(u *torii.User) error {
		u.Name = "changed"
		u.Email = "changed@example.com"
		return boom
	})
	if err != boom {
		t.Errorf("error = %v, want the callback's error as is", err)
	}
	same(t, "user after failed update", must[torii.User](t)(s.UserByID(t.Context(), u.ID)), u)
}

func testUpdateUserEmailTaken(t *testing.T, s torii.Store) {
	newUser(t, s, "ann@example.com")
	bob := newUser(t, s, "bob@example.com")
	_, err := s.UpdateUser(t.Context(), bob.ID, func(u *torii.User) error {
		u.Email = "ANN@example.com"
		return nil
	})
	is(t, err, torii.ErrConflict)
	same(t, "bob after conflict", must[torii.User](t)(s.UserByID(t.Context(), bob.ID)), bob)
}

// UpdateUser is a read-modify-write in one transaction: concurrent updates of
// one user must not lose each other's changes.
func testUpdateUserConcurrent(t *testing.T, s torii.Store) {
	u := newUser(t, s, "counter@example.com")
	_, err := s.UpdateUser(t.Context(), u.ID, func(u *torii.User) error {
		u.Name = "0"
		return nil
	})
	ok(t, err)
	const n = 8
	var (
		wg   sync.WaitGroup
		errs = make([]error, n)
	)
	for i := range n {
		wg.Go(func() {
			_, errs[i] = s.UpdateUser(t.Context(), u.ID, func(u *torii.User) error {
				c, err := strconv.Atoi(u.Name)
				u.Name = strconv.Itoa(c + 1)
				return err
			})
		})
	}
	wg.Wait()
	ok(t, errors.Join(errs...))
	if got := must[torii.User](t)(s.UserByID(t.Context(), u.ID)).Name; got != strconv.Itoa(n) {
		t.Errorf("counter = %s after %d concurrent increments", got, n)
	}
}

func testUpdateUserSoftDelete(t *testing.T, s torii.Store) {
	ann := newUser(t, s, "ann@example.com")
	bob := newUser(t, s, "bob@example.com")
	got, err := s.UpdateUser(t.Context(), ann.ID, func(u *torii.User) error {
		u.DeletedAt = ptr(at(time.Hour))
		return nil
	})
	ok(t, err)
	same(t, "DeletedAt", got.DeletedAt, ptr(at(time.Hour)))
	_, err = s.UserByID(t.Context(), ann.ID)
	is(t, err, torii.ErrNotFound)
	_, err = s.UserByEmail(t.Context(), "ann@example.com")
	is(t, err, torii.ErrNotFound)
	if n := must[int](t)(s.CountUsers(t.Context())); n != 1 {
		t.Errorf("CountUsers = %d, want 1", n)
	}
	list := must[[]torii.User](t)(s.ListUsers(t.Context(), torii.UserFilter{}))
	same(t, "listed ids", userIDs(list), []int64{bob.ID})
}

// data-model.md: deactivating a user revokes its sessions in the same
// transaction, whichever method deactivates it.
func testUpdateUserDeactivates(t *testing.T, s torii.Store) {
	u := newUser(t, s, "ann@example.com")
	newSession(t, s, u.ID, "s1", t0, time.Hour)
	_, err := s.UpdateUser(t.Context(), u.ID, func(u *torii.User) error {
		u.Status = torii.StatusInactive
		u.UpdatedAt = at(time.Minute)
		return nil
	})
	ok(t, err)
	ss := must[torii.Session](t)(s.SessionByID(t.Context(), "s1"))
	same(t, "RevokedAt", ss.RevokedAt, ptr(at(time.Minute)))
}

func testSetUserStatusRevokes(t *testing.T, s torii.Store) {
	ctx := t.Context()
	ann := newUser(t, s, "ann@example.com")
	bob := newUser(t, s, "bob@example.com")
	newSession(t, s, ann.ID, "a1", t0, time.Hour)
	newSession(t, s, ann.ID, "a2", at(time.Minute), time.Hour)
	newSession(t, s, ann.ID, "a-old", t0, time.Hour)
	ok(t, s.RevokeSession(ctx, ann.ID, "a-old", at(2*time.Minute)))
	newSession(t, s, bob.ID, "b1", t0, time.Hour)

	off := at(10 * time.Minute)
	got, err := s.SetUserStatus(ctx, ann.ID, torii.StatusInactive, off)
	ok(t, err)
	want := ann
	// Deactivation also moves the token epoch (issue 12): access tokens
	// issued before it stay dead.
	want.Status, want.UpdatedAt, want.TokensValidAfter = torii.StatusInactive, off, &off
	same(t, "returned user", got, want)
	same(t, "read user", must[torii.User](t)(s.UserByID(ctx, ann.ID)), want)

	revoked := map[string]*time.Time{"a1": &off, "a2": &off, "a-old": ptr(at(2 * time.Minute)), "b1": nil}
	check := func(when string) {
		for id, wantAt := range revoked {
			ss := must[torii.Session](t)(s.SessionByID(ctx, id))
			same(t, when+": RevokedAt of "+id, ss.RevokedAt, wantAt)
		}
	}
	check("after deactivation")
	if live := must[[]torii.Session](t)(s.ListUserSessions(ctx, ann.ID, off)); len(live) != 0 {
		t.Errorf("live sessions after deactivation: %v", sessionIDs(live))
	}

	on := at(20 * time.Minute)
	got, err = s.SetUserStatus(ctx, ann.ID, torii.StatusActive, on)
	ok(t, err)
	if got.Status != torii.StatusActive || !got.UpdatedAt.Equal(on) {
		t.Errorf("reactivated user: status %q updated %v", got.Status, got.UpdatedAt)
	}
	check("after reactivation")
}

func testSetUserStatusInvalid(t *testing.T, s torii.Store) {
	u := newUser(t, s, "ann@example.com")
	_, err := s.SetUserStatus(t.Context(), u.ID, "suspended", t0)
	hasCode(t, err, torii.EValidation)
	same(t, "user", must[torii.User](t)(s.UserByID(t.Context(), u.ID)), u)
}

func testListUsersFilters(t *testing.T, s torii.Store) {
	ctx := t.Context()
	create := func(email, name string, status torii.UserStatus) torii.User {
		return must[torii.User](t)(s.CreateUser(ctx, torii.User{Email: email, Name: name, Status: status, CreatedAt: t0}))
	}
	ann := create("ann@example.com", "Ann Lee", torii.StatusActive)
	bob := create("bob@example.com", "Bob 100%", torii.StatusActive)
	carol := create("carol_x@test.org", "Carol", torii.StatusInactive)
	dave := create("d@test.org", "DAVE Smith", torii.StatusActive)
	eve := create("eve@example.com", "Eve", torii.StatusActive)
	deleteUser(t, s, eve.ID, at(time.Hour))

	cases := []struct {
		name string
		f    torii.UserFilter
		want []torii.User
	}{
		{"all live users by id", torii.UserFilter{}, []torii.User{ann, bob, carol, dave}},
		{"query matches email case-insensitively", torii.UserFilter{Query: "EXAMPLE"}, []torii.User{ann, bob}},
		{"query matches name case-insensitively", torii.UserFilter{Query: "smith"}, []torii.User{dave}},
		{"query matches a name substring", torii.UserFilter{Query: "n le"}, []torii.User{ann}},
		{"percent is literal", torii.UserFilter{Query: "%"}, []torii.User{bob}},
		{"underscore is literal", torii.UserFilter{Query: "_"}, []torii.User{carol}},
		{"query without match", torii.UserFilter{Query: "zzz"}, nil},
		{"status inactive", torii.UserFilter{Status: torii.StatusInactive}, []torii.User{carol}},
		{"status active", torii.UserFilter{Status: torii.StatusActive}, []torii.User{ann, bob, dave}},
		{"query and status", torii.UserFilter{Query: "test.org", Status: torii.StatusActive}, []torii.User{dave}},
		{"after id", torii.UserFilter{AfterID: ann.ID}, []torii.User{bob, carol, dave}},
		{"limit", torii.UserFilter{Limit: 2}, []torii.User{ann, bob}},
		{"after id and limit", torii.UserFilter{AfterID: bob.ID, Limit: 1}, []torii.User{carol}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := s.ListUsers(ctx, c.f)
			ok(t, err)
			if !slices.Equal(userIDs(got), userIDs(c.want)) {
				t.Errorf("ids = %v, want %v", userIDs(got), userIDs(c.want))
			}
			for i := range min(len(got), len(c.want)) {
				same(t, "user", got[i], c.want[i])
			}
		})
	}
}

func testListUsersLimit(t *testing.T, s torii.Store) {
	for i := range 120 {
		newUser(t, s, label("user", i)+"@example.com")
	}
	for _, c := range []struct{ limit, want int }{{0, 50}, {-1, 50}, {7, 7}, {100, 100}, {1000, 100}} {
		got := must[[]torii.User](t)(s.ListUsers(t.Context(), torii.UserFilter{Limit: c.limit}))
		if len(got) != c.want {
			t.Errorf("Limit %d: %d users, want %d", c.limit, len(got), c.want)
		}
	}
}

func testCountUsers(t *testing.T, s torii.Store) {
	count := func() int { return must[int](t)(s.CountUsers(t.Context())) }
	if n := count(); n != 0 {
		t.Fatalf("empty store counts %d users", n)
	}
	ann := newUser(t, s, "ann@example.com")
	newUser(t, s, "bob@example.com")
	if n := count(); n != 2 {
		t.Errorf("CountUsers = %d, want 2", n)
	}
	deleteUser(t, s, ann.ID, at(time.Hour))
	if n := count(); n != 1 {
		t.Errorf("CountUsers after a deletion = %d, want 1", n)
	}
}
