package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/toriihq/torii/testserver"
)

// Group consent (issue 12 item 6, security.md I.45): nobody joins a group
// without accepting or an admin's act, and nobody's name or address is
// shown to someone outside their groups.

// acceptAll accepts every pending group invitation of c's user.
func acceptAll(t *testing.T, c *testserver.Client) {
	t.Helper()
	for _, inv := range myInvitations(t, c) {
		r := c.Do("POST", fmt.Sprintf("/api/v1/me/group-invitations/%d/accept", invID(inv)), nil)
		wantStatus(t, "accept invitation", r, http.StatusCreated)
	}
}

func myInvitations(t *testing.T, c *testserver.Client) []map[string]any {
	t.Helper()
	r := c.Do("GET", "/api/v1/me/group-invitations", nil)
	wantStatus(t, "GET /api/v1/me/group-invitations", r, http.StatusOK)
	var out []map[string]any
	for _, x := range r.JSON()["invitations"].([]any) {
		out = append(out, x.(map[string]any))
	}
	return out
}

func invID(inv map[string]any) int64 { return int64(inv["id"].(float64)) }

// acme is a company founded by its owner, with the members URL.
type acme struct {
	owner   *testserver.Client
	id      int64
	members string
}

func foundAcme(t *testing.T, srv *testserver.Server) acme {
	t.Helper()
	owner := srv.Client(t)
	wantStatus(t, "register with company", registerCompany(owner, "ceo@acme.example", "Acme"), http.StatusCreated)
	id := groupIDByName(t, owner, "Acme")
	return acme{owner: owner, id: id, members: fmt.Sprintf("/api/v1/groups/%d/members", id)}
}

func (a acme) add(c *testserver.Client, user int64, role string) *testserver.Response {
	return c.Do("POST", a.members, map[string]any{"userId": user, "role": role})
}

// named registers a user with a name of their own.
func named(t *testing.T, srv *testserver.Server, email, name string) *testserver.Client {
	t.Helper()
	c := srv.Client(t)
	registerUser(t, c, email, name)
	return c
}

func memberIDs(t *testing.T, c *testserver.Client, url string) []int64 {
	t.Helper()
	r := c.Do("GET", url, nil)
	wantStatus(t, "GET "+url, r, http.StatusOK)
	var ids []int64
	for _, m := range r.JSON()["members"].([]any) {
		ids = append(ids, int64(m.(map[string]any)["userId"].(float64)))
	}
	return ids
}

func TestGroups_OwnerCannotAddWithoutConsent(t *testing.T) {
	srv := start(t, nil)
	a := foundAcme(t, srv)
	bob := named(t, srv, "bob@example.com", "Bob Secret")
	bobID := userID(t, bob)

	r := a.add(a.owner, bobID, "member")
	wantStatus(t, "owner adds bob", r, http.StatusAccepted)
	inv, ok := r.JSON()["invitation"].(map[string]any)
	if !ok || inv["userId"].(float64) != float64(bobID) || inv["role"] != "member" {
		t.Fatalf("answer = %s, want an invitation of bob", r.Body)
	}
	// Bob is in no way a member until he says so.
	if _, in := myGroups(t, bob)["Acme"]; in {
		t.Fatal("bob was made a member of Acme without his consent")
	}
	if ids := memberIDs(t, a.owner, a.members); slices.Contains(ids, bobID) {
		t.Fatalf("Acme's members = %v: bob listed without consent", ids)
	}
	if body := string(a.owner.Do("GET", a.members, nil).Body); strings.Contains(body, "Bob Secret") || strings.Contains(body, "bob@example.com") {
		t.Fatalf("bob's name or email shown to the owner: %s", body)
	}
	// The owner sees the pending invitation, by id only.
	r = a.owner.Do("GET", fmt.Sprintf("/api/v1/groups/%d/invitations", a.id), nil)
	wantStatus(t, "list invitations", r, http.StatusOK)
	if list := r.JSON()["invitations"].([]any); len(list) != 1 || strings.Contains(string(r.Body), "bob@") {
		t.Fatalf("group's invitations = %s", r.Body)
	}
	// The invitation is audited.
	if events := auditEvents(t, srv, "group.invite"); len(events) != 1 {
		t.Fatalf("group.invite events = %v", events)
	}
}

func TestGroups_InviteeAcceptsAndBecomesMember(t *testing.T) {
	srv := start(t, nil)
	a := foundAcme(t, srv)
	bob := named(t, srv, "bob@example.com", "Bob")
	bobID := userID(t, bob)
	wantStatus(t, "invite as admin", a.add(a.owner, bobID, "admin"), http.StatusAccepted)

	list := myInvitations(t, bob)
	if len(list) != 1 {
		t.Fatalf("bob's invitations = %v", list)
	}
	inv := list[0]
	if g := inv["group"].(map[string]any); g["name"] != "Acme" || inv["role"] != "admin" || inv["inviterName"] != "N" {
		t.Fatalf("bob sees %v, want Acme as admin invited by N", inv)
	}
	// Someone else cannot accept it.
	eve := named(t, srv, "eve@example.com", "Eve")
	r := eve.Do("POST", fmt.Sprintf("/api/v1/me/group-invitations/%d/accept", invID(inv)), nil)
	wantError(t, r, http.StatusNotFound, "NOT_FOUND")

	r = bob.Do("POST", fmt.Sprintf("/api/v1/me/group-invitations/%d/accept", invID(inv)), nil)
	wantStatus(t, "accept", r, http.StatusCreated)
	if g := r.JSON()["group"].(map[string]any); g["name"] != "Acme" || g["role"] != "admin" {
		t.Fatalf("accept answered %s", r.Body)
	}
	if got := myGroups(t, bob)["Acme"]; got != "admin" {
		t.Fatalf("bob's role in Acme = %q, want admin", got)
	}
	if ids := memberIDs(t, a.owner, a.members); !slices.Contains(ids, bobID) {
		t.Fatalf("members = %v, want bob", ids)
	}
	if left := myInvitations(t, bob); len(left) != 0 {
		t.Fatalf("invitations after accepting = %v", left)
	}
	// Spent: a second accept finds nothing.
	r = bob.Do("POST", fmt.Sprintf("/api/v1/me/group-invitations/%d/accept", invID(inv)), nil)
	wantError(t, r, http.StatusNotFound, "NOT_FOUND")
	if events := auditEvents(t, srv, "group.invite.accept"); len(events) != 1 {
		t.Fatalf("group.invite.accept events = %v", events)
	}
}

func TestGroups_InviteeDeclinesAndNothingChanges(t *testing.T) {
	srv := start(t, nil)
	a := foundAcme(t, srv)
	bob, carol := named(t, srv, "bob@example.com", "Bob"), named(t, srv, "carol@example.com", "Carol")
	wantStatus(t, "invite bob", a.add(a.owner, userID(t, bob), ""), http.StatusAccepted)
	wantStatus(t, "invite carol", a.add(a.owner, userID(t, carol), ""), http.StatusAccepted)
	r := bob.Do("DELETE", fmt.Sprintf("/api/v1/me/group-invitations/%d", invID(myInvitations(t, bob)[0])), nil)
	wantStatus(t, "decline by DELETE", r, http.StatusNoContent)
	r = carol.Do("POST", fmt.Sprintf("/api/v1/me/group-invitations/%d/decline", invID(myInvitations(t, carol)[0])), nil)
	wantStatus(t, "decline by POST", r, http.StatusNoContent)
	for _, c := range []*testserver.Client{bob, carol} {
		if _, in := myGroups(t, c)["Acme"]; in || len(myInvitations(t, c)) != 0 {
			t.Fatal("a declined invitation left a membership or itself")
		}
	}
	if events := auditEvents(t, srv, "group.invite.decline"); len(events) != 2 {
		t.Fatalf("group.invite.decline events = %v", events)
	}
}

func TestGroups_InvitingUnknownIDLooksLikeInvitingAKnownOne(t *testing.T) {
	srv := start(t, adminEnv)
	a := foundAcme(t, srv)
	bob := named(t, srv, "bob@example.com", "Bob Secret")
	bobID := userID(t, bob)
	// An inactive account is one the owner may not see either.
	gone := named(t, srv, "gone@example.com", "Gone Secret")
	goneID := userID(t, gone)
	boss := adminClient(t, srv)
	wantStatus(t, "deactivate", patchUser(boss, goneID, map[string]any{"status": "inactive"}), http.StatusOK)

	shape := func(r *testserver.Response) (int, []string, map[string]any) {
		inv, _ := r.JSON()["invitation"].(map[string]any)
		var keys []string
		for k := range inv {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		return r.Status, keys, inv
	}
	knownStatus, knownKeys, known := shape(a.add(a.owner, bobID, "member"))
	for _, id := range []int64{bobID + 1000, 1 << 40, goneID} {
		r := a.add(a.owner, id, "member")
		status, keys, inv := shape(r)
		if status != knownStatus || !reflect.DeepEqual(keys, knownKeys) {
			t.Fatalf("inviting id %d: %d %v, inviting a user: %d %v", id, status, keys, knownStatus, knownKeys)
		}
		if inv["userId"].(float64) != float64(id) || inv["role"] != known["role"] || inv["invitedBy"] != known["invitedBy"] {
			t.Fatalf("inviting id %d answered %s", id, r.Body)
		}
	}
	if knownStatus != http.StatusAccepted {
		t.Fatalf("inviting a user: %d, want 202", knownStatus)
	}
	// Nothing in any answer the owner gets names anyone.
	for _, path := range []string{a.members, fmt.Sprintf("/api/v1/groups/%d/invitations", a.id)} {
		body := string(a.owner.Do("GET", path, nil).Body)
		if strings.Contains(body, "Secret") || strings.Contains(body, "@example.com") {
			t.Fatalf("%s leaks a name or email: %s", path, body)
		}
	}
	// Invitations to an id nobody held do not reach whoever registers it
	// later.
	next := userID(t, boss) + 1
	wantStatus(t, "inviting the next id", a.add(a.owner, next, "member"), http.StatusAccepted)
	late := named(t, srv, "late@example.com", "Late")
	if userID(t, late) != next {
		t.Fatalf("late got id %d, not %d: the test's premise failed", userID(t, late), next)
	}
	if list := myInvitations(t, late); len(list) != 0 {
		t.Fatalf("an invitation sent before the account existed reached it: %v", list)
	}
}

func TestGroups_MemberListOnlyForMembers(t *testing.T) {
	srv := start(t, adminEnv)
	a := foundAcme(t, srv)
	bob := named(t, srv, "bob@example.com", "Bob")
	outsider := named(t, srv, "out@example.com", "Out")
	wantStatus(t, "invite bob", a.add(a.owner, userID(t, bob), ""), http.StatusAccepted)
	// Invited is not a member: no list for bob yet, nor for outsiders,
	// nor a group that does not exist (same 404).
	for _, c := range []*testserver.Client{bob, outsider} {
		wantError(t, c.Do("GET", a.members, nil), http.StatusNotFound, "NOT_FOUND")
		wantError(t, c.Do("GET", fmt.Sprintf("/api/v1/groups/%d/invitations", a.id), nil), http.StatusNotFound, "NOT_FOUND")
	}
	wantError(t, outsider.Do("GET", "/api/v1/groups/999999/members", nil), http.StatusNotFound, "NOT_FOUND")
	acceptAll(t, bob)
	if ids := memberIDs(t, bob, a.members); len(ids) != 2 {
		t.Fatalf("bob, a member now, sees %v", ids)
	}
	// A plain member sees the members but not the pending invitations.
	wantError(t, bob.Do("GET", fmt.Sprintf("/api/v1/groups/%d/invitations", a.id), nil), http.StatusForbidden, "FORBIDDEN")
	// A site admin sees every group's members.
	if ids := memberIDs(t, adminClient(t, srv), a.members); len(ids) != 2 {
		t.Fatalf("site admin sees %v", ids)
	}
}

func TestGroups_AdminAddsDirectly(t *testing.T) {
	srv := start(t, adminEnv)
	a := foundAcme(t, srv)
	bob := named(t, srv, "bob@example.com", "Bob")
	bobID := userID(t, bob)
	boss := adminClient(t, srv)
	// A pending invitation is superseded by the admin's act.
	wantStatus(t, "owner invites", a.add(a.owner, bobID, ""), http.StatusAccepted)
	r := a.add(boss, bobID, "member")
	wantStatus(t, "site admin adds bob", r, http.StatusCreated)
	if m := r.JSON()["member"].(map[string]any); m["userId"].(float64) != float64(bobID) {
		t.Fatalf("answer = %s", r.Body)
	}
	if got := myGroups(t, bob)["Acme"]; got != "member" {
		t.Fatalf("bob's role = %q, want member at once", got)
	}
	if list := myInvitations(t, bob); len(list) != 0 {
		t.Fatalf("invitation left pending after the admin's add: %v", list)
	}
	// Admins see all users anyway: an unknown id is a plain error for them.
	r = a.add(boss, 1<<40, "member")
	wantError(t, r, http.StatusUnprocessableEntity, "VALIDATION_ERROR")
	if f := r.JSON()["error"].(map[string]any)["fields"].(map[string]any); f["userId"] == nil {
		t.Fatalf("fields = %v", f)
	}
}

func TestGroups_InvitationExpiresAfterFourteenDays(t *testing.T) {
	// Sessions outlive the invitation here (their default idle limit is
	// 14 days too).
	srv, clock := startWithClock(t, map[string]string{"TORII_SESSION_IDLE": "720h"})
	a := foundAcme(t, srv)
	bob, carol := named(t, srv, "bob@example.com", "Bob"), named(t, srv, "carol@example.com", "Carol")
	wantStatus(t, "invite bob", a.add(a.owner, userID(t, bob), ""), http.StatusAccepted)
	r := a.add(a.owner, userID(t, carol), "")
	if exp, _ := time.Parse(time.RFC3339, r.JSON()["invitation"].(map[string]any)["expiresAt"].(string)); !exp.Equal(clock.Now().Add(14 * 24 * time.Hour)) {
		t.Fatalf("expiresAt = %v, want now + 14 days", exp)
	}
	bobInv, carolInv := myInvitations(t, bob)[0], myInvitations(t, carol)[0]

	clock.Advance(14*24*time.Hour - time.Second)
	wantStatus(t, "carol accepts in time", carol.Do("POST", fmt.Sprintf("/api/v1/me/group-invitations/%d/accept", invID(carolInv)), nil), http.StatusCreated)
	clock.Advance(time.Second)
	r = bob.Do("POST", fmt.Sprintf("/api/v1/me/group-invitations/%d/accept", invID(bobInv)), nil)
	wantError(t, r, http.StatusNotFound, "NOT_FOUND")
	if msg := r.JSON()["error"].(map[string]any)["message"].(string); !strings.Contains(msg, "expired") {
		t.Fatalf("message = %q, want it to say the invitation expired", msg)
	}
	if _, in := myGroups(t, bob)["Acme"]; in || len(myInvitations(t, bob)) != 0 {
		t.Fatal("an expired invitation made bob a member or is still listed")
	}
	if list := a.owner.Do("GET", fmt.Sprintf("/api/v1/groups/%d/invitations", a.id), nil).JSON()["invitations"].([]any); len(list) != 0 {
		t.Fatalf("expired invitation still pending: %v", list)
	}
}

func TestGroups_InviterListsAndCancelsPendingInvitations(t *testing.T) {
	srv := start(t, nil)
	a := foundAcme(t, srv)
	bob, carol := named(t, srv, "bob@example.com", "Bob"), named(t, srv, "carol@example.com", "Carol")
	invitations := fmt.Sprintf("/api/v1/groups/%d/invitations", a.id)
	r := a.add(a.owner, userID(t, bob), "")
	id := int64(r.JSON()["invitation"].(map[string]any)["id"].(float64))
	// Inviting twice renews the one invitation.
	again := a.add(a.owner, userID(t, bob), "admin")
	if int64(again.JSON()["invitation"].(map[string]any)["id"].(float64)) != id {
		t.Fatalf("second invitation of bob: %s, want the same id %d", again.Body, id)
	}
	if list := a.owner.Do("GET", invitations, nil).JSON()["invitations"].([]any); len(list) != 1 {
		t.Fatalf("invitations = %v, want one", list)
	}
	// Only the group's owners and admins cancel; others get 404 (outside)
	// or 403 (members).
	wantError(t, carol.Do("DELETE", fmt.Sprintf("%s/%d", invitations, id), nil), http.StatusNotFound, "NOT_FOUND")
	wantStatus(t, "cancel", a.owner.Do("DELETE", fmt.Sprintf("%s/%d", invitations, id), nil), http.StatusNoContent)
	if len(myInvitations(t, bob)) != 0 {
		t.Fatal("a cancelled invitation is still offered to bob")
	}
	wantError(t, a.owner.Do("DELETE", fmt.Sprintf("%s/%d", invitations, id), nil), http.StatusNotFound, "NOT_FOUND")
	if events := auditEvents(t, srv, "group.invite.cancel"); len(events) != 1 {
		t.Fatalf("group.invite.cancel events = %v", events)
	}
}

func TestGroups_PendingInvitationsAreBoundedPerGroup(t *testing.T) {
	srv := start(t, nil)
	a := foundAcme(t, srv)
	for i := range 100 {
		wantStatus(t, "invite", a.add(a.owner, int64(1000+i), ""), http.StatusAccepted)
	}
	r := a.add(a.owner, 5000, "")
	wantError(t, r, http.StatusUnprocessableEntity, "VALIDATION_ERROR")
	if f := r.JSON()["error"].(map[string]any)["fields"].(map[string]any); !strings.Contains(fmt.Sprint(f["userId"]), "pending invitations") {
		t.Fatalf("fields = %v, want the reason on userId", f)
	}
}

func TestGroups_AccountPageAcceptsAndDeclinesInvitations(t *testing.T) {
	srv := start(t, nil)
	a := foundAcme(t, srv)
	beta := srv.Client(t)
	wantStatus(t, "found Beta", registerCompany(beta, "ceo@beta.example", "Beta"), http.StatusCreated)
	bob := named(t, srv, "bob@example.com", "Bob")
	bobID := userID(t, bob)
	wantStatus(t, "Acme invites", a.add(a.owner, bobID, ""), http.StatusAccepted)
	wantStatus(t, "Beta invites", beta.Do("POST", fmt.Sprintf("/api/v1/groups/%d/members", groupIDByName(t, beta, "Beta")), map[string]any{"userId": bobID}), http.StatusAccepted)

	page := string(bob.Do("GET", "/account", nil).Body)
	if !strings.Contains(page, "Group invitations") || !strings.Contains(page, "Acme") || !strings.Contains(page, "Beta") {
		t.Fatalf("account page lacks the invitations:\n%s", page)
	}
	var acmeInv, betaInv int64
	for _, inv := range myInvitations(t, bob) {
		if inv["group"].(map[string]any)["name"] == "Acme" {
			acmeInv = invID(inv)
		} else {
			betaInv = invID(inv)
		}
	}
	r := postForm(bob, "/account/group-invitations/accept", url.Values{"id": {fmt.Sprint(acmeInv)}})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/account?joined=1" {
		t.Fatalf("accept form: %d %s", r.Status, r.Body)
	}
	r = postForm(bob, "/account/group-invitations/decline", url.Values{"id": {fmt.Sprint(betaInv)}})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/account?declined=1" {
		t.Fatalf("decline form: %d %s", r.Status, r.Body)
	}
	groups := myGroups(t, bob)
	if groups["Acme"] != "member" || groups["Beta"] != "" {
		t.Fatalf("groups = %v, want Acme only", groups)
	}
	// A spent invitation is a clear error on the page, not a crash.
	r = postForm(bob, "/account/group-invitations/accept", url.Values{"id": {fmt.Sprint(betaInv)}})
	if r.Status != http.StatusNotFound || !strings.Contains(string(r.Body), "does not exist or has expired") {
		t.Fatalf("spent invitation: %d %s", r.Status, r.Body)
	}
}
