package cli_test

import (
	"bytes"
	"context"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/toriihq/torii/app"
	"github.com/toriihq/torii/cli"
	"github.com/toriihq/torii/testserver"
)

// run executes a command with the given environment and stdin.
func run(t *testing.T, env map[string]string, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := cli.Run(context.Background(), args, cli.Env{
		Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errOut,
		Getenv:     func(k string) string { return env[k] },
		AppOptions: app.Options{Hasher: testserver.FastHasher()},
	})
	return out.String(), errOut.String(), code
}

func dbEnv(t *testing.T) map[string]string {
	return map[string]string{"TORII_DATABASE": filepath.Join(t.TempDir(), "cli.db")}
}

func TestUserCommands_CreateListSetStatusGrant(t *testing.T) {
	env := dbEnv(t)
	if out, errOut, code := run(t, env, "", "migrate"); code != 0 || !strings.Contains(out, "up to date") {
		t.Fatalf("migrate: %d %s %s", code, out, errOut)
	}
	out, errOut, code := run(t, env, "a long enough password\n", "user", "create", "--email", "Ann@Example.com", "--name", "Ann", "--password-stdin")
	if code != 0 || !strings.Contains(out, "<ann@example.com>") {
		t.Fatalf("create: %d %s %s", code, out, errOut)
	}
	if _, errOut, code := run(t, env, "", "user", "create", "--email", "ann@example.com", "--name", "Dup"); code != 1 || !strings.Contains(errOut, "already exists") {
		t.Fatalf("duplicate create: %d %s", code, errOut)
	}
	if _, errOut, code := run(t, env, "", "user", "create", "--email", "bad", "--name", ""); code != 1 || !strings.Contains(errOut, "email is not a valid email address") || !strings.Contains(errOut, "name is required") {
		t.Fatalf("invalid create: %d %s", code, errOut)
	}
	run(t, env, "", "user", "create", "--email", "boss@example.com", "--name", "Boss", "--admin")
	if out, _, code := run(t, env, "", "user", "set-status", "ann@example.com", "inactive"); code != 0 || !strings.Contains(out, "inactive") {
		t.Fatalf("set-status: %d %s", code, out)
	}
	if out, _, code := run(t, env, "", "user", "grant", "ann@example.com", "admin"); code != 0 || !strings.Contains(out, "admin role") {
		t.Fatalf("grant: %d %s", code, out)
	}
	out, _, code = run(t, env, "", "user", "list")
	if code != 0 {
		t.Fatalf("list: %d", code)
	}
	if !regexp.MustCompile(`ann@example.com\s+Ann\s+inactive\s+admin`).MatchString(out) || !regexp.MustCompile(`boss@example.com\s+Boss\s+active\s+admin`).MatchString(out) {
		t.Fatalf("list output:\n%s", out)
	}
	if out, _, _ := run(t, env, "", "user", "list", "--status", "active"); strings.Contains(out, "ann@example.com") {
		t.Fatalf("status filter ignored:\n%s", out)
	}
	if _, errOut, code := run(t, env, "", "user", "set-status", "nobody@example.com", "inactive"); code != 1 || !strings.Contains(errOut, "no user with email") {
		t.Fatalf("unknown user: %d %s", code, errOut)
	}
	if _, errOut, code := run(t, env, "", "user", "grant", "ann@example.com", "emperor"); code != 1 || errOut == "" {
		t.Fatalf("unknown role: %d %s", code, errOut)
	}
}

func TestCreatedUserSignsInWithThePasswordFromStdin(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	if out, code := srv.CLI(t, "stdin password 123\n", "user", "create", "--email", "ops@example.com", "--name", "Ops", "--password-stdin"); code != 0 {
		t.Fatalf("create: %d %s", code, out)
	}
	r := srv.Client(t).Do("POST", "/api/v1/auth/login", map[string]string{"email": "ops@example.com", "password": "stdin password 123"})
	if r.Status != http.StatusOK {
		t.Fatalf("login: %d %s", r.Status, r.Body)
	}
}

func TestBadConfigurationStopsWithOneClearLine(t *testing.T) {
	cases := map[string]string{
		"TORII_SESSION_IDLE": "soon",
		"TORII_SIGNUP":       "sometimes",
		"TORII_BASE_URL":     "localhost:8080",
	}
	for name, value := range cases {
		t.Run(name, func(t *testing.T) {
			env := dbEnv(t)
			env[name] = value
			_, errOut, code := run(t, env, "", "serve")
			if code != 1 || strings.Count(strings.TrimSpace(errOut), "\n") != 0 || !strings.Contains(errOut, name) {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
		})
	}
}

func TestSecretFilesAreRead(t *testing.T) {
	env := dbEnv(t)
	env["TORII_GOOGLE_CLIENT_SECRET_FILE"] = "/nonexistent/secret"
	_, errOut, code := run(t, env, "", "serve")
	if code != 1 || !strings.Contains(errOut, "TORII_GOOGLE_CLIENT_SECRET_FILE") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

func TestGenSecretPrints32RandomBytes(t *testing.T) {
	a, _, code := run(t, nil, "", "gen-secret")
	b, _, _ := run(t, nil, "", "gen-secret")
	if code != 0 || !regexp.MustCompile(`^[0-9a-f]{64}\n$`).MatchString(a) || a == b {
		t.Fatalf("gen-secret: %d %q %q", code, a, b)
	}
}

func TestVersionAndUsage(t *testing.T) {
	if out, _, code := run(t, nil, "", "version"); code != 0 || !strings.HasPrefix(out, "torii ") {
		t.Fatalf("version: %d %q", code, out)
	}
	if _, errOut, code := run(t, nil, "", "frobnicate"); code != 2 || !strings.Contains(errOut, "Usage:") {
		t.Fatalf("unknown command: %d %q", code, errOut)
	}
	if out, _, code := run(t, nil, "", "serve", "--help"); code != 0 || !strings.Contains(out, "TORII_BASE_URL") {
		t.Fatalf("serve --help: %d %q", code, out)
	}
}
