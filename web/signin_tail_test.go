package web_test

import (
	"testing"

	"github.com/toriihq/torii"
)

// TestSignIn_EveryWayInAuditsSignInSuccess: registering with a password
// is a sign-in like any other (it starts a session), so it writes
// signin.success with its method, as password sign-in does; the service
// ends both through one tail (issue 14: password registration wrote
// none).
func TestSignIn_EveryWayInAuditsSignInSuccess(t *testing.T) {
	srv := start(t, nil)
	registerUser(t, srv.Client(t), "ann@example.com", "Ann")
	r := srv.Client(t).Do("POST", "/api/v1/auth/login", map[string]string{"email": "ann@example.com", "password": goodPassword})
	wantStatus(t, "login", r, 200)
	var methods []string
	for _, e := range auditEvents(t, srv, torii.AuditSignInSuccess) {
		if e.UserID == nil || e.Email != "ann@example.com" {
			t.Fatalf("signin.success without the user: %+v", e)
		}
		methods = append(methods, e.Detail["method"].(string))
	}
	if len(methods) != 2 || methods[0] != "password" || methods[1] != "password" {
		t.Fatalf("signin.success methods = %v, want one for the registration and one for the sign-in", methods)
	}
}
