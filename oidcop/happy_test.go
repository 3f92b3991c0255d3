package oidcop_test

import (
	"context"
	"slices"
	"testing"

	"github.com/toriihq/torii/service"
)

// The happy path of the Basic OP plan: code flow with PKCE, state echoed,
// ID token signed with a key from the JWKS, nonce, azp, auth_time, amr,
// at_hash, and the user's claims.
func TestOP_CodeFlowHappyPath(t *testing.T) {
	backends(t, func(t *testing.T, p *provider) {
		c := p.client(t, service.ClientInput{Trusted: true})
		b, u := p.user(t, "ann@example.com")
		pk := newPKCE("a")
		code := p.codeFor(t, b, c, pk, nil)
		st, tok := p.token(t, c, codeGrant(code, pk))
		if st != 200 || tok.IDToken == "" || tok.AccessToken == "" {
			t.Fatalf("token: %d %+v", st, tok)
		}
		idt, err := p.verifier(t, c).Verify(context.Background(), tok.IDToken)
		if err != nil {
			t.Fatalf("ID token does not verify against the JWKS: %v", err)
		}
		var cl struct {
			Nonce         string   `json:"nonce"`
			Azp           string   `json:"azp"`
			AuthTime      int64    `json:"auth_time"`
			AMR           []string `json:"amr"`
			AtHash        string   `json:"at_hash"`
			Email         string   `json:"email"`
			EmailVerified *bool    `json:"email_verified"`
			Name          string   `json:"name"`
		}
		if err := idt.Claims(&cl); err != nil {
			t.Fatal(err)
		}
		if idt.Subject != sub(u) || cl.Nonce != "n-456" || cl.Azp != c.id || cl.AuthTime == 0 || !slices.Equal(cl.AMR, []string{"pwd"}) ||
			cl.Email != "ann@example.com" || cl.EmailVerified == nil || *cl.EmailVerified || cl.Name != "Ann Example" {
			t.Errorf("claims: sub %s %+v", idt.Subject, cl)
		}
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil || cl.AtHash == "" {
			t.Errorf("at_hash: %v", err)
		}
	})
}
