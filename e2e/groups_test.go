package e2e

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/toriihq/torii/testserver"
)

// TestBrowser_InviteeAcceptsGroupInvitationOnAccount: a group owner's add
// is only an invitation, which the invitee accepts from /account
// (security.md I.45).
func TestBrowser_InviteeAcceptsGroupInvitationOnAccount(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	owner := srv.Client(t)
	if r := owner.Do("POST", "/api/v1/auth/register", map[string]string{"name": "Cy", "email": "cy@acme.example", "password": goodPassword, "companyName": "Acme"}); r.Status != http.StatusCreated {
		t.Fatalf("founding Acme: %d %s", r.Status, r.Body)
	}
	bob := srv.Client(t)
	r := bob.Do("POST", "/api/v1/auth/register", map[string]string{"name": "Bob", "email": "bob@example.com", "password": goodPassword})
	if r.Status != http.StatusCreated {
		t.Fatalf("register bob: %d %s", r.Status, r.Body)
	}
	bobID := int64(r.JSON()["user"].(map[string]any)["id"].(float64))
	var acme int64
	for _, g := range owner.Do("GET", "/api/v1/groups", nil).JSON()["groups"].([]any) {
		acme = int64(g.(map[string]any)["id"].(float64))
	}
	if r := owner.Do("POST", fmt.Sprintf("/api/v1/groups/%d/members", acme), map[string]any{"userId": bobID}); r.Status != http.StatusAccepted {
		t.Fatalf("inviting bob: %d %s", r.Status, r.Body)
	}

	ctx := newBrowser(t)
	signInInBrowser(t, ctx, srv, "bob@example.com", goodPassword)
	open(t, ctx, srv.URL, "/account")
	if n := count(t, ctx, "#group-invitations li"); n != 1 {
		t.Fatalf("%d invitations shown, want 1", n)
	}
	wantText(t, ctx, "#group-invitations strong", "Acme")
	screenshot(t, ctx, "invited")
	if status := clickAndLoad(t, ctx, chromedp.CSS(`#group-invitations button[id^="accept-invitation-"]`)); status != http.StatusOK {
		t.Fatalf("after Accept: status %d", status)
	}
	wantPath(t, ctx, "/account?joined=1")
	wantText(t, ctx, "#account-notice", "You joined the group.")
	if n := count(t, ctx, "#group-invitations"); n != 0 {
		t.Errorf("the invitations section is still shown after accepting")
	}
	groups := bob.Do("GET", "/api/v1/me", nil).JSON()["groups"].([]any)
	found := false
	for _, g := range groups {
		if m := g.(map[string]any); m["name"] == "Acme" && m["role"] == "member" {
			found = true
		}
	}
	if !found {
		t.Fatalf("bob's groups after accepting in the browser = %v", groups)
	}
}
