// Package storetest opens fresh, isolated databases for tests, on SQLite and,
// when EYELEVEL_TEST_POSTGRES names a server, on PostgreSQL too.
//
// Every database is new and empty: SQLite lives in the test's temporary
// directory, PostgreSQL in a schema of its own with a random name that is
// dropped when the test ends. Tests can therefore run in parallel and leave
// nothing behind.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"eyelevel/store"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// PostgresEnv names the environment variable with the PostgreSQL URL to test
// against, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const PostgresEnv = "EYELEVEL_TEST_POSTGRES"

// Dialects returns the dialects to test: SQLite and PostgreSQL. Without
// PostgresEnv the PostgreSQL tests skip, saying why (Location); in CI
// (CI=true) a missing PostgresEnv fails the test instead, so PostgreSQL may
// be skipped only on a developer's machine.
func Dialects(tb testing.TB) []string {
	tb.Helper()
	if os.Getenv(PostgresEnv) == "" && os.Getenv("CI") == "true" {
		tb.Fatalf("storetest: %s is not set; PostgreSQL tests may be skipped only outside CI", PostgresEnv)
	}
	return []string{store.SQLite, store.Postgres}
}

// suite is the dialect RunSuite currently runs a package's tests on.
var suite = store.SQLite

// RunSuite runs a package's whole test suite (m.Run) on SQLite and then
// again on PostgreSQL, for end-to-end suites whose helpers open one
// database per test with Suite. Without PostgresEnv it says that the
// PostgreSQL run is skipped, and fails in CI. Call it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(storetest.RunSuite(m)) }
func RunSuite(m *testing.M) int {
	code := m.Run()
	if os.Getenv(PostgresEnv) == "" {
		if os.Getenv("CI") == "true" {
			fmt.Printf("FAIL: storetest: %s is not set; the PostgreSQL run may be skipped only outside CI\n", PostgresEnv)
			return 1
		}
		fmt.Printf("SKIP: storetest: the PostgreSQL run of this suite: %s is not set\n", PostgresEnv)
		return code
	}
	fmt.Println("=== storetest: the same suite on PostgreSQL")
	suite = store.Postgres
	defer func() { suite = store.SQLite }()
	return max(code, m.Run())
}

// Suite returns the dialect the suite runs on (see RunSuite): SQLite, or
// PostgreSQL in RunSuite's second run.
func Suite() string { return suite }

// ForEach runs fn as a subtest named after each dialect of Dialects, each
// with a fresh database.
func ForEach(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, d := range Dialects(t) {
		t.Run(d, func(t *testing.T) {
			fn(t, Open(t, d))
		})
	}
}

// Open returns a fresh, migrated database of dialect, closed when the test ends.
func Open(tb testing.TB, dialect string) *store.DB {
	tb.Helper()
	dsn, dir := Location(tb, dialect)
	return OpenAt(tb, dsn, dir)
}

// OpenAt opens (and migrates) the database at a location from Location and
// closes it when the test ends. Opening one location twice gives two handles
// on the same data, as two server instances would have.
func OpenAt(tb testing.TB, dsn, dir string) *store.DB {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db, err := store.Open(ctx, dsn, dir)
	if err != nil {
		tb.Fatalf("storetest: open %s: %v", redact(dsn), err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("storetest: close: %v", err)
		}
	})
	return db
}

// Location prepares an empty place for a database of dialect and returns the
// arguments for store.Open: for SQLite an empty dsn and a new directory, for
// PostgreSQL a dsn whose search_path is a new schema. The schema is dropped
// when the test ends, after every database opened on it has been closed
// (cleanups run last-registered first).
func Location(tb testing.TB, dialect string) (dsn, dir string) {
	tb.Helper()
	switch dialect {
	case store.SQLite:
		return "", tb.TempDir()
	case store.Postgres:
	default:
		tb.Fatalf("storetest: unknown dialect %q", dialect)
	}
	base := os.Getenv(PostgresEnv)
	if base == "" {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("storetest: %s is not set; PostgreSQL tests may be skipped only outside CI", PostgresEnv)
		}
		tb.Skipf("storetest: no PostgreSQL to test on: %s is not set", PostgresEnv)
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		tb.Fatalf("storetest: open %s: %v", redact(base), err)
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		admin.Close()
		tb.Fatalf("storetest: create schema: %v", err)
	}
	tb.Cleanup(func() {
		defer admin.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			tb.Errorf("storetest: drop schema %s: %v", schema, err)
		}
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	// pgx sends parameters it does not know itself as run-time parameters.
	// Tests need no durability: not waiting for the disk on each commit
	// makes the suites several times faster.
	return base + sep + "search_path=" + schema + "&synchronous_commit=off", ""
}

// Raw opens a plain database/sql handle on a location from Location, for
// tests that break the database under a running store (a trigger that
// fails writes, say). It is closed when the test ends.
func Raw(tb testing.TB, dsn, dir string) *sql.DB {
	tb.Helper()
	driver, name := "pgx", dsn
	if dsn == "" {
		driver, name = "sqlite", "file:"+filepath.Join(dir, "eyelevel.db")+"?_pragma=busy_timeout(10000)"
	}
	db, err := sql.Open(driver, name)
	if err != nil {
		tb.Fatalf("storetest: raw open: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// redact hides a password in a database URL for error messages.
func redact(dsn string) string {
	if dsn == "" {
		return "sqlite"
	}
	at := strings.LastIndex(dsn, "@")
	scheme := strings.Index(dsn, "://")
	if at < 0 || scheme < 0 || at < scheme {
		return dsn
	}
	userinfo := dsn[scheme+3 : at]
	if i := strings.Index(userinfo, ":"); i >= 0 {
		return dsn[:scheme+3] + userinfo[:i] + ":xxxxx" + dsn[at:]
	}
	return dsn
}
