package storetest

import (
	"testing"
	"time"

	"github.com/toriihq/torii"
)

// oauthTests check the OpenID Provider's store rules (oauth.go).
var oauthTests = []test{
	{"OAuthClient_RoundTripsAndUpdates", testOAuthClientRoundTrip},
	{"OAuthClient_DeleteRemovesWhatWasIssued", testOAuthClientDeleteCascades},
	{"OAuthConsent_RemovalRevokesTheClientsTokens", testOAuthConsent},
	{"OAuthAuthRequest_UpdateKeepsItsBinding", testOAuthRequestBinding},
	{"OAuthCode_SingleUse_ReuseRevokesTheGrant", testOAuthCodeReuse},
	{"OAuthCode_ExpiredOrIncompleteRefused", testOAuthCodeRefusals},
	{"OAuthRefresh_RotatesAndReuseRevokesTheGrant", testOAuthRefreshRotation},
	{"OAuthTokens_DeactivationRevokesAndRefusesNew", testOAuthDeactivation},
	{"OAuthTokens_RevokePerUserAndClient", testOAuthRevokeUser},
	{"OAuth_DeleteExpired", testOAuthDeleteExpired},
}

func newOAuthClient(t *testing.T, s torii.Store, id string) torii.OAuthClient {
	t.Helper()
	c, err := s.CreateOAuthClient(t.Context(), torii.OAuthClient{ID: id, Name: "App " + id, SecretHash: "hash-" + id,
		RedirectURIs: []string{"https://app.example.com/cb"}, CreatedAt: t0})
	ok(t, err)
	return c
}

func newOAuthRequest(t *testing.T, s torii.Store, id, clientID string, userID int64, done bool) torii.OAuthAuthRequest {
	t.Helper()
	r := torii.OAuthAuthRequest{ID: id, ClientID: clientID, RedirectURI: "https://app.example.com/cb", State: "st",
		Nonce: "n", Scopes: []string{"openid", "email"}, ResponseType: "code", CodeChallenge: "ch", CodeChallengeMethod: "S256",
		Prompt: []string{}, AMR: []string{}, UserID: userID, Done: done, CreatedAt: t0, ExpiresAt: at(10 * time.Minute)}
	if userID != 0 {
		r.AuthTime, r.AMR = t0, []string{"pwd"}
	}
	ok(t, s.CreateOAuthAuthRequest(t.Context(), r))
	return r
}

func oauthToken(id, kind, clientID string, userID int64, grant string) torii.OAuthToken {
	return torii.OAuthToken{ID: id, Kind: kind, ClientID: clientID, UserID: userID, GrantID: grant,
		Scopes: []string{"openid"}, AuthTime: t0, AMR: []string{"pwd"}, CreatedAt: t0, ExpiresAt: at(time.Hour)}
}

func revoked(t *testing.T, s torii.Store, id string) bool {
	t.Helper()
	tok, err := s.OAuthTokenByID(t.Context(), id)
	ok(t, err)
	return tok.RevokedAt != nil
}

func testOAuthClientRoundTrip(t *testing.T, s torii.Store) {
	ctx := t.Context()
	admin := newUser(t, s, "admin@example.com")
	want := torii.OAuthClient{ID: "c1", Name: "Grafana", SecretHash: "h", RedirectURIs: []string{"https://g.example.com/cb", "http://127.0.0.1:3000/cb"},
		PostLogoutURIs: []string{"https://g.example.com/"}, Trusted: true, GroupIDs: []int64{3, 5}, CreatedBy: &admin.ID,
		CreatedAt: t0, UpdatedAt: t0}
	got, err := s.CreateOAuthClient(ctx, want)
	ok(t, err)
	same(t, "created", got, want)
	same(t, "read", must[torii.OAuthClient](t)(s.OAuthClientByID(ctx, "c1")), want)
	_, err = s.CreateOAuthClient(ctx, torii.OAuthClient{ID: "c1", Name: "again", CreatedAt: t0})
	is(t, err, torii.ErrConflict)
	pub := must[torii.OAuthClient](t)(s.CreateOAuthClient(ctx, torii.OAuthClient{ID: "c2", Name: "SPA", Public: true, CreatedAt: at(time.Second)}))
	same(t, "public client lists", pub.RedirectURIs, []string{})
	same(t, "public client secret", pub.SecretHash, "")

	upd, err := s.UpdateOAuthClient(ctx, "c1", func(c *torii.OAuthClient) error {
		c.ID, c.Name, c.SecretHash, c.GroupIDs, c.Trusted, c.UpdatedAt = "changed", "Grafana 2", "h2", nil, false, at(time.Hour)
		return nil
	})
	ok(t, err)
	want.Name, want.SecretHash, want.GroupIDs, want.Trusted, want.UpdatedAt = "Grafana 2", "h2", []int64{}, false, at(time.Hour)
	same(t, "updated", upd, want)
	same(t, "list", ids(must[[]torii.OAuthClient](t)(s.ListOAuthClients(ctx)), func(c torii.OAuthClient) string { return c.ID }), []string{"c1", "c2"})
	_, err = s.UpdateOAuthClient(ctx, "missing", func(*torii.OAuthClient) error { return nil })
	is(t, err, torii.ErrNotFound)
	is(t, s.DeleteOAuthClient(ctx, "missing"), torii.ErrNotFound)
}

func testOAuthClientDeleteCascades(t *testing.T, s torii.Store) {
	ctx := t.Context()
	u := newUser(t, s, "ann@example.com")
	newOAuthClient(t, s, "c1")
	ok(t, s.SaveOAuthConsent(ctx, torii.OAuthConsent{UserID: u.ID, ClientID: "c1", Scopes: []string{"openid"}, CreatedAt: t0}))
	newOAuthRequest(t, s, "r1", "c1", u.ID, true)
	ok(t, s.CreateOAuthCode(ctx, torii.OAuthCode{ID: "code1", AuthRequestID: "r1", ClientID: "c1", CreatedAt: t0, ExpiresAt: at(time.Minute)}))
	ok(t, s.CreateOAuthTokens(ctx, oauthToken("a1", torii.OAuthAccess, "c1", u.ID, "r1")))
	ok(t, s.DeleteOAuthClient(ctx, "c1"))
	_, err := s.OAuthClientByID(ctx, "c1")
	is(t, err, torii.ErrNotFound)
	_, err = s.OAuthConsent(ctx, u.ID, "c1")
	is(t, err, torii.ErrNotFound)
	_, err = s.OAuthAuthRequestByID(ctx, "r1")
	is(t, err, torii.ErrNotFound)
	_, err = s.SpendOAuthCode(ctx, "code1", t0)
	is(t, err, torii.ErrNotFound)
	_, err = s.OAuthTokenByID(ctx, "a1")
	is(t, err, torii.ErrNotFound)
}

func testOAuthConsent(t *testing.T, s torii.Store) {
	ctx := t.Context()
	u := newUser(t, s, "ann@example.com")
	newOAuthClient(t, s, "c1")
	newOAuthClient(t, s, "c2")
	c := torii.OAuthConsent{UserID: u.ID, ClientID: "c1", Scopes: []string{"openid"}, CreatedAt: t0, UpdatedAt: t0}
	ok(t, s.SaveOAuthConsent(ctx, c))
	c2 := torii.OAuthConsent{UserID: u.ID, ClientID: "c1", Scopes: []string{"openid", "email"}, CreatedAt: at(time.Hour), UpdatedAt: at(time.Hour)}
	ok(t, s.SaveOAuthConsent(ctx, c2))
	c2.CreatedAt = t0 // kept on replace
	same(t, "consent", must[torii.OAuthConsent](t)(s.OAuthConsent(ctx, u.ID, "c1")), c2)
	ok(t, s.SaveOAuthConsent(ctx, torii.OAuthConsent{UserID: u.ID, ClientID: "c2", Scopes: []string{"openid"}, CreatedAt: at(2 * time.Hour)}))
	same(t, "list newest first", ids(must[[]torii.OAuthConsent](t)(s.ListOAuthConsents(ctx, u.ID)),
		func(c torii.OAuthConsent) string { return c.ClientID }), []string{"c2", "c1"})
	is(t, s.SaveOAuthConsent(ctx, torii.OAuthConsent{UserID: u.ID, ClientID: "missing", CreatedAt: t0}), torii.ErrNotFound)

	ok(t, s.CreateOAuthTokens(ctx, oauthToken("a1", torii.OAuthAccess, "c1", u.ID, "g1"), oauthToken("r1", torii.OAuthRefresh, "c1", u.ID, "g1")))
	ok(t, s.CreateOAuthTokens(ctx, oauthToken("a2", torii.OAuthAccess, "c2", u.ID, "g2")))
	ok(t, s.DeleteOAuthConsent(ctx, u.ID, "c1", at(time.Hour)))
	if !revoked(t, s, "a1") || !revoked(t, s, "r1") {
		t.Error("the client's tokens survived the consent's removal")
	}
	if revoked(t, s, "a2") {
		t.Error("another client's token was revoked")
	}
	is(t, s.DeleteOAuthConsent(ctx, u.ID, "c1", at(time.Hour)), torii.ErrNotFound)
}

func testOAuthRequestBinding(t *testing.T, s torii.Store) {
	ctx := t.Context()
	u := newUser(t, s, "ann@example.com")
	newOAuthClient(t, s, "c1")
	r := newOAuthRequest(t, s, "r1", "c1", 0, false)
	same(t, "read", must[torii.OAuthAuthRequest](t)(s.OAuthAuthRequestByID(ctx, "r1")), r)
	maxAge := int64(60)
	got, err := s.UpdateOAuthAuthRequest(ctx, "r1", func(x *torii.OAuthAuthRequest) error {
		x.ClientID, x.RedirectURI, x.CodeChallenge = "c2", "https://evil.example/cb", "other"
		x.UserID, x.SessionID, x.AuthTime, x.AMR, x.Done, x.MaxAge = u.ID, "s1", at(time.Second), []string{"pwd"}, true, &maxAge
		return nil
	})
	ok(t, err)
	want := r
	want.UserID, want.SessionID, want.AuthTime, want.AMR, want.Done, want.MaxAge = u.ID, "s1", at(time.Second), []string{"pwd"}, true, &maxAge
	same(t, "updated", got, want)
	same(t, "read back", must[torii.OAuthAuthRequest](t)(s.OAuthAuthRequestByID(ctx, "r1")), want)
	is(t, s.CreateOAuthAuthRequest(ctx, r), torii.ErrConflict)
	ok(t, s.DeleteOAuthAuthRequest(ctx, "r1"))
	is(t, s.DeleteOAuthAuthRequest(ctx, "r1"), torii.ErrNotFound)
}

func testOAuthCodeReuse(t *testing.T, s torii.Store) {
	ctx := t.Context()
	u := newUser(t, s, "ann@example.com")
	newOAuthClient(t, s, "c1")
	r := newOAuthRequest(t, s, "r1", "c1", u.ID, true)
	ok(t, s.CreateOAuthCode(ctx, torii.OAuthCode{ID: "code1", AuthRequestID: "r1", ClientID: "c1", CreatedAt: t0, ExpiresAt: at(time.Minute)}))
	is(t, s.CreateOAuthCode(ctx, torii.OAuthCode{ID: "code2", AuthRequestID: "r1", ClientID: "c1", CreatedAt: t0, ExpiresAt: at(time.Minute)}), torii.ErrConflict)
	got, err := s.SpendOAuthCode(ctx, "code1", at(time.Second))
	ok(t, err)
	same(t, "request", got, r)
	ok(t, s.CreateOAuthTokens(ctx, oauthToken("a1", torii.OAuthAccess, "c1", u.ID, "r1"), oauthToken("rt1", torii.OAuthRefresh, "c1", u.ID, "r1")))
	_, err = s.SpendOAuthCode(ctx, "code1", at(2*time.Second))
	is(t, err, torii.ErrOAuthCodeReused)
	if !revoked(t, s, "a1") || !revoked(t, s, "rt1") {
		t.Error("a reused code left what it issued alive")
	}
	_, err = s.SpendOAuthCode(ctx, "unknown", t0)
	is(t, err, torii.ErrNotFound)
}

func testOAuthCodeRefusals(t *testing.T, s torii.Store) {
	ctx := t.Context()
	u := newUser(t, s, "ann@example.com")
	newOAuthClient(t, s, "c1")
	newOAuthRequest(t, s, "open", "c1", 0, false)
	err := s.CreateOAuthCode(ctx, torii.OAuthCode{ID: "x", AuthRequestID: "open", ClientID: "c1", CreatedAt: t0, ExpiresAt: at(time.Minute)})
	hasCode(t, err, torii.EConflict)
	is(t, s.CreateOAuthCode(ctx, torii.OAuthCode{ID: "y", AuthRequestID: "missing", ClientID: "c1", CreatedAt: t0, ExpiresAt: at(time.Minute)}), torii.ErrNotFound)
	newOAuthRequest(t, s, "r1", "c1", u.ID, true)
	ok(t, s.CreateOAuthCode(ctx, torii.OAuthCode{ID: "code1", AuthRequestID: "r1", ClientID: "c1", CreatedAt: t0, ExpiresAt: at(time.Minute)}))
	_, err = s.SpendOAuthCode(ctx, "code1", at(time.Minute))
	is(t, err, torii.ErrNotFound)
}

func testOAuthRefreshRotation(t *testing.T, s torii.Store) {
	ctx := t.Context()
	u := newUser(t, s, "ann@example.com")
	newOAuthClient(t, s, "c1")
	ok(t, s.CreateOAuthTokens(ctx, oauthToken("a1", torii.OAuthAccess, "c1", u.ID, "g1"), oauthToken("r1", torii.OAuthRefresh, "c1", u.ID, "g1")))
	_, err := s.RotateOAuthRefreshToken(ctx, "a1", nil, t0)
	is(t, err, torii.ErrNotFound) // an access token is not a refresh token
	next := []torii.OAuthToken{oauthToken("a2", torii.OAuthAccess, "", 0, ""), oauthToken("r2", torii.OAuthRefresh, "", 0, "")}
	old, err := s.RotateOAuthRefreshToken(ctx, "r1", next, at(time.Minute))
	ok(t, err)
	if old.SpentAt == nil || old.GrantID != "g1" {
		t.Errorf("spent token = %+v", old)
	}
	r2 := must[torii.OAuthToken](t)(s.OAuthTokenByID(ctx, "r2"))
	if r2.ParentID != "r1" || r2.GrantID != "g1" || r2.UserID != u.ID || r2.ClientID != "c1" {
		t.Errorf("child = %+v", r2)
	}
	_, err = s.RotateOAuthRefreshToken(ctx, "r1", []torii.OAuthToken{oauthToken("r3", torii.OAuthRefresh, "", 0, "")}, at(2*time.Minute))
	is(t, err, torii.ErrRefreshTokenReused)
	for _, id := range []string{"a1", "r1", "a2", "r2"} {
		if !revoked(t, s, id) {
			t.Errorf("%s survived the reuse of its grant's refresh token", id)
		}
	}
	_, err = s.OAuthTokenByID(ctx, "r3")
	is(t, err, torii.ErrNotFound)
	_, err = s.RotateOAuthRefreshToken(ctx, "r2", nil, at(3*time.Minute))
	is(t, err, torii.ErrNotFound)
}

func testOAuthDeactivation(t *testing.T, s torii.Store) {
	ctx := t.Context()
	u := newUser(t, s, "ann@example.com")
	newOAuthClient(t, s, "c1")
	newOAuthClient(t, s, "c2")
	ok(t, s.CreateOAuthTokens(ctx, oauthToken("r1", torii.OAuthRefresh, "c1", u.ID, "g1"), oauthToken("r2", torii.OAuthRefresh, "c2", u.ID, "g2")))
	_, err := s.SetUserStatus(ctx, u.ID, torii.StatusInactive, at(time.Minute))
	ok(t, err)
	if !revoked(t, s, "r1") || !revoked(t, s, "r2") {
		t.Error("deactivation left an app's refresh token alive")
	}
	is(t, s.CreateOAuthTokens(ctx, oauthToken("r3", torii.OAuthRefresh, "c1", u.ID, "g3")), torii.ErrUserInactive)
	same(t, "clients", must[[]string](t)(s.OAuthTokenClients(ctx, u.ID, t0)), []string{})
}

func testOAuthRevokeUser(t *testing.T, s torii.Store) {
	ctx := t.Context()
	u := newUser(t, s, "ann@example.com")
	v := newUser(t, s, "bob@example.com")
	newOAuthClient(t, s, "c1")
	newOAuthClient(t, s, "c2")
	ok(t, s.CreateOAuthTokens(ctx, oauthToken("u1", torii.OAuthRefresh, "c1", u.ID, "g1"), oauthToken("u2", torii.OAuthRefresh, "c2", u.ID, "g2"),
		oauthToken("v1", torii.OAuthRefresh, "c1", v.ID, "g3")))
	same(t, "clients", must[[]string](t)(s.OAuthTokenClients(ctx, u.ID, t0)), []string{"c1", "c2"})
	n, err := s.RevokeUserOAuthTokens(ctx, u.ID, "c1", t0)
	ok(t, err)
	same(t, "revoked for one client", n, int64(1))
	same(t, "clients after", must[[]string](t)(s.OAuthTokenClients(ctx, u.ID, t0)), []string{"c2"})
	n, err = s.RevokeUserOAuthTokens(ctx, u.ID, "", t0)
	ok(t, err)
	same(t, "revoked for all clients", n, int64(1))
	if revoked(t, s, "v1") {
		t.Error("another user's token was revoked")
	}
	n, err = s.RevokeOAuthGrant(ctx, "g3", t0)
	ok(t, err)
	same(t, "grant", n, int64(1))
}

func testOAuthDeleteExpired(t *testing.T, s torii.Store) {
	ctx := t.Context()
	u := newUser(t, s, "ann@example.com")
	newOAuthClient(t, s, "c1")
	newOAuthRequest(t, s, "r1", "c1", u.ID, true)
	ok(t, s.CreateOAuthCode(ctx, torii.OAuthCode{ID: "code1", AuthRequestID: "r1", ClientID: "c1", CreatedAt: t0, ExpiresAt: at(time.Minute)}))
	ok(t, s.CreateOAuthTokens(ctx, oauthToken("a1", torii.OAuthAccess, "c1", u.ID, "r1")))
	n, err := s.DeleteExpiredOAuth(ctx, at(time.Minute))
	ok(t, err)
	same(t, "nothing expired yet", n, int64(0))
	n, err = s.DeleteExpiredOAuth(ctx, at(2*time.Hour))
	ok(t, err)
	same(t, "deleted", n, int64(3))
	_, err = s.OAuthTokenByID(ctx, "a1")
	is(t, err, torii.ErrNotFound)
}
