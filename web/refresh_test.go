package web_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/toriihq/torii/testserver"
)

// refreshed exchanges a refresh token and expects a new pair.
func refreshed(t *testing.T, srv *testserver.Server, token string) tokenPair {
	t.Helper()
	r := refresh(srv, t, token)
	wantStatus(t, "refresh", r, http.StatusOK)
	var p tokenPair
	r.Decode(t, &p)
	return p
}

func TestRefresh_RotatesWithoutCookie(t *testing.T) {
	srv, clock := startWithClock(t, nil)
	first := mint(t, signedIn(t, srv, "ann@example.com"), "")
	clock.Advance(10 * time.Minute)
	second := refreshed(t, srv, first.RefreshToken)
	if second.RefreshToken == first.RefreshToken || second.AccessToken == first.AccessToken {
		t.Fatal("refresh answered the same tokens")
	}
	if second.TokenType != "Bearer" || second.ExpiresIn != 900 {
		t.Fatalf("pair = %+v", second)
	}
	if _, c := claimsOf(t, second.AccessToken); c["iat"] != float64(t0Tokens.Add(10*time.Minute).Unix()) {
		t.Errorf("iat = %v, want the refresh time", c["iat"])
	}
	wantStatus(t, "new access token", bearer(srv, t, "GET", "/api/v1/me", second.AccessToken), http.StatusOK)
	third := refreshed(t, srv, second.RefreshToken)
	wantStatus(t, "third access token", bearer(srv, t, "GET", "/api/v1/me", third.AccessToken), http.StatusOK)
}

func TestRefresh_KeepsTheChainsAudience(t *testing.T) {
	srv, _ := startWithClock(t, map[string]string{"TORII_TOKEN_AUDIENCES": "https://dash.example.com"})
	first := mint(t, signedIn(t, srv, "ann@example.com"), "?audience=https://dash.example.com")
	next := refreshed(t, srv, first.RefreshToken)
	if _, c := claimsOf(t, next.AccessToken); c["aud"] != "https://dash.example.com" {
		t.Fatalf("refreshed aud = %v", c["aud"])
	}
}

// security.md G.37: a spent refresh token used again is a stolen copy (or
// a client bug): 401, the whole chain revoked, token.reuse audited.
func TestRefresh_ReuseRevokesChain(t *testing.T) {
	srv, _ := startWithClock(t, nil)
	c := signedIn(t, srv, "ann@example.com")
	first := mint(t, c, "")
	other := mint(t, c, "") // another chain of the same session
	second := refreshed(t, srv, first.RefreshToken)
	third := refreshed(t, srv, second.RefreshToken)

	wantError(t, refresh(srv, t, first.RefreshToken), http.StatusUnauthorized, "UNAUTHORIZED")
	wantError(t, refresh(srv, t, third.RefreshToken), http.StatusUnauthorized, "UNAUTHORIZED")
	events := auditEvents(t, srv, "token.reuse")
	if len(events) != 1 || events[0].Email != "ann@example.com" || events[0].UserID == nil {
		t.Fatalf("token.reuse events = %+v, want one for ann", events)
	}
	// Other chains and the session itself live on.
	refreshed(t, srv, other.RefreshToken)
	wantStatus(t, "the session", c.Do("GET", "/api/v1/me", nil), http.StatusOK)
}

func TestRefresh_RaceHasOneWinner(t *testing.T) {
	srv, _ := startWithClock(t, nil)
	first := mint(t, signedIn(t, srv, "ann@example.com"), "")
	const n = 6
	status := make(chan int, n)
	for range n {
		go func() { status <- refresh(srv, t, first.RefreshToken).Status }()
	}
	won := 0
	for range n {
		switch s := <-status; s {
		case http.StatusOK:
			won++
		case http.StatusUnauthorized:
		default:
			t.Errorf("status %d", s)
		}
	}
	if won != 1 {
		t.Fatalf("%d refreshes won, want exactly 1", won)
	}
}

func TestRefresh_LogoutRevokesRefreshTokens(t *testing.T) {
	srv, _ := startWithClock(t, nil)
	c := signedIn(t, srv, "ann@example.com")
	p := mint(t, c, "")
	wantStatus(t, "logout", c.Do("POST", "/api/v1/auth/logout", nil), http.StatusNoContent)
	wantError(t, refresh(srv, t, p.RefreshToken), http.StatusUnauthorized, "UNAUTHORIZED")
}

func TestRefresh_SessionRevokeRevokesItsRefreshTokens(t *testing.T) {
	srv, _ := startWithClock(t, nil)
	laptop := signedIn(t, srv, "ann@example.com")
	phone := srv.Client(t)
	wantStatus(t, "login", login(phone, "ann@example.com", goodPassword), http.StatusOK)
	fromLaptop, fromPhone := mint(t, laptop, ""), mint(t, phone, "")
	wantStatus(t, "sign out other devices", phone.Do("DELETE", "/api/v1/me/sessions", nil), http.StatusNoContent)
	wantError(t, refresh(srv, t, fromLaptop.RefreshToken), http.StatusUnauthorized, "UNAUTHORIZED")
	refreshed(t, srv, fromPhone.RefreshToken)
}

// security.md D.25, G.38: deactivation ends refresh at once; the chain
// stays revoked after reactivation.
func TestRefresh_InactiveUserIs403AndChainRevoked(t *testing.T) {
	srv, _ := startWithClock(t, nil)
	p := mint(t, signedIn(t, srv, "ann@example.com"), "")
	if out, code := srv.CLI(t, "", "user", "set-status", "ann@example.com", "inactive"); code != 0 {
		t.Fatalf("set-status: %d %s", code, out)
	}
	wantError(t, refresh(srv, t, p.RefreshToken), http.StatusForbidden, "USER_INACTIVE")
	if out, code := srv.CLI(t, "", "user", "set-status", "ann@example.com", "active"); code != 0 {
		t.Fatalf("set-status: %d %s", code, out)
	}
	wantError(t, refresh(srv, t, p.RefreshToken), http.StatusUnauthorized, "UNAUTHORIZED")
}

// A chain lives as long as its session: refreshing is activity of the
// session, and an idle or expired session ends the chain.
func TestRefresh_BoundToTheSessionsLifetime(t *testing.T) {
	srv, clock := startWithClock(t, map[string]string{"TORII_SESSION_IDLE": "1h", "TORII_SESSION_MAX": "3h"})
	p := mint(t, signedIn(t, srv, "ann@example.com"), "")
	for range 3 {
		clock.Advance(50 * time.Minute)
		p = refreshed(t, srv, p.RefreshToken) // 150 min in, never idle for 1 h
	}
	clock.Advance(31 * time.Minute) // past the 3 h absolute limit
	wantError(t, refresh(srv, t, p.RefreshToken), http.StatusUnauthorized, "UNAUTHORIZED")

	q := mint(t, signedIn(t, srv, "bob@example.com"), "")
	clock.Advance(61 * time.Minute) // idle
	wantError(t, refresh(srv, t, q.RefreshToken), http.StatusUnauthorized, "UNAUTHORIZED")
}

func TestRefresh_BadInput(t *testing.T) {
	srv, _ := startWithClock(t, nil)
	c := srv.Client(t)
	wantError(t, c.Do("POST", "/api/v1/auth/token/refresh", map[string]string{}), http.StatusUnprocessableEntity, "VALIDATION_ERROR")
	wantError(t, c.Do("POST", "/api/v1/auth/token/refresh", map[string]any{"refreshToken": 42}), http.StatusUnprocessableEntity, "VALIDATION_ERROR")
	wantError(t, c.Do("POST", "/api/v1/auth/token/refresh", "not json"), http.StatusBadRequest, "BAD_REQUEST")
	wantError(t, c.Do("POST", "/api/v1/auth/token/refresh", map[string]string{"refreshToken": "made-up"}), http.StatusUnauthorized, "UNAUTHORIZED")
}
