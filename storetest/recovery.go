package storetest

import (
	"testing"
	"time"

	"github.com/toriihq/torii"
)

// recoveryTests check reset links, invitations and changes of address
// (issue 19).
var recoveryTests = []test{
	{"ConsumePasswordReset_SetsPasswordOnceAndRevokesEverything", testConsumePasswordReset},
	{"ConsumePasswordReset_RefusesExpiredAndAddressChanged", testPasswordResetRefusals},
	{"ConsumePasswordReset_MailedProvesAddressAndDropsEarlierIdentities", testPasswordResetProves},
	{"CreatePasswordReset_LinkAndMailCommitTogether", testPasswordResetAtomic},
	{"AcceptInvitation_CreatesVerifiedMemberOnce", testAcceptInvitation},
	{"CreateInvitation_ReplacesSameAddressRefusesTakenAndBounds", testCreateInvitationRules},
	{"ConsumeEmailChange_ChangesAddressOnceOnlyFromOldAddress", testConsumeEmailChange},
	{"DeleteAccount_EmptiesTheUserAndFreesTheAddress", testDeleteAccount},
	{"SetAvatar_StoresPictureAndURLTogether", testSetAvatar},
	{"ReissueEmailChange_AdminLinkReplacesTheWaitingOne", testReissueEmailChange},
	{"DeleteAvatar_RestoresTheProviderPicture", testDeleteAvatarRestoresProviderPicture},
}

func reset(id string, u torii.User, via string, d time.Duration) torii.PasswordReset {
	return torii.PasswordReset{ID: id, UserID: u.ID, Email: u.Email, Via: via, CreatedAt: t0, ExpiresAt: t0.Add(d)}
}

func testConsumePasswordReset(t *testing.T, s torii.Store) {
	ctx := t.Context()
	ann := newUser(t, s, "ann@example.com")
	newSession(t, s, ann.ID, "s1", t0, time.Hour)
	newSession(t, s, ann.ID, "s2", t0, time.Hour)
	ok(t, s.CreateRefreshToken(ctx, torii.RefreshToken{ID: "rt1", UserID: ann.ID, SessionID: "s1", Audience: "a", CreatedAt: t0, ExpiresAt: at(time.Hour)}))
	ok(t, s.CreatePasswordReset(ctx, reset("r1", ann, torii.ResetViaAdmin, 30*time.Minute), nil))
	ok(t, s.CreatePasswordReset(ctx, reset("r2", ann, torii.ResetViaAdmin, 30*time.Minute), nil))
	same(t, "usable reset", must[torii.PasswordReset](t)(s.PasswordResetByID(ctx, "r1", at(time.Minute))).Email, ann.Email)

	done := must[torii.PasswordResetDone](t)(s.ConsumePasswordReset(ctx, "r1", "hash-1", at(time.Minute)))
	if done.User.PasswordHash != "hash-1" || done.SessionsRevoked != 2 || done.Verified || done.User.EmailVerified {
		t.Fatalf("done = %+v, want the new hash, 2 sessions, not verified (admin link)", done)
	}
	u := must[torii.User](t)(s.UserByID(ctx, ann.ID))
	if u.PasswordHash != "hash-1" || u.TokensValidAfter == nil || !u.TokensValidAfter.Equal(at(time.Minute)) {
		t.Errorf("user after reset: hash %q epoch %v", u.PasswordHash, u.TokensValidAfter)
	}
	for _, id := range []string{"s1", "s2"} {
		if ss := must[torii.Session](t)(s.SessionByID(ctx, id)); ss.RevokedAt == nil {
			t.Errorf("session %s survived the reset", id)
		}
	}
	if rt := must[torii.RefreshToken](t)(s.RefreshTokenByID(ctx, "rt1")); rt.RevokedAt == nil {
		t.Error("refresh token survived the reset")
	}
	// Single use, and the other outstanding link is spent with it.
	for _, id := range []string{"r1", "r2"} {
		_, err := s.ConsumePasswordReset(ctx, id, "hash-2", at(2*time.Minute))
		is(t, err, torii.ErrNotFound)
		_, err = s.PasswordResetByID(ctx, id, at(2*time.Minute))
		is(t, err, torii.ErrNotFound)
	}
	if u := must[torii.User](t)(s.UserByID(ctx, ann.ID)); u.PasswordHash != "hash-1" {
		t.Errorf("a spent link changed the password to %q", u.PasswordHash)
	}
}

func testPasswordResetRefusals(t *testing.T, s torii.Store) {
	ctx := t.Context()
	ann := newUser(t, s, "ann@example.com")
	ok(t, s.CreatePasswordReset(ctx, reset("old", ann, torii.ResetViaMail, 30*time.Minute), nil))
	// Valid strictly before its expiry.
	_, err := s.ConsumePasswordReset(ctx, "old", "h", at(30*time.Minute))
	is(t, err, torii.ErrNotFound)
	ok(t, s.CreatePasswordReset(ctx, reset("moved", ann, torii.ResetViaMail, 30*time.Minute), nil))
	_, err = s.UpdateUser(ctx, ann.ID, func(u *torii.User) error { u.Email = "ann2@example.com"; return nil })
	ok(t, err)
	_, err = s.ConsumePasswordReset(ctx, "moved", "h", at(time.Minute))
	is(t, err, torii.ErrNotFound)
	is(t, s.CreatePasswordReset(ctx, torii.PasswordReset{ID: "x", UserID: 9999, Email: "x@example.com", Via: torii.ResetViaMail, CreatedAt: t0, ExpiresAt: at(time.Hour)}, nil), torii.ErrNotFound)
	if u := must[torii.User](t)(s.UserByID(ctx, ann.ID)); u.PasswordHash != "" || u.EmailVerified {
		t.Errorf("a refused link changed the user: %+v", u)
	}
}

func testPasswordResetProves(t *testing.T, s torii.Store) {
	ctx := t.Context()
	ann := newUser(t, s, "ann@example.com")
	_, err := s.CreateIdentity(ctx, torii.Identity{UserID: ann.ID, Issuer: "https://idp", Subject: "mallory", Email: "m@evil.example", CreatedAt: t0})
	ok(t, err)
	ok(t, s.CreatePasswordReset(ctx, reset("m1", ann, torii.ResetViaMail, 30*time.Minute), nil))
	done := must[torii.PasswordResetDone](t)(s.ConsumePasswordReset(ctx, "m1", "h", at(time.Minute)))
	if !done.Verified || !done.User.EmailVerified || len(done.IdentitiesRemoved) != 1 || done.IdentitiesRemoved[0].Subject != "mallory" {
		t.Fatalf("done = %+v, want verified and mallory's identity removed", done)
	}
	if ids := must[[]torii.Identity](t)(s.IdentitiesByUser(ctx, ann.ID)); len(ids) != 0 {
		t.Errorf("identities left: %v", ids)
	}
	// Once verified, a later mailed reset keeps the identities.
	_, err = s.CreateIdentity(ctx, torii.Identity{UserID: ann.ID, Issuer: "https://idp", Subject: "ann", Email: "ann@example.com", CreatedAt: t0})
	ok(t, err)
	ok(t, s.CreatePasswordReset(ctx, reset("m2", ann, torii.ResetViaMail, 30*time.Minute), nil))
	done = must[torii.PasswordResetDone](t)(s.ConsumePasswordReset(ctx, "m2", "h2", at(time.Minute)))
	if done.Verified || len(done.IdentitiesRemoved) != 0 {
		t.Errorf("second reset: %+v", done)
	}
}

func testPasswordResetAtomic(t *testing.T, s torii.Store) {
	ctx := t.Context()
	ann := newUser(t, s, "ann@example.com")
	bad := mailTo("", t0) // refused by the outbox's checks
	err := s.CreatePasswordReset(ctx, reset("r", ann, torii.ResetViaMail, time.Hour), &bad)
	if !torii.IsCode(err, torii.EValidation) {
		t.Fatalf("bad mail: %v", err)
	}
	_, err = s.PasswordResetByID(ctx, "r", t0)
	is(t, err, torii.ErrNotFound)
	m := mailTo("ann@example.com", t0)
	ok(t, s.CreatePasswordReset(ctx, reset("r", ann, torii.ResetViaMail, time.Hour), &m))
	if got := must[[]torii.OutboxMail](t)(s.ClaimMail(ctx, t0, at(time.Minute), 10)); len(got) != 1 || got[0].To != "ann@example.com" {
		t.Errorf("queued mail: %v", got)
	}
}

func testAcceptInvitation(t *testing.T, s torii.Store) {
	ctx := t.Context()
	admin := newUser(t, s, "admin@example.com")
	g := must[torii.Group](t)(s.CreateGroup(ctx, torii.Group{Name: "Team", CreatedAt: t0, UpdatedAt: t0}))
	inv := must[torii.Invitation](t)(s.CreateInvitation(ctx, torii.Invitation{TokenHash: "h1", Email: "Bob@Example.com",
		GroupIDs: []int64{g.ID, 9999}, Admin: true, InvitedBy: &admin.ID, CreatedAt: t0, ExpiresAt: at(time.Hour)}, nil, 10))
	if inv.ID == 0 || inv.Email != "bob@example.com" {
		t.Fatalf("invitation = %+v", inv)
	}
	same(t, "by token", must[torii.Invitation](t)(s.InvitationByToken(ctx, "h1", t0)), inv)
	same(t, "list", must[[]torii.Invitation](t)(s.Invitations(ctx, t0)), []torii.Invitation{inv})

	u, got, err := s.AcceptInvitation(ctx, "h1", torii.User{Name: "Bob", PasswordHash: "pw", CreatedAt: at(time.Minute)}, at(time.Minute))
	ok(t, err)
	same(t, "accepted invitation", got, inv)
	if u.Email != "bob@example.com" || !u.EmailVerified || u.PasswordHash != "pw" {
		t.Errorf("user = %+v", u)
	}
	same(t, "roles", must[[]string](t)(s.UserRoles(ctx, u.ID)), []string{torii.RoleAdmin})
	if role := must[string](t)(s.GroupRole(ctx, g.ID, u.ID)); role != torii.GroupRoleMember {
		t.Errorf("group role %q", role)
	}
	_, _, err = s.AcceptInvitation(ctx, "h1", torii.User{Name: "Bob again"}, at(time.Minute))
	is(t, err, torii.ErrNotFound)
	same(t, "list after", must[[]torii.Invitation](t)(s.Invitations(ctx, t0)), []torii.Invitation{})

	// Expired: refused and not listed.
	_ = must[torii.Invitation](t)(s.CreateInvitation(ctx, torii.Invitation{TokenHash: "h2", Email: "cy@example.com", CreatedAt: t0, ExpiresAt: at(time.Hour)}, nil, 10))
	_, _, err = s.AcceptInvitation(ctx, "h2", torii.User{Name: "Cy"}, at(time.Hour))
	is(t, err, torii.ErrNotFound)
	same(t, "expired listed", len(must[[]torii.Invitation](t)(s.Invitations(ctx, at(time.Hour)))), 0)

	// The address taken meanwhile: conflict, and the invitation stays.
	_ = must[torii.Invitation](t)(s.CreateInvitation(ctx, torii.Invitation{TokenHash: "h3", Email: "dee@example.com", CreatedAt: t0, ExpiresAt: at(time.Hour)}, nil, 10))
	newUser(t, s, "dee@example.com")
	_, _, err = s.AcceptInvitation(ctx, "h3", torii.User{Name: "Dee"}, t0)
	is(t, err, torii.ErrConflict)
	_ = must[torii.Invitation](t)(s.InvitationByToken(ctx, "h3", t0))
}

func testCreateInvitationRules(t *testing.T, s torii.Store) {
	ctx := t.Context()
	newUser(t, s, "ann@example.com")
	_, err := s.CreateInvitation(ctx, torii.Invitation{TokenHash: "a", Email: "ann@example.com", CreatedAt: t0, ExpiresAt: at(time.Hour)}, nil, 10)
	is(t, err, torii.ErrConflict)
	first := must[torii.Invitation](t)(s.CreateInvitation(ctx, torii.Invitation{TokenHash: "b1", Email: "bob@example.com", CreatedAt: t0, ExpiresAt: at(time.Hour)}, nil, 2))
	second := must[torii.Invitation](t)(s.CreateInvitation(ctx, torii.Invitation{TokenHash: "b2", Email: "bob@example.com", CreatedAt: t0, ExpiresAt: at(time.Hour)}, nil, 2))
	_, err = s.InvitationByToken(ctx, "b1", t0)
	is(t, err, torii.ErrNotFound)
	_, err = s.DeleteInvitation(ctx, first.ID)
	is(t, err, torii.ErrNotFound)
	_ = must[torii.Invitation](t)(s.CreateInvitation(ctx, torii.Invitation{TokenHash: "c", Email: "cy@example.com", CreatedAt: t0, ExpiresAt: at(time.Hour)}, nil, 2))
	_, err = s.CreateInvitation(ctx, torii.Invitation{TokenHash: "d", Email: "dee@example.com", CreatedAt: t0, ExpiresAt: at(time.Hour)}, nil, 2)
	is(t, err, torii.ErrInvitationsFull)
	same(t, "revoked", must[torii.Invitation](t)(s.DeleteInvitation(ctx, second.ID)).Email, "bob@example.com")
	_, err = s.InvitationByToken(ctx, "b2", t0)
	is(t, err, torii.ErrNotFound)
}

func testConsumeEmailChange(t *testing.T, s torii.Store) {
	ctx := t.Context()
	ann := newUser(t, s, "ann@example.com")
	newUser(t, s, "taken@example.com")
	change := func(id, to string) torii.EmailChange {
		return torii.EmailChange{ID: id, UserID: ann.ID, OldEmail: "ann@example.com", NewEmail: to, CreatedAt: t0, ExpiresAt: at(time.Hour)}
	}
	is(t, s.CreateEmailChange(ctx, change("x", "taken@example.com"), nil), torii.ErrConflict)
	ok(t, s.CreateEmailChange(ctx, change("c1", "new@example.com"), []torii.OutboxMail{mailTo("new@example.com", t0), mailTo("ann@example.com", t0)}))
	ok(t, s.CreateEmailChange(ctx, change("c2", "other@example.com"), nil))
	_, _, err := s.ConsumeEmailChange(ctx, "c1", at(time.Hour))
	is(t, err, torii.ErrNotFound) // expired
	ch, u, err := s.ConsumeEmailChange(ctx, "c1", at(time.Minute))
	ok(t, err)
	if u.Email != "new@example.com" || !u.EmailVerified || ch.OldEmail != "ann@example.com" {
		t.Fatalf("after change: %+v %+v", u, ch)
	}
	for _, id := range []string{"c1", "c2"} {
		_, _, err = s.ConsumeEmailChange(ctx, id, at(time.Minute))
		is(t, err, torii.ErrNotFound)
	}
	// A change made for an address the user no longer has is refused.
	is(t, s.CreateEmailChange(ctx, change("c3", "x@example.com"), nil), torii.ErrNotFound)
}

func testDeleteAccount(t *testing.T, s torii.Store) {
	ctx := t.Context()
	for _, erase := range []bool{false, true} {
		email := "keep@example.com"
		if erase {
			email = "erase@example.com"
		}
		ann := newUser(t, s, email)
		newSession(t, s, ann.ID, "s-"+email, t0, time.Hour)
		_, err := s.CreateIdentity(ctx, torii.Identity{UserID: ann.ID, Issuer: "https://idp", Subject: email, Email: email, CreatedAt: t0})
		ok(t, err)
		ok(t, s.AddUserRole(ctx, ann.ID, torii.RoleAdmin))
		room := must[torii.Room](t)(s.CreateRoom(ctx, torii.Room{Name: "r-" + email, Visibility: torii.RoomPublic, CreatedBy: &ann.ID, CreatedAt: t0}))
		msg, _, err := s.CreateMessage(ctx, torii.Message{RoomID: room.ID, UserID: &ann.ID, Author: torii.AuthorUser, Body: "hello", Status: torii.MessageComplete, CreatedAt: t0})
		ok(t, err)
		same(t, "messages before", len(must[[]torii.Message](t)(s.UserMessages(ctx, ann.ID, 0, 10))), 1)

		old := must[torii.User](t)(s.DeleteAccount(ctx, ann.ID, at(time.Minute), erase))
		same(t, "returned user", old.Email, email)
		_, err = s.UserByID(ctx, ann.ID)
		is(t, err, torii.ErrNotFound)
		_, err = s.UserByEmail(ctx, email)
		is(t, err, torii.ErrNotFound)
		if ss := must[torii.Session](t)(s.SessionByID(ctx, "s-"+email)); ss.RevokedAt == nil {
			t.Error("session survived")
		}
		if ids := must[[]torii.Identity](t)(s.IdentitiesByUser(ctx, ann.ID)); len(ids) != 0 {
			t.Errorf("identities survived: %v", ids)
		}
		same(t, "roles", must[[]string](t)(s.UserRoles(ctx, ann.ID)), []string{})
		msgs := must[[]torii.Message](t)(s.UserMessages(ctx, ann.ID, 0, 10))
		if len(msgs) != 1 || msgs[0].ID != msg.ID || (msgs[0].Body == "") != erase {
			t.Errorf("erase=%v: messages after %+v", erase, msgs)
		}
		// The address is free again.
		newUser(t, s, email)
		_, err = s.DeleteAccount(ctx, ann.ID, at(time.Minute), erase)
		is(t, err, torii.ErrNotFound)
	}
}

func testSetAvatar(t *testing.T, s torii.Store) {
	ctx := t.Context()
	ann := newUser(t, s, "ann@example.com")
	_, _, err := s.Avatar(ctx, ann.ID)
	is(t, err, torii.ErrNotFound)
	u := must[torii.User](t)(s.SetAvatar(ctx, ann.ID, []byte{1, 2, 3}, "/avatars/1?v=1", at(time.Minute)))
	same(t, "url", u.AvatarURL, "/avatars/1?v=1")
	u = must[torii.User](t)(s.SetAvatar(ctx, ann.ID, []byte{4, 5}, "/avatars/1?v=2", at(2*time.Minute)))
	data, when, err := s.Avatar(ctx, ann.ID)
	ok(t, err)
	same(t, "data", data, []byte{4, 5})
	same(t, "updated", when, at(2*time.Minute))
	same(t, "stored url", must[torii.User](t)(s.UserByID(ctx, ann.ID)).AvatarURL, "/avatars/1?v=2")
	u = must[torii.User](t)(s.DeleteAvatar(ctx, ann.ID, at(3*time.Minute)))
	same(t, "url after delete", u.AvatarURL, "")
	_, _, err = s.Avatar(ctx, ann.ID)
	is(t, err, torii.ErrNotFound)
	// A provider's picture is not the upload's: deleting keeps it.
	_, err = s.UpdateUser(ctx, ann.ID, func(x *torii.User) error { x.AvatarURL = "https://lh3.example/p.png"; return nil })
	ok(t, err)
	same(t, "provider url kept", must[torii.User](t)(s.DeleteAvatar(ctx, ann.ID, at(4*time.Minute))).AvatarURL, "https://lh3.example/p.png")
	_, err = s.SetAvatar(ctx, 99999, []byte{1}, "/avatars/99999?v=1", t0)
	is(t, err, torii.ErrNotFound)
}
