package store

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

// SQLite copies its write-ahead log back into the database file in
// checkpoints. By default the committing writer runs one whenever the log
// passes 1,000 pages, inside its COMMIT, and every write waits for it (a
// fifth of a booking's CPU, BENCHMARKS.md). The writer here runs none
// (wal_autocheckpoint(0)); a connection of its own checkpoints in the
// background instead, so that copying and syncing the database file
// overlaps the next transactions.
const (
	checkpointEvery = 50 * time.Millisecond
	// walRestartPages bounds the log: a passive checkpoint never waits,
	// so readers that always hold a snapshot could keep the writer from
	// starting the log over. Past this many pages (about 40 MB) the
	// checkpointer waits for them (RESTART) and the log starts over.
	walRestartPages = 10000
)

// checkpointer runs SQLite's checkpoints on a connection of its own.
type checkpointer struct {
	// mu keeps its checkpoints apart from Checkpoint's and Shred's: SQLite
	// runs one at a time and answers a second "busy" without waiting, so
	// a truncation that must happen (Shred) would silently not.
	mu   sync.Mutex
	conn *sql.DB
	stop context.CancelFunc
	done chan struct{}
}

// startCheckpointer opens conn's checkpoints; db.close stops them.
func startCheckpointer(conn *sql.DB, fail func(error)) *checkpointer {
	conn.SetMaxOpenConns(1)
	ctx, stop := context.WithCancel(context.Background())
	c := &checkpointer{conn: conn, stop: stop, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		t := time.NewTicker(checkpointEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if err := c.checkpoint(ctx); err != nil && ctx.Err() == nil {
				fail(err)
			}
		}
	}()
	return c
}

// checkpoint copies what it can without waiting, and waits for readers
// only when the log has grown past walRestartPages.
func (c *checkpointer) checkpoint(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var busy, log, done int
	if err := c.conn.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &log, &done); err != nil {
		return err
	}
	if log > walRestartPages {
		_, err := c.conn.ExecContext(ctx, `PRAGMA wal_checkpoint(RESTART)`)
		return err
	}
	return nil
}

// truncate runs a truncating checkpoint on w, the writer, with the
// background checkpoints held off (Checkpoint, Shred).
func (c *checkpointer) truncate(ctx context.Context, w *sql.DB) error {
	if c != nil {
		c.mu.Lock()
		defer c.mu.Unlock()
	}
	_, err := w.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	return err
}

// close stops the checkpoints and closes their connection; the writer
// then checkpoints once more as it closes (SQLite does on the last close).
func (c *checkpointer) close() error {
	if c == nil {
		return nil
	}
	c.stop()
	<-c.done
	return c.conn.Close()
}
