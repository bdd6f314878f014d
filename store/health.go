package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// writeHealth remembers how the last write transactions ended, so that the
// health check notices a full disk even where its own small write still
// fits (SQLite reuses the pages of its write-ahead log).
type writeHealth struct {
	mu       sync.Mutex
	failedAt time.Time // last write that failed for want of storage
	failure  error
	okAt     time.Time // last write that committed
}

func (h *writeHealth) record(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case err == nil:
		h.okAt = time.Now()
	case isStorageFailure(err):
		h.failedAt, h.failure = time.Now(), err
	}
}

// CheckWrite reports whether the database accepts writes: it rewrites the
// health row in a transaction of its own, and fails as long as the latest
// write transaction failed for want of storage (a full disk, an I/O error,
// a read-only database).
func (db *DB) CheckWrite(ctx context.Context) error {
	db.health.mu.Lock()
	failing := db.health.failedAt.After(db.health.okAt)
	failure := db.health.failure
	db.health.mu.Unlock()
	if failing {
		return fmt.Errorf("the last write failed: %w", failure)
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("health check: begin: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO health (id, checked_at) VALUES (1, $1)
		ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at`, time.Now().Unix()); err != nil {
		return fmt.Errorf("health check: write: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("health check: commit: %w", err)
	}
	return nil
}

// isStorageFailure reports whether err says the database cannot store
// data, as opposed to a conflict or a bad statement.
func isStorageFailure(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
			return true
		}
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// Class 53: insufficient resources (disk_full, out_of_memory);
		// class 58: system errors (io_error); 25006: read-only transaction.
		return len(pe.Code) == 5 && (pe.Code[:2] == "53" || pe.Code[:2] == "58" || pe.Code == "25006")
	}
	return false
}
