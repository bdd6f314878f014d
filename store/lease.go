package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// A lease names the one node that may do something for a while: the
// background jobs (cmd/eyelevel/leader.go). Its expiry is measured on the
// database's clock (Clock), the one clock every node shares.

// Lease is who holds a named lease and until when. A zero Lease is free.
type Lease struct {
	Holder  string
	Expires time.Time
}

// Clock returns the database's current time: on PostgreSQL the server's
// clock, which every node sees alike; SQLite has one node, and its clock.
func (db *DB) Clock(ctx context.Context) (time.Time, error) {
	if db.dialect != Postgres {
		return time.Now(), nil
	}
	var ms int64
	err := db.rq(ctx).QueryRowContext(ctx, `SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint`).Scan(&ms)
	return time.UnixMilli(ms), db.wrap(err, "read the database clock")
}

// TakeLease gives the lease name to holder until now+ttl if it is free,
// expired at now, or holder's already (a renewal). One conditional upsert
// decides, so of any number of contenders at most one holds it at a time;
// it commits on its own, outside any transaction, so that a node frozen
// midway holds no lock that would keep the others from taking over. now
// must come from Clock. A renewal never shortens the lease: one delayed
// behind a later one (a retry after a timeout) must not end the lease in
// the database before the holder stops trusting it. It returns the lease
// as it stands afterwards:
// holder has it if Holder is holder.
func (db *DB) TakeLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (Lease, error) {
	var l Lease
	var ms int64
	err := db.wq(ctx).QueryRowContext(ctx, `INSERT INTO leases (name, holder, expires_ms) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder,
			expires_ms = CASE WHEN leases.holder = excluded.holder AND leases.expires_ms > excluded.expires_ms
				THEN leases.expires_ms ELSE excluded.expires_ms END
		WHERE leases.holder = excluded.holder OR leases.expires_ms <= $4
		RETURNING holder, expires_ms`,
		name, holder, now.Add(ttl).UnixMilli(), now.UnixMilli()).Scan(&l.Holder, &ms)
	if errors.Is(err, sql.ErrNoRows) {
		return db.lease(ctx, name) // another's, and not expired
	} else if err != nil {
		return Lease{}, db.wrap(err, "take lease")
	}
	l.Expires = time.UnixMilli(ms)
	return l, nil
}

// ReleaseLease frees the lease if holder has it, so that another node may
// take it at once rather than when it expires.
func (db *DB) ReleaseLease(ctx context.Context, name, holder string) error {
	_, err := db.wq(ctx).ExecContext(ctx, `DELETE FROM leases WHERE name = $1 AND holder = $2`, name, holder)
	return db.wrap(err, "release lease")
}

// LeaseOf returns the lease name as it stands (a zero Lease if nobody has
// taken it, or it was released); it may have expired.
func (db *DB) LeaseOf(ctx context.Context, name string) (Lease, error) { return db.lease(ctx, name) }

func (db *DB) lease(ctx context.Context, name string) (Lease, error) {
	var l Lease
	var ms int64
	err := db.rq(ctx).QueryRowContext(ctx, `SELECT holder, expires_ms FROM leases WHERE name = $1`, name).Scan(&l.Holder, &ms)
	if errors.Is(err, sql.ErrNoRows) {
		return Lease{}, nil
	}
	l.Expires = time.UnixMilli(ms)
	return l, db.wrap(err, "select lease")
}
