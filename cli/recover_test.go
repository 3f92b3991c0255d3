package cli_test

import (
	"strings"
	"testing"
)

// A new admin without a password gets a one-time set-password link, on
// stdout's last line, instead of an account nobody can sign in to; the
// reset-link and invite commands print exactly one URL on stdout.
func TestUserCommands_AdminBootstrapResetLinkAndInvitePrintOneURL(t *testing.T) {
	env := dbEnv(t)
	env["TORII_BASE_URL"] = "https://torii.example.com"
	if _, errOut, code := run(t, env, "", "migrate"); code != 0 {
		t.Fatalf("migrate: %s", errOut)
	}
	out, errOut, code := run(t, env, "", "user", "create", "--email", "root@example.com", "--name", "Root", "--admin")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 2 || !strings.HasPrefix(lines[1], "https://torii.example.com/reset-password?token=") {
		t.Fatalf("create --admin: %d %q %q", code, out, errOut)
	}
	if !strings.Contains(errOut, "set the password") {
		t.Errorf("stderr does not say what the link is for: %q", errOut)
	}
	// With a password there is nothing to set.
	out, _, _ = run(t, env, "a long enough password\n", "user", "create", "--email", "two@example.com", "--name", "Two", "--admin", "--password-stdin")
	if strings.Contains(out, "reset-password") {
		t.Errorf("create --admin --password-stdin printed a link: %q", out)
	}
	for _, args := range [][]string{
		{"user", "reset-link", "root@example.com"},
		{"user", "invite", "new@example.com", "--admin"},
		{"user", "invite", "--admin", "other@example.com"},
	} {
		out, errOut, code := run(t, env, "", args...)
		if code != 0 || strings.Count(out, "\n") != 1 || !strings.HasPrefix(out, "https://torii.example.com/") {
			t.Errorf("%v: %d %q %q", args, code, out, errOut)
		}
	}
	// email-link needs a change the user asked for: none waits here.
	if out, errOut, code := run(t, env, "", "user", "email-link", "root@example.com"); code != 1 || out != "" || !strings.Contains(errOut, "No change of address is waiting") {
		t.Errorf("email-link with nothing waiting: %d %q %q", code, out, errOut)
	}
	if _, errOut, code := run(t, env, "", "user", "email-link"); code != 2 || !strings.Contains(errOut, "usage") {
		t.Errorf("email-link without EMAIL: %d %q", code, errOut)
	}
	if _, errOut, code := run(t, env, "", "user", "invite"); code != 2 || !strings.Contains(errOut, "usage") {
		t.Errorf("invite without EMAIL: %d %q", code, errOut)
	}
	if _, errOut, code := run(t, env, "", "user", "invite", "x@example.com", "--group", "Nope"); code != 1 || !strings.Contains(errOut, "unknown group") {
		t.Errorf("invite into an unknown group: %d %q", code, errOut)
	}
}
