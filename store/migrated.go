package store

import (
	"context"
	"fmt"
	"io/fs"
)

// Migrated reports an error unless the database holds every migration
// this binary embeds (for /readyz). A newer node may have migrated further
// during a rolling upgrade: that is fine.
func (db *DB) Migrated(ctx context.Context) error {
	entries, err := fs.ReadDir(migrations, "migrations/"+db.dialect)
	if err != nil || len(entries) == 0 {
		return fmt.Errorf("no embedded migrations: %v", err)
	}
	want := entries[len(entries)-1].Name() // ReadDir sorts by name
	have, err := db.MigrationLevel(ctx)
	if err != nil {
		return err
	}
	if have < want {
		return fmt.Errorf("database at migration %s, want %s", have, want)
	}
	return nil
}
