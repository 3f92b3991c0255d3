package oidcop_test

import (
	"context"
	"slices"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	zrp "github.com/zitadel/oidc/v3/pkg/client/rp"
	zoidc "github.com/zitadel/oidc/v3/pkg/oidc"
	"golang.org/x/oauth2"

	"github.com/toriihq/torii/service"
)

// Relying parties nobody here wrote, against a torii on loopback.

// go-oidc and golang.org/x/oauth2: discovery, the code flow with PKCE,
// the ID token verified with a RemoteKeySet on the advertised JWKS,
// userinfo, and a refresh through oauth2's TokenSource.
func TestRP_GoOIDCWithOAuth2(t *testing.T) {
	backends(t, func(t *testing.T, p *provider) {
		ctx := context.Background()
		c := p.client(t, service.ClientInput{Trusted: true})
		b, u := p.user(t, nextEmail(t))
		prov, err := gooidc.NewProvider(ctx, p.srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		var meta struct {
			JWKS string `json:"jwks_uri"`
		}
		if err := prov.Claims(&meta); err != nil {
			t.Fatal(err)
		}
		conf := oauth2.Config{ClientID: c.id, ClientSecret: c.secret, RedirectURL: redirectURI, Endpoint: prov.Endpoint(),
			Scopes: []string{gooidc.ScopeOpenID, "email", "profile", "groups", gooidc.ScopeOfflineAccess}}
		verifier := oauth2.GenerateVerifier()
		authURL := conf.AuthCodeURL("state-go", gooidc.Nonce("nonce-go"), oauth2.S256ChallengeOption(verifier))
		final, r := b.follow(authURL)
		if final == nil || final.Query().Get("state") != "state-go" {
			t.Fatalf("authorization: %v %d %.200s", final, r.status, r.body)
		}
		tok, err := conf.Exchange(ctx, final.Query().Get("code"), oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := tok.Extra("id_token").(string)
		keys := gooidc.NewRemoteKeySet(ctx, meta.JWKS)
		idt, err := gooidc.NewVerifier(p.srv.URL, keys, &gooidc.Config{ClientID: c.id}).Verify(ctx, raw)
		if err != nil {
			t.Fatalf("ID token: %v", err)
		}
		if idt.Nonce != "nonce-go" || idt.Subject != sub(u) {
			t.Errorf("nonce %q sub %q", idt.Nonce, idt.Subject)
		}
		info, err := prov.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil || info.Email != u.Email || info.Subject != sub(u) {
			t.Fatalf("userinfo: %+v %v", info, err)
		}
		// Refresh: an expired token makes the TokenSource use the refresh
		// token, which rotates.
		old := *tok
		old.Expiry = time.Now().Add(-time.Minute)
		next, err := conf.TokenSource(ctx, &old).Token()
		if err != nil || next.AccessToken == tok.AccessToken || next.RefreshToken == tok.RefreshToken {
			t.Fatalf("refresh: %v", err)
		}
	})
}

// zitadel/oidc's own relying party package: discovery, PKCE, the code
// exchange with its ID token verification (signature against the JWKS,
// issuer, audience), the userinfo call and a refresh.
func TestRP_ZitadelRelyingParty(t *testing.T) {
	backends(t, func(t *testing.T, p *provider) {
		ctx := context.Background()
		c := p.client(t, service.ClientInput{Trusted: true})
		b, u := p.user(t, nextEmail(t))
		party, err := zrp.NewRelyingPartyOIDC(ctx, p.srv.URL, c.id, c.secret, redirectURI,
			[]string{"openid", "email", "profile", "groups", "offline_access"})
		if err != nil {
			t.Fatal(err)
		}
		pk := newPKCE("zitadel")
		authURL := zrp.AuthURL("state-z", party, zrp.WithCodeChallenge(pk.challenge))
		final, r := b.follow(authURL)
		if final == nil || final.Query().Get("state") != "state-z" {
			t.Fatalf("authorization: %v %d %.200s", final, r.status, r.body)
		}
		tokens, err := zrp.CodeExchange[*zoidc.IDTokenClaims](ctx, final.Query().Get("code"), party, zrp.WithCodeVerifier(pk.verifier))
		if err != nil {
			t.Fatal(err)
		}
		if tokens.IDTokenClaims.Subject != sub(u) || tokens.IDTokenClaims.Email != u.Email || tokens.IDTokenClaims.AuthorizedParty != c.id {
			t.Errorf("claims: %+v", tokens.IDTokenClaims)
		}
		if _, ok := tokens.IDTokenClaims.Claims["groups"]; !ok {
			t.Errorf("no groups claim: %v", tokens.IDTokenClaims.Claims)
		}
		info, err := zrp.Userinfo[*zoidc.UserInfo](ctx, tokens.AccessToken, tokens.TokenType, sub(u), party)
		if err != nil || info.Email != u.Email {
			t.Fatalf("userinfo: %+v %v", info, err)
		}
		next, err := zrp.RefreshTokens[*zoidc.IDTokenClaims](ctx, party, tokens.RefreshToken, "", "")
		if err != nil || next.RefreshToken == tokens.RefreshToken || next.IDTokenClaims.Subject != sub(u) {
			t.Fatalf("refresh: %v", err)
		}
		if !slices.Contains(next.IDTokenClaims.Audience, c.id) {
			t.Errorf("refreshed ID token audience %v", next.IDTokenClaims.Audience)
		}
	})
}
