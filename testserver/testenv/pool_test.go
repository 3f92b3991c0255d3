package testenv

import (
	"context"
	"database/sql"
	"testing"
)

func TestMain(m *testing.M) { Main(m) }

// poolFixture is a schema with what a migration may leave: an identity
// column, seed rows (of several types), a foreign key (and one to the table itself), a
// generated column, a sequence that has been used.
const poolFixture = `
CREATE TABLE parents (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name TEXT NOT NULL,
	upper_name TEXT GENERATED ALWAYS AS (upper(name)) STORED, data BYTEA,
	at TIMESTAMPTZ DEFAULT '2026-01-02 03:04:05.123456+09', flag BOOLEAN DEFAULT true, doc JSONB DEFAULT '{"a": [1]}');
CREATE TABLE children (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	parent_id BIGINT NOT NULL REFERENCES parents (id), prev_id BIGINT REFERENCES children (id));
INSERT INTO parents (name, data) VALUES ('seed', '\x00ff');
INSERT INTO children (parent_id) VALUES (1);
INSERT INTO children (parent_id, prev_id) VALUES (1, 1);
CREATE TABLE counters (n INT);
CREATE SEQUENCE tickets START 10;
SELECT nextval('tickets');
`

// dumpSchema returns the rows of the fixture's tables and the next values
// of its sequences, consuming them.
func dumpSchema(t *testing.T, db *sql.DB) string {
	t.Helper()
	var out string
	err := db.QueryRowContext(t.Context(), `SELECT
		(SELECT jsonb_agg(to_jsonb(p) ORDER BY p.id) FROM parents p)::text || ' ' ||
		(SELECT jsonb_agg(to_jsonb(c) ORDER BY c.id) FROM children c)::text || ' ' ||
		(SELECT count(*) FROM counters)::text || ' ' ||
		nextval('tickets')::text || ' ' ||
		nextval(pg_get_serial_sequence('parents', 'id'))::text || ' ' ||
		nextval(pg_get_serial_sequence('children', 'id'))::text`).Scan(&out)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func openSchema(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// A schema taken from a pool after a test wrote to it (rows added,
// seed rows changed and deleted, sequences advanced) holds exactly what a
// freshly prepared schema holds.
func TestSchemaPool_SchemaComesBackAsPrepared(t *testing.T) {
	prepare := func(ctx context.Context, dsn string) error {
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			return err
		}
		defer db.Close()
		_, err = db.ExecContext(ctx, poolFixture)
		return err
	}
	fresh, _ := PostgresSchema(t)
	if err := prepare(t.Context(), fresh); err != nil {
		t.Fatal(err)
	}
	want := dumpSchema(t, openSchema(t, fresh))

	pool := &SchemaPool{Prepare: prepare}
	var first string
	t.Run("writes", func(t *testing.T) {
		dsn, schema := pool.Schema(t)
		first = schema
		db := openSchema(t, dsn)
		_, err := db.ExecContext(t.Context(), `
			INSERT INTO parents (name) VALUES ('new');
			INSERT INTO children (parent_id) VALUES (2);
			UPDATE parents SET name = 'changed' WHERE id = 1;
			DELETE FROM children WHERE id = 2;
			INSERT INTO counters VALUES (1);
			SELECT nextval('tickets'), nextval('tickets')`)
		if err != nil {
			t.Fatal(err)
		}
	})
	t.Run("reuses", func(t *testing.T) {
		dsn, schema := pool.Schema(t)
		if schema != first {
			t.Fatalf("pool made schema %s, want %s back", schema, first)
		}
		if got := dumpSchema(t, openSchema(t, dsn)); got != want {
			t.Errorf("reused schema holds\n%s\nwant (freshly prepared)\n%s", got, want)
		}
	})
}
