package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"eyelevel/store"
	"eyelevel/store/storetest"
)

// TestMigrationTreesAgree: the SQLite and the PostgreSQL migrations build the
// same schema: the same tables with the same columns (types normalized, and
// whether they may be NULL) and the same indexes (unique or not, columns,
// partial or not).
func TestMigrationTreesAgree(t *testing.T) {
	storetest.Dialects(t)
	lite := describe(t, store.SQLite)
	pg := describe(t, store.Postgres) // skips without PostgreSQL
	for _, line := range lite {
		if !slices.Contains(pg, line) {
			t.Errorf("only on SQLite: %s", line)
		}
	}
	for _, line := range pg {
		if !slices.Contains(lite, line) {
			t.Errorf("only on PostgreSQL: %s", line)
		}
	}
}

// describe returns a sorted, dialect-neutral description of a fresh
// database's schema, one line per column and per index.
func describe(t *testing.T, dialect string) []string {
	t.Helper()
	dsn, dir := storetest.Location(t, dialect)
	storetest.OpenAt(t, dsn, dir)
	raw := storetest.Raw(t, dsn, dir)
	ctx := context.Background()
	var out []string
	rows := func(q string, args ...any) *sql.Rows {
		t.Helper()
		r, err := raw.QueryContext(ctx, q, args...)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return r
	}
	type index struct {
		name, table, def string
		unique           bool
	}
	var indexes []index
	if dialect == store.SQLite {
		var tables []string
		r := rows(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
		for r.Next() {
			var name string
			r.Scan(&name)
			tables = append(tables, name)
		}
		r.Close()
		for _, tbl := range tables {
			r := rows(`SELECT name, type, "notnull", pk FROM pragma_table_info(?)`, tbl)
			for r.Next() {
				var name, typ string
				var notnull, pk int
				r.Scan(&name, &typ, &notnull, &pk)
				out = append(out, fmt.Sprintf("column %s.%s %s notnull=%v", tbl, name, normType(typ), notnull == 1 || pk > 0))
			}
			r.Close()
		}
		r = rows(`SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL`)
		for r.Next() {
			var ix index
			r.Scan(&ix.name, &ix.table, &ix.def)
			ix.unique = strings.HasPrefix(strings.ToUpper(ix.def), "CREATE UNIQUE")
			indexes = append(indexes, ix)
		}
		r.Close()
	} else {
		r := rows(`SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns
			WHERE table_schema = current_schema()`)
		for r.Next() {
			var tbl, name, typ, nullable string
			r.Scan(&tbl, &name, &typ, &nullable)
			out = append(out, fmt.Sprintf("column %s.%s %s notnull=%v", tbl, name, normType(typ), nullable == "NO"))
		}
		r.Close()
		r = rows(`SELECT i.relname, t.relname, ix.indisunique, pg_get_indexdef(ix.indexrelid)
			FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_class t ON t.oid = ix.indrelid
			JOIN pg_namespace n ON n.oid = t.relnamespace
			WHERE n.nspname = current_schema() AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = ix.indexrelid)`)
		for r.Next() {
			var ix index
			r.Scan(&ix.name, &ix.table, &ix.unique, &ix.def)
			indexes = append(indexes, ix)
		}
		r.Close()
	}
	for _, ix := range indexes {
		cols, where := indexParts(ix.def)
		out = append(out, fmt.Sprintf("index %s on %s(%s) unique=%v partial=%v", ix.name, ix.table, cols, ix.unique, where))
	}
	slices.Sort(out)
	return out
}

// normType maps both dialects' column types to one name.
func normType(t string) string {
	switch t = strings.ToLower(t); {
	case strings.Contains(t, "int"):
		return "integer"
	case strings.Contains(t, "char"), t == "text":
		return "text"
	case t == "real", strings.Contains(t, "double"), strings.Contains(t, "float"), strings.Contains(t, "numeric"):
		return "real"
	case t == "blob", t == "bytea":
		return "blob"
	case strings.Contains(t, "bool"):
		return "integer" // SQLite has no boolean type; the driver stores 0 and 1
	}
	return t
}

// indexParts returns an index definition's columns, normalized, and
// whether it is partial. SQLite has no INCLUDE, so its covering indexes
// carry PostgreSQL's included columns in the key, and the columns the
// predicate filters on too: key and included columns count alike, and
// columns the predicate names are left out on both sides.
func indexParts(def string) (cols string, partial bool) {
	lower := strings.ToLower(strings.Join(strings.Fields(def), " "))
	rest := lower[strings.Index(lower, " on ")+4:]
	group := func() string { // the next balanced (...) group of rest
		open := strings.Index(rest, "(")
		if open < 0 {
			return ""
		}
		depth := 0
		for i := open; i < len(rest); i++ {
			switch rest[i] {
			case '(':
				depth++
			case ')':
				if depth--; depth == 0 {
					g := rest[open+1 : i]
					rest = rest[i+1:]
					return g
				}
			}
		}
		return ""
	}
	list := group()
	if strings.HasPrefix(strings.TrimSpace(rest), "include") {
		list += "," + group()
	}
	where := ""
	if i := strings.Index(rest, " where "); i >= 0 {
		where = rest[i:]
	}
	var kept []string
	for _, c := range strings.Split(list, ",") {
		c = strings.TrimSpace(c)
		if where == "" || !regexp.MustCompile(`\b`+regexp.QuoteMeta(c)+`\b`).MatchString(where) {
			kept = append(kept, c)
		}
	}
	return strings.Join(kept, ","), where != ""
}

// TestForeignKeysOnAfterRebuild: the migration that rebuilds users with
// foreign keys off turns them back on.
func TestForeignKeysOnAfterRebuild(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		err := db.CreateSession(context.Background(), store.Session{TokenHash: "x", UserID: "nobody", Kind: "web", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)})
		if err == nil {
			t.Fatal("a session of a user that does not exist was stored")
		}
	})
}
