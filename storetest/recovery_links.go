package storetest

import (
	"testing"
	"time"

	"github.com/toriihq/torii"
)

// A change asked for without mail waits with a link nobody knows; an
// admin's reissue gives it a new hash (Via admin), the old hash dies, and
// only live changes of live users still at the old address are listed.
func testReissueEmailChange(t *testing.T, s torii.Store) {
	ctx := t.Context()
	ann := newUser(t, s, "ann@example.com")
	bob := newUser(t, s, "bob@example.com")
	_, err := s.ReissueEmailChange(ctx, ann.ID, "none", at(time.Minute), at(time.Hour))
	is(t, err, torii.ErrNotFound)
	mk := func(id string, u torii.User, to string, created time.Duration) torii.EmailChange {
		return torii.EmailChange{ID: id, UserID: u.ID, OldEmail: u.Email, NewEmail: to, Via: torii.EmailChangeViaAdmin,
			CreatedAt: at(created), ExpiresAt: at(created + time.Hour)}
	}
	ok(t, s.CreateEmailChange(ctx, mk("a1", ann, "ann.old@example.com", 0), nil))
	ok(t, s.CreateEmailChange(ctx, mk("a2", ann, "ann.new@example.com", time.Minute), nil))
	ok(t, s.CreateEmailChange(ctx, torii.EmailChange{ID: "b1", UserID: bob.ID, OldEmail: bob.Email, NewEmail: "bob.new@example.com",
		CreatedAt: t0, ExpiresAt: at(time.Hour)}, nil))

	all := must[[]torii.EmailChange](t)(s.PendingEmailChanges(ctx, 0, at(2*time.Minute), 10))
	if len(all) != 3 || all[0].ID != "a2" || all[0].Via != torii.EmailChangeViaAdmin {
		t.Fatalf("pending = %+v, want 3, newest (a2, via admin) first", all)
	}
	if bobs := must[[]torii.EmailChange](t)(s.PendingEmailChanges(ctx, bob.ID, at(2*time.Minute), 10)); len(bobs) != 1 || bobs[0].Via != torii.EmailChangeViaMail {
		t.Fatalf("bob's = %+v, want b1 with Via defaulting to mail", bobs)
	}

	ch := must[torii.EmailChange](t)(s.ReissueEmailChange(ctx, ann.ID, "a2-admin", at(2*time.Minute), at(3*time.Hour)))
	if ch.ID != "a2-admin" || ch.NewEmail != "ann.new@example.com" || ch.Via != torii.EmailChangeViaAdmin || !ch.ExpiresAt.Equal(at(3*time.Hour)) {
		t.Fatalf("reissued = %+v", ch)
	}
	_, _, err = s.ConsumeEmailChange(ctx, "a2", at(3*time.Minute))
	is(t, err, torii.ErrNotFound) // the earlier hash died
	ch, u, err := s.ConsumeEmailChange(ctx, "a2-admin", at(2*time.Hour))
	ok(t, err)
	if u.Email != "ann.new@example.com" || !u.EmailVerified || ch.Via != torii.EmailChangeViaAdmin {
		t.Fatalf("after the admin's link: %+v %+v", u, ch)
	}
	// Nothing of ann's is live any more (a1 spent with it).
	same(t, "ann's pending", len(must[[]torii.EmailChange](t)(s.PendingEmailChanges(ctx, ann.ID, at(2*time.Hour), 10))), 0)
	_, err = s.ReissueEmailChange(ctx, ann.ID, "again", at(2*time.Hour), at(3*time.Hour))
	is(t, err, torii.ErrNotFound)
	// Expired changes are not live.
	same(t, "expired", len(must[[]torii.EmailChange](t)(s.PendingEmailChanges(ctx, bob.ID, at(time.Hour), 10))), 0)
}

// The provider's picture kept on the identity comes back when the upload
// is deleted; the identity linked last wins.
func testDeleteAvatarRestoresProviderPicture(t *testing.T, s torii.Store) {
	ctx := t.Context()
	ann := newUser(t, s, "ann@example.com")
	first := must[torii.Identity](t)(s.CreateIdentity(ctx, torii.Identity{UserID: ann.ID, Issuer: "https://idp", Subject: "1", Picture: "https://idp/1.png", CreatedAt: t0}))
	same(t, "picture stored", must[torii.Identity](t)(s.IdentityBySubject(ctx, "https://idp", "1")).Picture, "https://idp/1.png")
	second := must[torii.Identity](t)(s.CreateIdentity(ctx, torii.Identity{UserID: ann.ID, Issuer: "https://idp2", Subject: "2", CreatedAt: t0}))
	_, err := s.SetAvatar(ctx, ann.ID, []byte{1}, "/avatars/1?v=1", at(time.Minute))
	ok(t, err)
	same(t, "only the identity with a picture", must[torii.User](t)(s.DeleteAvatar(ctx, ann.ID, at(2*time.Minute))).AvatarURL, "https://idp/1.png")

	ok(t, s.SetIdentityPicture(ctx, second.ID, "https://idp2/2.png"))
	_, id, err := s.UserByIdentity(ctx, "https://idp2", "2")
	ok(t, err)
	same(t, "picture by identity", id.Picture, "https://idp2/2.png")
	_, err = s.SetAvatar(ctx, ann.ID, []byte{1}, "/avatars/1?v=2", at(3*time.Minute))
	ok(t, err)
	same(t, "the identity linked last", must[torii.User](t)(s.DeleteAvatar(ctx, ann.ID, at(4*time.Minute))).AvatarURL, "https://idp2/2.png")
	is(t, s.SetIdentityPicture(ctx, first.ID+second.ID+100, "x"), torii.ErrNotFound)

	// Unlinking the identity whose picture is shown shows the one left;
	// unlinking that one shows none; an upload is never touched.
	ok(t, s.DeleteIdentity(ctx, ann.ID, second.ID))
	same(t, "after unlinking the shown one", must[torii.User](t)(s.UserByID(ctx, ann.ID)).AvatarURL, "https://idp/1.png")
	_, err = s.SetAvatar(ctx, ann.ID, []byte{1}, "/avatars/1?v=3", at(5*time.Minute))
	ok(t, err)
	ok(t, s.DeleteIdentity(ctx, ann.ID, first.ID))
	same(t, "an upload stays", must[torii.User](t)(s.UserByID(ctx, ann.ID)).AvatarURL, "/avatars/1?v=3")
	same(t, "no picture to come back", must[torii.User](t)(s.DeleteAvatar(ctx, ann.ID, at(6*time.Minute))).AvatarURL, "")
}
