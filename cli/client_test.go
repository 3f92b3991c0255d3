package cli_test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

// TestClientCommands_AddJSONListRotateRemove: `torii client add --json`
// prints {"clientId", "clientSecret"} once (null secret for --public),
// `list` shows the apps without secrets, `rotate-secret` prints a new one,
// `rm` removes; bad input exits 1 naming the field.
func TestClientCommands_AddJSONListRotateRemove(t *testing.T) {
	t.Parallel()
	env := dbEnv(t)
	if _, errOut, code := run(t, env, "", "migrate"); code != 0 {
		t.Fatalf("migrate: %s", errOut)
	}
	out, errOut, code := run(t, env, "", "client", "add", "--name", "Grafana", "--redirect-uri", "https://grafana.example/login/generic_oauth",
		"--redirect-uri", "http://localhost:3000/login/generic_oauth", "--post-logout-uri", "https://grafana.example/", "--trusted", "--json")
	if code != 0 {
		t.Fatalf("client add: %d %s %s", code, out, errOut)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil || len(got) != 2 {
		t.Fatalf("client add --json printed %q: %v", out, err)
	}
	id, _ := got["clientId"].(string)
	secret, _ := got["clientSecret"].(string)
	if id == "" || len(secret) < 40 {
		t.Fatalf("client add --json: %v", got)
	}

	out, _, code = run(t, env, "", "client", "add", "--name", "Notebook", "--redirect-uri", "http://127.0.0.1:8501/oauth2callback", "--public", "--json")
	if code != 0 || !strings.Contains(out, `"clientSecret":null`) {
		t.Fatalf("public client add: %d %s", code, out)
	}
	var pub struct{ ClientID string }
	_ = json.Unmarshal([]byte(out), &pub)

	out, _, code = run(t, env, "", "client", "list")
	if code != 0 || strings.Contains(out, secret) ||
		!regexp.MustCompile(id+`\s+Grafana\s+confidential,trusted\s+-\s+https://grafana.example/login/generic_oauth http://localhost:3000/login/generic_oauth`).MatchString(out) ||
		!regexp.MustCompile(pub.ClientID+`\s+Notebook\s+public\s`).MatchString(out) {
		t.Fatalf("client list: %d\n%s", code, out)
	}

	// Flags after the id too.
	out, _, code = run(t, env, "", "client", "rotate-secret", id, "--json")
	var rotated map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &rotated) != nil || rotated["clientId"] != id || rotated["clientSecret"] == secret || rotated["clientSecret"] == nil {
		t.Fatalf("rotate-secret --json: %d %s", code, out)
	}
	out, errOut, code = run(t, env, "", "client", "rotate-secret", id)
	if code != 0 || !regexp.MustCompile(`client_id:\s+`+id+`\nclient_secret:\s+\S{40,}\n`).MatchString(out) || !strings.Contains(errOut, "only this once") {
		t.Fatalf("rotate-secret: %d %q %q", code, out, errOut)
	}
	if _, errOut, code := run(t, env, "", "client", "rotate-secret", pub.ClientID); code != 1 || !strings.Contains(errOut, "public") {
		t.Fatalf("rotate-secret of a public client: %d %s", code, errOut)
	}

	if _, errOut, code := run(t, env, "", "client", "add", "--name", "Bad", "--redirect-uri", "http://app.example/cb"); code != 1 || !strings.Contains(errOut, "redirectUris") || !strings.Contains(errOut, "loopback") {
		t.Fatalf("http redirect URI on a public host: %d %s", code, errOut)
	}
	if _, errOut, code := run(t, env, "", "client", "add", "--name", "Bad", "--redirect-uri", "https://app.example/cb", "--group", "nobody"); code != 1 || !strings.Contains(errOut, "groups") {
		t.Fatalf("unknown group: %d %s", code, errOut)
	}
	if _, _, code := run(t, env, "", "client", "rm"); code != 2 {
		t.Fatalf("rm without an id: exit %d, want 2", code)
	}

	if out, _, code := run(t, env, "", "client", "rm", id); code != 0 || !strings.Contains(out, "removed client "+id) {
		t.Fatalf("rm: %d %s", code, out)
	}
	if _, errOut, code := run(t, env, "", "client", "rm", id); code != 1 || errOut == "" {
		t.Fatalf("rm again: %d %s", code, errOut)
	}
	if out, _, _ := run(t, env, "", "client", "list"); strings.Contains(out, "Grafana") {
		t.Fatalf("list after rm:\n%s", out)
	}
}
