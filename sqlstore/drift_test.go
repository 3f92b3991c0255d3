package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The migration trees of the two dialects are written by hand, side by
// side; this test applies both and compares what they built, so that a
// column, index or constraint added to one tree only fails here instead of
// in production on the other database.
//
// What is compared, as one line per fact: tables; columns with their type
// family, NOT NULL and whether they are generated ids; primary keys; UNIQUE
// constraints; foreign keys with their ON DELETE action; the other indexes
// by name, uniqueness, columns (an expression counts as <expr>) and whether
// they are partial. CHECK constraints and defaults are not compared: their
// text differs between the dialects by design (0/1 against FALSE/TRUE).
//
// The legitimate differences between the dialects are all in
// sqliteStorage and the rules of sqliteSchema below, never per table: a new
// migration needs no change here unless it uses a new kind of column.

// sqliteStorage says how SQLite stores each type family that the
// PostgreSQL migrations use (PostgreSQL's types name the family):
// times are INTEGER unix microseconds in UTC, booleans INTEGER limited to
// 0 and 1 by a CHECK, JSON is TEXT.
var sqliteStorage = map[string]string{
	"integer": "INTEGER",
	"text":    "TEXT",
	"bool":    "INTEGER",
	"time":    "INTEGER",
	"blob":    "BLOB",
	"json":    "TEXT",
}

// pgFamily names the type family of a PostgreSQL column from
// information_schema.columns.data_type; an unknown type is its own family,
// so that it shows in the diff until it is added here and to
// sqliteStorage.
func pgFamily(dataType string) string {
	switch dataType {
	case "bigint", "integer", "smallint":
		return "integer"
	case "text", "character varying", "character":
		return "text"
	case "boolean":
		return "bool"
	case "timestamp with time zone":
		return "time"
	case "bytea":
		return "blob"
	case "jsonb", "json":
		return "json"
	}
	return "postgres " + dataType
}

// pgOnDelete spells pg_constraint.confdeltype as SQLite's
// foreign_key_list does.
var pgOnDelete = map[string]string{"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}

// ignoredTables are goose's bookkeeping, different by design.
func ignoredTable(name string) bool {
	return name == "goose_db_version" || strings.HasPrefix(name, "sqlite_")
}

func TestMigrations_BothDialectsBuildTheSameSchema(t *testing.T) {
	t.Parallel()
	pg, schema := openPostgresTest(t, true)
	lite := openSQLiteTest(t)
	ctx := t.Context()

	pgFacts, families, err := postgresSchema(ctx, pg.read, schema)
	if err != nil {
		t.Fatal(err)
	}
	liteFacts, err := sqliteSchema(ctx, lite.read, families)
	if err != nil {
		t.Fatal(err)
	}
	if len(pgFacts) == 0 || len(liteFacts) == 0 {
		t.Fatalf("nothing read: %d facts on PostgreSQL, %d on SQLite", len(pgFacts), len(liteFacts))
	}
	t.Logf("%d facts on PostgreSQL, %d on SQLite", len(pgFacts), len(liteFacts))
	if d := factDiff(liteFacts, pgFacts); d != "" {
		t.Errorf("sqlstore/migrations/sqlite and sqlstore/migrations/postgres build different schemas "+
			"(- only on SQLite, + only on PostgreSQL; a legitimate dialect difference belongs in sqliteStorage):\n%s", d)
	}
}

// TestMigrations_DriftIsReported: the comparison is not vacuous; a column
// of the wrong family, a missing index and a foreign key with another
// action all show in the diff.
func TestMigrations_DriftIsReported(t *testing.T) {
	a := []string{"column t.c bool not null", "index t_c on t (c)", "foreign key t (u) references u (id) on delete CASCADE"}
	b := []string{"column t.c text not null", "foreign key t (u) references u (id) on delete SET NULL"}
	d := factDiff(a, b)
	for _, want := range []string{"- column t.c bool not null", "+ column t.c text not null", "- index t_c on t (c)",
		"- foreign key t (u) references u (id) on delete CASCADE", "+ foreign key t (u) references u (id) on delete SET NULL"} {
		if !strings.Contains(d, want+"\n") {
			t.Errorf("diff lacks %q:\n%s", want, d)
		}
	}
	if d := factDiff(a, a); d != "" {
		t.Errorf("diff of equal schemas: %q", d)
	}
}

// factDiff lists, sorted, the facts only in a ("- ") and only in b ("+ "),
// each table's facts together.
func factDiff(a, b []string) string {
	in := func(list []string, s string) bool { return slices.Contains(list, s) }
	var lines []string
	for _, s := range a {
		if !in(b, s) {
			lines = append(lines, "- "+s)
		}
	}
	for _, s := range b {
		if !in(a, s) {
			lines = append(lines, "+ "+s)
		}
	}
	slices.SortFunc(lines, func(x, y string) int { return strings.Compare(x[2:]+x[:1], y[2:]+y[:1]) })
	var sb strings.Builder
	for _, l := range lines {
		sb.WriteString(l + "\n")
	}
	return sb.String()
}

// postgresSchema reads the facts of schema, and the family of each column
// ("table.column"), which tells how SQLite should store it.
func postgresSchema(ctx context.Context, db *sql.DB, schema string) (facts []string, families map[string]string, err error) {
	families = map[string]string{}
	rows, err := db.QueryContext(ctx, `
		SELECT c.table_name, c.column_name, c.data_type, c.is_nullable = 'NO',
		       c.is_identity = 'YES' OR COALESCE(c.column_default, '') LIKE 'nextval(%'
		FROM information_schema.columns c
		JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
		WHERE c.table_schema = $1 AND t.table_type = 'BASE TABLE'`, schema)
	if err != nil {
		return nil, nil, err
	}
	tables := map[string]bool{}
	for rows.Next() {
		var table, column, dataType string
		var notNull, identity bool
		if err := rows.Scan(&table, &column, &dataType, &notNull, &identity); err != nil {
			rows.Close()
			return nil, nil, err
		}
		if ignoredTable(table) {
			continue
		}
		tables[table] = true
		fam := pgFamily(dataType)
		families[table+"."+column] = fam
		facts = append(facts, columnFact(table, column, fam, notNull, identity))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	for table := range tables {
		facts = append(facts, "table "+table)
	}

	// Primary keys, UNIQUE constraints and foreign keys.
	rows, err = db.QueryContext(ctx, `
		SELECT c.contype, t.relname,
		       array_to_string(ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(n, i)
		           JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.i), ', '),
		       COALESCE(f.relname, ''),
		       array_to_string(ARRAY(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY k(n, i)
		           JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.i), ', '),
		       c.confdeltype
		FROM pg_constraint c
		JOIN pg_class t ON t.oid = c.conrelid
		JOIN pg_namespace n ON n.oid = t.relnamespace
		LEFT JOIN pg_class f ON f.oid = c.confrelid
		WHERE n.nspname = $1 AND c.contype IN ('p', 'u', 'f')`, schema)
	if err != nil {
		return nil, nil, err
	}
	for rows.Next() {
		var kind, table, cols, ref, refCols, onDelete string
		if err := rows.Scan(&kind, &table, &cols, &ref, &refCols, &onDelete); err != nil {
			rows.Close()
			return nil, nil, err
		}
		if ignoredTable(table) {
			continue
		}
		switch kind {
		case "p":
			facts = append(facts, fmt.Sprintf("primary key %s (%s)", table, cols))
		case "u":
			facts = append(facts, fmt.Sprintf("unique %s (%s)", table, cols))
		case "f":
			facts = append(facts, fkFact(table, cols, ref, refCols, pgOnDelete[onDelete]))
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}

	// The other indexes: those no primary key or UNIQUE constraint owns.
	rows, err = db.QueryContext(ctx, `
		SELECT i.relname, t.relname, x.indisunique, x.indpred IS NOT NULL,
		       array_to_string(ARRAY(SELECT CASE WHEN k.n = 0 THEN '<expr>' ELSE a.attname::text END
		           FROM unnest(x.indkey::int2[]) WITH ORDINALITY k(n, i)
		           LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.n
		           WHERE k.i <= x.indnkeyatts ORDER BY k.i), ', ')
		FROM pg_index x
		JOIN pg_class i ON i.oid = x.indexrelid
		JOIN pg_class t ON t.oid = x.indrelid
		JOIN pg_namespace n ON n.oid = t.relnamespace
		WHERE n.nspname = $1
		  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid AND c.contype IN ('p', 'u'))`, schema)
	if err != nil {
		return nil, nil, err
	}
	for rows.Next() {
		var name, table, cols string
		var unique, partial bool
		if err := rows.Scan(&name, &table, &unique, &partial, &cols); err != nil {
			rows.Close()
			return nil, nil, err
		}
		if ignoredTable(table) {
			continue
		}
		facts = append(facts, indexFact(name, table, cols, unique, partial))
	}
	rows.Close()
	return facts, families, rows.Err()
}

// sqliteSchema reads the same facts from SQLite. A column's family is the
// PostgreSQL column's when SQLite stores it as sqliteStorage says (a bool
// also needs its CHECK (c IN (0, 1))), else SQLite's declared type, which
// then shows in the diff. Primary key columns count as NOT NULL (SQLite
// does not say so of an INTEGER PRIMARY KEY, which cannot be NULL, and
// its TEXT primary keys are written NOT NULL in spirit); an INTEGER
// PRIMARY KEY AUTOINCREMENT is a generated id, as an identity column is.
func sqliteSchema(ctx context.Context, db *sql.DB, families map[string]string) ([]string, error) {
	type tbl struct{ name, sql string }
	var tables []tbl
	rows, err := db.QueryContext(ctx, `SELECT name, sql FROM sqlite_master WHERE type = 'table'`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var t tbl
		if err := rows.Scan(&t.name, &t.sql); err != nil {
			rows.Close()
			return nil, err
		}
		if !ignoredTable(t.name) {
			tables = append(tables, t)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	var facts []string
	for _, t := range tables {
		facts = append(facts, "table "+t.name)
		autoincrement := regexp.MustCompile(`(?i)\bAUTOINCREMENT\b`).MatchString(t.sql)

		// Columns and the primary key.
		type col struct {
			name, typ string
			notNull   bool
			pk        int
		}
		var cols []col
		rows, err := db.QueryContext(ctx, `SELECT name, upper(type), "notnull", pk FROM pragma_table_info(?)`, t.name)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var c col
			if err := rows.Scan(&c.name, &c.typ, &c.notNull, &c.pk); err != nil {
				rows.Close()
				return nil, err
			}
			cols = append(cols, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		slices.SortFunc(cols, func(a, b col) int { return a.pk - b.pk })
		var pkCols []string
		for _, c := range cols {
			if c.pk > 0 {
				pkCols = append(pkCols, c.name)
			}
		}
		if len(pkCols) > 0 {
			facts = append(facts, fmt.Sprintf("primary key %s (%s)", t.name, strings.Join(pkCols, ", ")))
		}
		for _, c := range cols {
			fam := c.typ
			if want, ok := families[t.name+"."+c.name]; ok && sqliteStorage[want] == c.typ {
				fam = want
				if want == "bool" && !hasBoolCheck(t.sql, c.name) {
					fam = c.typ + " without CHECK (" + c.name + " IN (0, 1))"
				}
			}
			identity := c.pk == 1 && len(pkCols) == 1 && c.typ == "INTEGER" && autoincrement
			facts = append(facts, columnFact(t.name, c.name, fam, c.notNull || c.pk > 0, identity))
		}

		// Foreign keys, one row per column.
		type fk struct {
			ref, onDelete string
			from, to      []string
		}
		fks := map[int]*fk{}
		rows, err = db.QueryContext(ctx, `SELECT id, "table", "from", coalesce("to", ''), on_delete FROM pragma_foreign_key_list(?) ORDER BY id, seq`, t.name)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id int
			var ref, from, to, onDelete string
			if err := rows.Scan(&id, &ref, &from, &to, &onDelete); err != nil {
				rows.Close()
				return nil, err
			}
			if fks[id] == nil {
				fks[id] = &fk{ref: ref, onDelete: onDelete}
			}
			fks[id].from = append(fks[id].from, from)
			fks[id].to = append(fks[id].to, to)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		for _, f := range fks {
			to := strings.Join(f.to, ", ")
			if strings.Trim(to, ", ") == "" {
				// REFERENCES t without columns: t's primary key.
				var pk string
				err := db.QueryRowContext(ctx, `SELECT group_concat(name, ', ') FROM (SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk)`, f.ref).Scan(&pk)
				if err != nil {
					return nil, err
				}
				to = pk
			}
			facts = append(facts, fkFact(t.name, strings.Join(f.from, ", "), f.ref, to, f.onDelete))
		}

		// Indexes: origin u is a UNIQUE constraint, c a CREATE INDEX, pk
		// the primary key's (already a fact).
		type idx struct {
			name, origin    string
			unique, partial bool
		}
		var idxs []idx
		rows, err = db.QueryContext(ctx, `SELECT name, "unique", origin, partial FROM pragma_index_list(?)`, t.name)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var i idx
			if err := rows.Scan(&i.name, &i.unique, &i.origin, &i.partial); err != nil {
				rows.Close()
				return nil, err
			}
			idxs = append(idxs, i)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		for _, i := range idxs {
			if i.origin == "pk" {
				continue
			}
			var names []string
			rows, err := db.QueryContext(ctx, `SELECT coalesce(name, '<expr>') FROM pragma_index_info(?) ORDER BY seqno`, i.name)
			if err != nil {
				return nil, err
			}
			for rows.Next() {
				var n string
				if err := rows.Scan(&n); err != nil {
					rows.Close()
					return nil, err
				}
				names = append(names, n)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return nil, err
			}
			if i.origin == "u" {
				facts = append(facts, fmt.Sprintf("unique %s (%s)", t.name, strings.Join(names, ", ")))
			} else {
				facts = append(facts, indexFact(i.name, t.name, strings.Join(names, ", "), i.unique, i.partial))
			}
		}
	}
	return facts, nil
}

// hasBoolCheck reports whether a table's SQL limits column to 0 and 1.
func hasBoolCheck(tableSQL, column string) bool {
	re := regexp.MustCompile(`(?i)CHECK\s*\(\s*"?` + regexp.QuoteMeta(column) + `"?\s+IN\s*\(\s*0\s*,\s*1\s*\)\s*\)`)
	return re.MatchString(tableSQL)
}

func columnFact(table, column, family string, notNull, identity bool) string {
	s := fmt.Sprintf("column %s.%s %s", table, column, family)
	if notNull {
		s += " not null"
	}
	if identity {
		s += " generated id"
	}
	return s
}

func fkFact(table, cols, ref, refCols, onDelete string) string {
	return fmt.Sprintf("foreign key %s (%s) references %s (%s) on delete %s", table, cols, ref, refCols, onDelete)
}

func indexFact(name, table, cols string, unique, partial bool) string {
	s := "index "
	if unique {
		s = "unique index "
	}
	s += fmt.Sprintf("%s on %s (%s)", name, table, cols)
	if partial {
		s += " where …"
	}
	return s
}
