package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/toriihq/torii/testserver"
)

func TestCommands_RefuseToCreateAMissingSQLiteDatabaseAndNameThePath(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	want := filepath.Join(dir, "torii.db")
	for _, args := range [][]string{
		{"user", "grant", "ann@example.com", "admin"},
		{"user", "list"},
		{"user", "create", "--email", "ann@example.com", "--name", "Ann"},
		{"allow", "list"},
		{"allow", "add", "@example.com"},
	} {
		// No TORII_DATABASE: the default torii.db, relative to here.
		_, errOut, code := run(t, map[string]string{}, "", args...)
		if code != 1 || !strings.Contains(errOut, "no torii database at "+want) || !strings.Contains(errOut, "TORII_DATABASE") {
			t.Fatalf("%v: exit %d, stderr %q; want a refusal naming %s", args, code, errOut, want)
		}
		if _, err := os.Stat(want); !os.IsNotExist(err) {
			t.Fatalf("%v created %s (stat: %v)", args, want, err)
		}
	}
	// migrate creates it; then the commands work.
	if out, errOut, code := run(t, map[string]string{}, "", "migrate"); code != 0 {
		t.Fatalf("migrate: %d %s %s", code, out, errOut)
	}
	if _, errOut, code := run(t, map[string]string{}, "", "user", "list"); code != 0 {
		t.Fatalf("user list after migrate: %d %s", code, errOut)
	}
}

func TestCommands_RefuseASQLiteFileWithoutToriiTables(t *testing.T) {
	path := filepath.Join(t.TempDir(), "empty.db")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := run(t, map[string]string{"TORII_DATABASE": path}, "", "user", "list")
	if code != 1 || !strings.Contains(errOut, path) || !strings.Contains(errOut, "holds no torii tables") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

func TestCommands_RefuseAPostgreSQLDatabaseWithoutToriiTables(t *testing.T) {
	db := testserver.PostgresDatabase(t)
	_, errOut, code := run(t, map[string]string{"TORII_DATABASE": db}, "", "user", "grant", "ann@example.com", "admin")
	if code != 1 || !strings.Contains(errOut, "holds no torii tables") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if _, errOut, code := run(t, map[string]string{"TORII_DATABASE": db}, "", "migrate"); code != 0 {
		t.Fatalf("migrate: %d %s", code, errOut)
	}
	if _, errOut, code := run(t, map[string]string{"TORII_DATABASE": db}, "", "user", "list"); code != 0 {
		t.Fatalf("user list after migrate: %d %s", code, errOut)
	}
}
