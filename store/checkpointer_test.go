package store_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"eyelevel/store"
)

// The writer runs no checkpoints of its own (wal_autocheckpoint(0)): the
// background checkpointer must copy committed pages into the database
// file, and Checkpoint must still empty the log while it runs.
func TestCheckpointerCopiesAndTruncates(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	db, err := store.Open(ctx, "", dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, `CREATE TABLE ck_test (id INTEGER PRIMARY KEY, v TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	main := filepath.Join(dir, "eyelevel.db")
	size := func(name string) int64 {
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	before := size(main)
	blob := strings.Repeat("x", 32<<10)
	for range 3 {
		for i := range 100 { // 100 commits of 32 KiB: about 3 MB in the log
			err := db.InTx(ctx, func(ctx context.Context) error {
				_, err := db.Exec(ctx, `INSERT INTO ck_test (v) VALUES ($1)`, blob[i:])
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		// Nobody asks for a checkpoint: the pages reach the database file
		// only through the background checkpointer.
		deadline := time.Now().Add(time.Minute)
		for size(main) < before+2<<20 {
			if time.Now().After(deadline) {
				t.Fatalf("database file %d bytes after a minute, want at least %d: no background checkpoint", size(main), before+2<<20)
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err := db.Checkpoint(ctx); err != nil {
			t.Fatal(err)
		}
		if n := size(main + "-wal"); n != 0 {
			t.Fatalf("log %d bytes after Checkpoint, want 0", n)
		}
		before = size(main)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	var again *store.DB
	// Everything committed is there after a reopen.
	again, err = store.Open(ctx, "", dir)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	n, err := again.Exec(ctx, `UPDATE ck_test SET v = v`)
	if err != nil || n != 300 {
		t.Fatalf("rows after reopen = %d, %v; want 300", n, err)
	}
}
