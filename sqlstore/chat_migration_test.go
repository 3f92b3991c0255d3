package sqlstore

import (
	"io/fs"
	"path/filepath"
	"testing"

	"github.com/pressly/goose/v3"
)

// TestMigration11_ExistingRoomsGetOwnersMembersAndUniqueNames: on a
// database with rooms from before issue 17, the migration makes each
// creator the owner and a member (a private room stays its creator's),
// and renames duplicate public names so that the unique index can exist.
func TestMigration11_ExistingRoomsGetOwnersMembersAndUniqueNames(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "torii.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fsys, _ := fs.Sub(migrations, "migrations/sqlite")
	p, err := goose.NewProvider(goose.DialectSQLite3, s.write, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 8); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO users (email, name, status, created_at, updated_at) VALUES ('ann@example.com', 'Ann', 'active', 0, 0)`,
		`INSERT INTO rooms (name, visibility, created_by, created_at) VALUES ('General', 'public', 1, 0)`,
		`INSERT INTO rooms (name, visibility, created_by, created_at) VALUES ('notes', 'private', 1, 0)`,
	} {
		if _, err := s.write.ExecContext(ctx, q); err != nil {
			t.Fatal(q, err)
		}
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	rooms, err := s.RoomsVisibleTo(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range rooms {
		names = append(names, r.Name)
		if r.CreatedBy != nil && (r.OwnerID == nil || *r.OwnerID != *r.CreatedBy) {
			t.Errorf("room %q: owner %v, creator %v", r.Name, r.OwnerID, *r.CreatedBy)
		}
	}
	if len(names) != 3 || names[0] != "general" || names[1] != "General (2)" || names[2] != "notes" {
		t.Fatalf("rooms after the migration: %q", names)
	}
	if ok, err := s.IsRoomMember(ctx, 3, 1); err != nil || !ok {
		t.Fatalf("the private room's creator is not a member: %v %v", ok, err)
	}
}
