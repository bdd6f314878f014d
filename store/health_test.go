package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"eyelevel"
	"eyelevel/store"
	"eyelevel/store/storetest"
)

// TestCheckWriteNoticesFullDisk: while writes fail for want of space
// (SQLite: SQLITE_FULL at max_page_count; PostgreSQL: error disk_full), the
// health check fails, although the database still answers; once a write
// succeeds again, it passes.
func TestCheckWriteNoticesFullDisk(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := db.CheckWrite(ctx); err != nil {
			t.Fatalf("healthy database: CheckWrite = %v", err)
		}
		fill, free := `PRAGMA max_page_count = 1`, `PRAGMA max_page_count = 1073741823`
		if db.Dialect() == store.Postgres {
			fill = `CREATE FUNCTION full_disk() RETURNS trigger LANGUAGE plpgsql AS $$
				BEGIN RAISE EXCEPTION 'could not extend file' USING ERRCODE = 'disk_full'; END $$;
				CREATE TRIGGER full_disk BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION full_disk()`
			free = `DROP TRIGGER full_disk ON users`
		}
		if err := db.WriterExec(ctx, fill); err != nil {
			t.Fatal(err)
		}
		var failed error
		for i := 0; i < 1000 && failed == nil; i++ {
			failed = db.CreateUser(ctx, eyelevel.User{ID: eyelevel.UserID(eyelevel.NewID()), Username: fmt.Sprintf("filler-%d-%s", i, strings.Repeat("x", 200)),
				Role: eyelevel.RoleClient, PasswordHash: strings.Repeat("h", 500), Language: "de", TimeZone: "UTC", CreatedAt: t0})
		}
		if failed == nil {
			t.Fatal("writes never failed on the full database")
		}
		if err := db.Ping(ctx); err != nil {
			t.Fatalf("Ping = %v; the database should still answer", err)
		}
		if err := db.CheckWrite(ctx); err == nil {
			t.Fatalf("CheckWrite = nil while writes fail (%v)", failed)
		}
		if err := db.WriterExec(ctx, free); err != nil {
			t.Fatal(err)
		}
		if err := db.InTx(ctx, func(ctx context.Context) error {
			newUserCtx(ctx, t, db, "after-the-cleanup", eyelevel.RoleClient)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if err := db.CheckWrite(ctx); err != nil {
			t.Fatalf("CheckWrite = %v after writes succeed again", err)
		}
	})
}
