package web_test

// This file is the Go code of docs/integrate.md, compiled and run by
// TestIntegrate_GoApp*: a second app that verifies torii's tokens with
// nothing but the JWKS URL. TestDocs_GoExamplesAreTheTestedCode keeps the
// page and this file identical.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// toriiVerifier checks torii access tokens minted for audience, using only
// torii's JWKS URL. The key set is fetched on first use and again whenever a
// token names a key it has not seen (after torii rotates its keys).
func toriiVerifier(ctx context.Context, toriiURL, audience string) *oidc.IDTokenVerifier {
	keys := oidc.NewRemoteKeySet(ctx, toriiURL+"/.well-known/jwks.json")
	return oidc.NewVerifier(toriiURL, keys, &oidc.Config{
		ClientID:             audience, // the token's aud must contain it
		SupportedSigningAlgs: []string{oidc.RS256},
	})
}

// toriiUser is who a verified token names.
type toriiUser struct {
	ID    string `json:"sub"` // torii's user id, stable
	Email string `json:"email"`
	Name  string `json:"name"`
}

// userFromRequest verifies the request's `Authorization: Bearer` token.
func userFromRequest(v *oidc.IDTokenVerifier, r *http.Request) (toriiUser, error) {
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return toriiUser{}, errors.New("no bearer token")
	}
	tok, err := v.Verify(r.Context(), raw)
	if err != nil {
		return toriiUser{}, err
	}
	var u toriiUser
	err = tok.Claims(&u)
	return u, err
}

// requireTorii lets through only requests with a valid torii token.
func requireTorii(v *oidc.IDTokenVerifier, next func(http.ResponseWriter, *http.Request, toriiUser)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, err := userFromRequest(v, r)
		if err != nil {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		next(w, r, u)
	})
}

// verifyWithGoJose does the same with go-jose alone, for programs that
// fetch and cache the JWKS themselves (refetch it on an unknown kid).
func verifyWithGoJose(jwks jose.JSONWebKeySet, toriiURL, audience, raw string) (toriiUser, error) {
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256}) // pin the algorithm
	if err != nil {
		return toriiUser{}, err
	}
	keys := jwks.Key(tok.Headers[0].KeyID)
	if len(keys) == 0 {
		return toriiUser{}, fmt.Errorf("unknown key %q", tok.Headers[0].KeyID)
	}
	var std jwt.Claims
	var u toriiUser
	if err := tok.Claims(keys[0].Key, &std, &u); err != nil {
		return toriiUser{}, err
	}
	if std.Expiry == nil {
		return toriiUser{}, errors.New("no exp")
	}
	err = std.ValidateWithLeeway(jwt.Expected{Issuer: toriiURL, AnyAudience: jwt.Audience{audience}, Time: time.Now()}, 30*time.Second)
	return u, err
}

// fetchJWKS reads torii's key set.
func fetchJWKS(ctx context.Context, toriiURL string) (jose.JSONWebKeySet, error) {
	var set jose.JSONWebKeySet
	req, err := http.NewRequestWithContext(ctx, "GET", toriiURL+"/.well-known/jwks.json", nil)
	if err != nil {
		return set, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return set, err
	}
	defer resp.Body.Close()
	err = json.NewDecoder(resp.Body).Decode(&set)
	return set, err
}
