package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/toriihq/torii/testserver"
)

// acceptDialogs answers every JavaScript dialog of the tab with OK, as a
// person confirming would, and sends each dialog's message on the
// returned channel.
func acceptDialogs(t *testing.T, ctx context.Context) <-chan string {
	t.Helper()
	opened := make(chan string, 8)
	err := chromedp.Listen(ctx, func(ev any) {
		if d, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			// The listener must not run commands: accept from elsewhere.
			go func() {
				_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
				opened <- d.Message
			}()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return opened
}

func TestBrowser_AdminDeactivatesAUser(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{Env: map[string]string{"TORII_ADMIN_EMAILS": "boss@example.com"}})
	seedVerifiedUser(t, srv, "Boss", "boss@example.com", goodPassword)
	seedUser(t, srv, "Ann Example", "ann@example.com", goodPassword)
	// Ann is signed in elsewhere.
	ann := srv.Client(t)
	if r := ann.Do("POST", "/api/v1/auth/login", map[string]string{"email": "ann@example.com", "password": goodPassword}); r.Status != http.StatusOK {
		t.Fatalf("ann's sign-in: %d %s", r.Status, r.Body)
	}

	ctx := newBrowser(t)
	dialogs := acceptDialogs(t, ctx)
	signInInBrowser(t, ctx, srv, "boss@example.com", goodPassword)
	if status := clickAndLoad(t, ctx, chromedp.CSS(`a[href="/admin"]`)); status != http.StatusOK {
		t.Fatalf("admin page: %d", status)
	}
	wantPath(t, ctx, "/admin")
	fill(t, ctx, "q", "ann")
	clickAndLoad(t, ctx, chromedp.CSS(`#user-search button[type="submit"]`))
	wantPath(t, ctx, "/admin?q=ann&status=")
	if n := count(t, ctx, "#users tbody tr"); n != 1 {
		t.Fatalf("%d users listed for q=ann, want 1", n)
	}
	row := `#users tr[data-email="ann@example.com"]`
	wantText(t, ctx, row+" .badge", "active")
	screenshot(t, ctx, "before")

	if status := clickAndLoad(t, ctx, chromedp.CSS(row+` button[id^="deactivate-"]`)); status != http.StatusOK {
		t.Fatalf("after Deactivate: status %d", status)
	}
	select {
	case msg := <-dialogs:
		if !strings.Contains(msg, "Deactivate ann@example.com?") {
			t.Errorf("confirmation asked %q", msg)
		}
	case <-ctx.Done():
		t.Fatal("no confirmation was asked")
	}
	wantPath(t, ctx, "/admin?done=status&q=ann&status=")
	wantText(t, ctx, "#admin-notice", "The user's status is saved.")
	wantText(t, ctx, row+" .badge", "inactive")
	if n := count(t, ctx, row+` button[id^="activate-"]`); n != 1 {
		t.Errorf("no Activate button after deactivating")
	}
	screenshot(t, ctx, "after")

	// Ann's session ended at once.
	if r := ann.Do("GET", "/api/v1/me", nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("ann's session after deactivation: %d %s", r.Status, r.Body)
	}
	if r := srv.Client(t).Do("POST", "/api/v1/auth/login", map[string]string{"email": "ann@example.com", "password": goodPassword}); r.Status != http.StatusForbidden {
		t.Fatalf("ann's sign-in after deactivation: %d %s", r.Status, r.Body)
	}
}
