package testenv

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// SchemaPool hands out PostgreSQL schemas that Prepare has set up once
// (migrated), each to one test at a time: when the test ends, the schema
// is put back exactly as Prepare left it — every table's rows (seed rows
// and goose's version table included) and every sequence — and the next
// test takes it. Creating and migrating a schema costs PostgreSQL about a
// second of DDL, and dropping it more; putting one back is one round trip
// of DELETEs and INSERTs. A test sees the same thing as on a schema made
// for it alone: a migrated database with no rows of another test.
//
// The schemas of a pool are dropped when Run (Main) returns; a schema whose
// reset fails is dropped at once. A test that changes the schema itself
// (DDL), rather than its rows, must not use a pool: use PostgresSchema.
type SchemaPool struct {
	// Prepare sets up a new schema; dsn's search_path is the schema.
	Prepare func(ctx context.Context, dsn string) error

	mu   sync.Mutex
	free []*pooledSchema
}

// pooledSchema is a prepared schema and the SQL that puts it back.
type pooledSchema struct {
	s     *Schema
	reset string
}

// pools are every pool that made a schema, for Run to drop them.
var pools struct {
	mu  sync.Mutex
	all []*pooledSchema
}

// resetTimeout bounds putting a schema back (a test that left a
// connection holding a lock would make it wait).
const resetTimeout = time.Minute

// Schema returns a URL whose search_path is a prepared schema of the
// pool's, the test's own until it ends, and the schema's name. It skips
// as PostgresURL does. Everything the test opens on the schema must be
// closed by its end: register the closing with t.Cleanup after calling
// Schema (cleanups run last-registered first).
func (p *SchemaPool) Schema(t testing.TB) (dsn, schema string) {
	t.Helper()
	base := PostgresURL(t)
	p.mu.Lock()
	var ps *pooledSchema
	if n := len(p.free); n > 0 {
		ps, p.free = p.free[n-1], p.free[:n-1]
	}
	p.mu.Unlock()
	if ps == nil {
		var err error
		if ps, err = p.create(t.Context(), base); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), resetTimeout)
		defer cancel()
		if _, err := ps.s.admin.ExecContext(ctx, ps.reset); err != nil {
			t.Errorf("testenv: put schema %s back: %v", ps.s.Name, err)
			p.drop(ps)
			return
		}
		p.mu.Lock()
		p.free = append(p.free, ps)
		p.mu.Unlock()
	})
	return ps.s.DSN, ps.s.Name
}

// create makes and prepares a schema, and plans its reset.
func (p *SchemaPool) create(ctx context.Context, base string) (*pooledSchema, error) {
	s, err := CreatePostgresSchema(ctx, base)
	if err != nil {
		return nil, err
	}
	ps := &pooledSchema{s: s}
	pools.mu.Lock()
	pools.all = append(pools.all, ps)
	pools.mu.Unlock()
	if err := p.Prepare(ctx, s.DSN); err != nil {
		p.drop(ps)
		return nil, fmt.Errorf("testenv: prepare schema %s: %w", s.Name, err)
	}
	if ps.reset, err = planReset(ctx, s.admin, s.Name); err != nil {
		p.drop(ps)
		return nil, fmt.Errorf("testenv: schema %s: %w", s.Name, err)
	}
	return ps, nil
}

// drop drops a schema of the pool's now (it is in no free list).
func (p *SchemaPool) drop(ps *pooledSchema) {
	pools.mu.Lock()
	pools.all = slices.DeleteFunc(pools.all, func(x *pooledSchema) bool { return x == ps })
	pools.mu.Unlock()
	_ = ps.s.Drop()
}

// dropPools drops every pooled schema; Run calls it after the tests.
func dropPools() error {
	pools.mu.Lock()
	all := pools.all
	pools.all = nil
	pools.mu.Unlock()
	var first error
	for _, ps := range all {
		if err := ps.s.Drop(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// planReset reads the prepared schema — its tables, their foreign keys,
// their rows, its sequences — and returns one transaction that puts it
// back: DELETE every table (referencing tables first), INSERT the rows
// that were there (referenced tables first), set every sequence where it
// was. TRUNCATE would do it in one statement but costs PostgreSQL new
// files for every table and index (about half a second per schema).
func planReset(ctx context.Context, db *sql.DB, schema string) (string, error) {
	qi := func(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }
	ql := func(s string) string { return `'` + strings.ReplaceAll(s, `'`, `''`) + `'` }
	rows, err := db.QueryContext(ctx, `
		SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') ORDER BY c.relname`, schema)
	if err != nil {
		return "", err
	}
	tables, err := collect(rows, func(r *sql.Rows) (string, error) { var s string; return s, r.Scan(&s) })
	if err != nil {
		return "", err
	}
	// refs[t] are the other tables whose rows t's rows refer to.
	rows, err = db.QueryContext(ctx, `
		SELECT c.relname, f.relname FROM pg_constraint k
		JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class f ON f.oid = k.confrelid
		JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE k.contype = 'f' AND n.nspname = $1 AND f.relnamespace = c.relnamespace`, schema)
	if err != nil {
		return "", err
	}
	pairs, err := collect(rows, func(r *sql.Rows) ([2]string, error) { var p [2]string; return p, r.Scan(&p[0], &p[1]) })
	if err != nil {
		return "", err
	}
	refs := map[string][]string{}
	for _, p := range pairs {
		if p[0] != p[1] {
			refs[p[0]] = append(refs[p[0]], p[1])
		}
	}
	// order lists referenced tables before the tables referring to them.
	var order []string
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(string) error
	visit = func(t string) error {
		switch state[t] {
		case 1:
			return fmt.Errorf("foreign keys form a cycle through %s", t)
		case 2:
			return nil
		}
		state[t] = 1
		for _, r := range refs[t] {
			if err := visit(r); err != nil {
				return err
			}
		}
		state[t] = 2
		order = append(order, t)
		return nil
	}
	for _, t := range tables {
		if err := visit(t); err != nil {
			return "", err
		}
	}
	var b strings.Builder
	// The schema is dropped anyway if the server crashes: no need to wait
	// for the disk.
	b.WriteString("BEGIN;\nSET LOCAL synchronous_commit = off;\n")
	for _, t := range slices.Backward(order) {
		fmt.Fprintf(&b, "DELETE FROM %s.%s;\n", qi(schema), qi(t))
	}
	for _, t := range order {
		// The rows as JSON, and the columns an INSERT may name (not the
		// generated ones).
		var data, cols string
		err := db.QueryRowContext(ctx, fmt.Sprintf(`
			SELECT (SELECT COALESCE(jsonb_agg(to_jsonb(x)), '[]')::text FROM %[1]s.%[2]s x),
			       (SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute
			        WHERE attrelid = '%[1]s.%[2]s'::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = '')`,
			qi(schema), qi(t))).Scan(&data, &cols)
		if err != nil {
			return "", fmt.Errorf("read %s: %w", t, err)
		}
		if data == "[]" {
			continue
		}
		fmt.Fprintf(&b, "INSERT INTO %[1]s.%[2]s (%[3]s) OVERRIDING SYSTEM VALUE SELECT %[3]s FROM jsonb_populate_recordset(NULL::%[1]s.%[2]s, %[4]s);\n",
			qi(schema), qi(t), cols, ql(data))
	}
	rows, err = db.QueryContext(ctx, `
		SELECT sequencename, COALESCE(last_value, start_value), last_value IS NOT NULL
		FROM pg_sequences WHERE schemaname = $1 ORDER BY sequencename`, schema)
	if err != nil {
		return "", err
	}
	type seq struct {
		name   string
		value  int64
		called bool
	}
	seqs, err := collect(rows, func(r *sql.Rows) (seq, error) { var s seq; return s, r.Scan(&s.name, &s.value, &s.called) })
	if err != nil {
		return "", err
	}
	for _, s := range seqs {
		fmt.Fprintf(&b, "SELECT setval(%s, %d, %t);\n", ql(qi(schema)+"."+qi(s.name)), s.value, s.called)
	}
	b.WriteString("COMMIT;\n")
	return b.String(), nil
}

// collect scans every row and closes rows.
func collect[T any](rows *sql.Rows, scan func(*sql.Rows) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
