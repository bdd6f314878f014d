package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"eyelevel"
)

// ClientKey is a client's data key, wrapped by the master key KeyID.
type ClientKey struct {
	ClientID eyelevel.UserID
	KeyID    string
	Wrapped  []byte
}

// ClientKey returns the client's wrapped data key, or ENOTFOUND.
func (db *DB) ClientKey(ctx context.Context, client eyelevel.UserID) (ClientKey, error) {
	k := ClientKey{ClientID: client}
	err := db.rq(ctx).QueryRowContext(ctx, `SELECT key_id, wrapped FROM client_keys WHERE client_id = $1`, string(client)).Scan(&k.KeyID, &k.Wrapped)
	if errors.Is(err, sql.ErrNoRows) {
		return k, eyelevel.ErrNotFound()
	}
	return k, db.wrap(err, "select client key")
}

// CreateClientKey stores a client's wrapped data key; ECONFLICT if the
// client has one.
func (db *DB) CreateClientKey(ctx context.Context, k ClientKey, at time.Time) error {
	_, err := db.wq(ctx).ExecContext(ctx, `INSERT INTO client_keys (client_id, key_id, wrapped, created_at) VALUES ($1, $2, $3, $4)`,
		string(k.ClientID), k.KeyID, k.Wrapped, unix(at))
	return db.wrap(err, "insert client key")
}

// KeyIDsInUse returns the distinct master key IDs that wrap client keys, so
// the server can warn at start when it lacks one of them.
func (db *DB) KeyIDsInUse(ctx context.Context) ([]string, error) {
	rows, err := db.rq(ctx).QueryContext(ctx, `SELECT DISTINCT key_id FROM client_keys`)
	if err != nil {
		return nil, db.wrap(err, "select key ids")
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, db.wrap(err, "scan key id")
		}
		out = append(out, id)
	}
	return out, db.wrap(rows.Err(), "select key ids")
}

// PutReflection inserts or replaces a client's reflection on a step.
func (db *DB) PutReflection(ctx context.Context, r eyelevel.Reflection) error {
	_, err := db.wq(ctx).ExecContext(ctx, `INSERT INTO reflections (client_id, step, sealed, done, shared_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (client_id, step) DO UPDATE SET sealed = excluded.sealed, done = excluded.done, shared_at = excluded.shared_at, updated_at = excluded.updated_at`,
		string(r.ClientID), r.Step, r.Sealed, r.Done, unix(r.SharedAt), unix(r.UpdatedAt))
	return db.wrap(err, "upsert reflection")
}

// Reflections returns a client's reflections by step; sharedOnly leaves out
// those not shared with the counselor.
func (db *DB) Reflections(ctx context.Context, client eyelevel.UserID, sharedOnly bool) ([]eyelevel.Reflection, error) {
	q := `SELECT step, sealed, done, shared_at, updated_at FROM reflections WHERE client_id = $1`
	if sharedOnly {
		q += ` AND shared_at > 0`
	}
	rows, err := db.rq(ctx).QueryContext(ctx, q+` ORDER BY step`, string(client))
	if err != nil {
		return nil, db.wrap(err, "select reflections")
	}
	defer rows.Close()
	var out []eyelevel.Reflection
	for rows.Next() {
		r := eyelevel.Reflection{ClientID: client}
		var shared, updated int64
		if err := rows.Scan(&r.Step, &r.Sealed, &r.Done, &shared, &updated); err != nil {
			return nil, db.wrap(err, "scan reflection")
		}
		r.SharedAt, r.UpdatedAt = fromUnix(shared), fromUnix(updated)
		out = append(out, r)
	}
	return out, db.wrap(rows.Err(), "select reflections")
}

// Checkpoint copies SQLite's write-ahead log into the database file and
// empties the log (before a file backup, say). It does nothing on PostgreSQL.
func (db *DB) Checkpoint(ctx context.Context) error {
	if db.dialect != SQLite {
		return nil
	}
	err := db.ck.truncate(ctx, db.w)
	return db.wrap(err, "checkpoint")
}
