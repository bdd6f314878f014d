package store_test

import (
	"context"
	"testing"

	"eyelevel/store"
	"eyelevel/store/storetest"
)

// TestMigrated: a freshly opened database holds every migration (what
// /readyz checks); one that lacks the newest does not.
func TestMigrated(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := db.Migrated(ctx); err != nil {
			t.Fatalf("fresh database: %v", err)
		}
		level, err := db.MigrationLevel(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.WriterExec(ctx, `DELETE FROM schema_migrations WHERE name = '`+level+`'`); err != nil {
			t.Fatal(err)
		}
		if err := db.Migrated(ctx); err == nil {
			t.Errorf("Migrated = nil with %s missing", level)
		}
	})
}
