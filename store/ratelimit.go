package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"slices"
	"time"
)

// RateLimit is at most Max events under Key within Window. Key is a keyed
// hash of the limit's name (service/ratelimit_db.go), never an address or
// a username: the table is not to hold personal data.
type RateLimit struct {
	Key    []byte
	Max    int
	Window time.Duration
}

// rateLockSpace is the first half of the two-int advisory locks that
// serialize one key's attempts on PostgreSQL; the one-bigint locks of the
// store (migrations, leases) live in a space of their own.
const rateLockSpace = 0x52415445 // "RATE"

// ReserveRate records one event at now under every limit if each has
// fewer than Max events in the window before now, and none otherwise; it
// reports which. On PostgreSQL the keys are locked for the transaction,
// so that two nodes reserving a key's last slot at once cannot both get
// it; SQLite has one writer, which serializes them already.
func (db *DB) ReserveRate(ctx context.Context, now time.Time, limits []RateLimit) (bool, error) {
	ok := false
	err := db.InTx(ctx, func(ctx context.Context) error {
		q := db.wq(ctx)
		if err := db.lockRateKeys(ctx, limits); err != nil {
			return err
		}
		for _, l := range limits {
			var n int
			err := q.QueryRowContext(ctx, `SELECT count(*) FROM rate_events WHERE key_hash = $1 AND at > $2`,
				l.Key, now.Add(-l.Window).UnixMicro()).Scan(&n)
			if err != nil {
				return db.wrap(err, "count rate events")
			}
			if n >= l.Max {
				return nil
			}
		}
		for _, l := range limits {
			_, err := q.ExecContext(ctx, `INSERT INTO rate_events (key_hash, at, expires) VALUES ($1, $2, $3)`,
				l.Key, now.UnixMicro(), now.Add(l.Window).UnixMicro())
			if err != nil {
				return db.wrap(err, "record rate event")
			}
		}
		ok = true
		return nil
	})
	return ok && err == nil, err
}

// RefundRate takes back the latest event of each key.
func (db *DB) RefundRate(ctx context.Context, keys [][]byte) error {
	limits := make([]RateLimit, len(keys))
	for i, k := range keys {
		limits[i].Key = k
	}
	return db.InTx(ctx, func(ctx context.Context) error {
		if err := db.lockRateKeys(ctx, limits); err != nil {
			return err
		}
		for _, k := range keys {
			_, err := db.wq(ctx).ExecContext(ctx, `DELETE FROM rate_events WHERE id =
				(SELECT id FROM rate_events WHERE key_hash = $1 ORDER BY at DESC, id DESC LIMIT 1)`, k)
			if err != nil {
				return db.wrap(err, "refund rate event")
			}
		}
		return nil
	})
}

// PruneRate deletes the events whose windows have all passed by now, so
// that the table holds only the attempts that still count. It returns how
// many it deleted.
func (db *DB) PruneRate(ctx context.Context, now time.Time) (int64, error) {
	res, err := db.wq(ctx).ExecContext(ctx, `DELETE FROM rate_events WHERE expires <= $1`, now.UnixMicro())
	if err != nil {
		return 0, db.wrap(err, "prune rate events")
	}
	return res.RowsAffected()
}

// lockRateKeys takes PostgreSQL's transaction-level advisory lock of each
// key, in ascending order so that two transactions locking overlapping
// keys cannot deadlock. Keys whose 32-bit lock numbers collide only wait
// for each other.
func (db *DB) lockRateKeys(ctx context.Context, limits []RateLimit) error {
	if db.dialect != Postgres {
		return nil
	}
	ids := make([]int32, 0, len(limits))
	for _, l := range limits {
		var b [4]byte
		copy(b[:], l.Key)
		ids = append(ids, int32(binary.BigEndian.Uint32(b[:])))
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	for _, id := range ids {
		if _, err := db.wq(ctx).ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, $2)`, int32(rateLockSpace), id); err != nil {
			return db.wrap(err, "lock rate key")
		}
	}
	return nil
}

// RateEventKeys returns the key hashes of all stored rate events, for
// tests that check the table holds nothing readable.
func (db *DB) RateEventKeys(ctx context.Context) ([][]byte, error) {
	rows, err := db.rq(ctx).QueryContext(ctx, `SELECT key_hash FROM rate_events ORDER BY id`)
	if err != nil {
		return nil, db.wrap(err, "rate events")
	}
	defer rows.Close()
	var out [][]byte
	for rows.Next() {
		var k []byte
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		out = append(out, bytes.Clone(k))
	}
	return out, rows.Err()
}
