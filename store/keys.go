package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"eyelevel"
)

// KeyRoot is the wrapped root secret of derived keys (migration 0012_keys).
type KeyRoot struct {
	KeyID   string
	Wrapped []byte
}

// KeyRoot returns the wrapped root secret, or ENOTFOUND before it exists.
func (db *DB) KeyRoot(ctx context.Context) (KeyRoot, error) {
	var r KeyRoot
	err := db.rq(ctx).QueryRowContext(ctx, `SELECT key_id, wrapped FROM key_root WHERE id = 1`).Scan(&r.KeyID, &r.Wrapped)
	if errors.Is(err, sql.ErrNoRows) {
		return r, eyelevel.ErrNotFound()
	}
	return r, db.wrap(err, "select key root")
}

// CreateKeyRoot stores the wrapped root secret unless one exists already
// (another process was first); created reports which.
func (db *DB) CreateKeyRoot(ctx context.Context, r KeyRoot, at time.Time) (created bool, err error) {
	res, err := db.wq(ctx).ExecContext(ctx, `INSERT INTO key_root (id, key_id, wrapped, created_at) VALUES (1, $1, $2, $3) ON CONFLICT (id) DO NOTHING`,
		r.KeyID, r.Wrapped, unix(at))
	if err != nil {
		return false, db.wrap(err, "insert key root")
	}
	n, err := res.RowsAffected()
	return n == 1, db.wrap(err, "insert key root")
}

// RewrapKeyRoot replaces the wrapped root secret if it is still wrapped
// under oldID; done reports whether it was.
func (db *DB) RewrapKeyRoot(ctx context.Context, oldID string, r KeyRoot) (done bool, err error) {
	res, err := db.wq(ctx).ExecContext(ctx, `UPDATE key_root SET key_id = $1, wrapped = $2 WHERE id = 1 AND key_id = $3`, r.KeyID, r.Wrapped, oldID)
	if err != nil {
		return false, db.wrap(err, "update key root")
	}
	n, err := res.RowsAffected()
	return n == 1, db.wrap(err, "update key root")
}

// ClientKeysUnder returns up to limit wrapped client keys under one of the
// master keys ids, in client order.
func (db *DB) ClientKeysUnder(ctx context.Context, ids []string, limit int) ([]ClientKey, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := make([]any, 0, len(ids)+1)
	marks := make([]string, len(ids))
	for i, id := range ids {
		args = append(args, id)
		marks[i] = fmt.Sprintf("$%d", i+1)
	}
	args = append(args, limit)
	rows, err := db.rq(ctx).QueryContext(ctx, `SELECT client_id, key_id, wrapped FROM client_keys WHERE key_id IN (`+strings.Join(marks, ", ")+`)
		ORDER BY client_id LIMIT $`+fmt.Sprint(len(args)), args...)
	if err != nil {
		return nil, db.wrap(err, "select client keys")
	}
	defer rows.Close()
	var out []ClientKey
	for rows.Next() {
		var k ClientKey
		var id string
		if err := rows.Scan(&id, &k.KeyID, &k.Wrapped); err != nil {
			return nil, db.wrap(err, "scan client key")
		}
		k.ClientID = eyelevel.UserID(id)
		out = append(out, k)
	}
	return out, db.wrap(rows.Err(), "select client keys")
}

// RewrapClientKey replaces a client's wrapped key if it is still wrapped
// under oldID: a key replaced or deleted meanwhile is left alone. done
// reports whether it was replaced.
func (db *DB) RewrapClientKey(ctx context.Context, oldID string, k ClientKey) (done bool, err error) {
	res, err := db.wq(ctx).ExecContext(ctx, `UPDATE client_keys SET key_id = $1, wrapped = $2 WHERE client_id = $3 AND key_id = $4`,
		k.KeyID, k.Wrapped, string(k.ClientID), oldID)
	if err != nil {
		return false, db.wrap(err, "update client key")
	}
	n, err := res.RowsAffected()
	return n == 1, db.wrap(err, "update client key")
}

// KeyUse counts the wrapped keys under each master key ID: clients' data
// keys and the root secret of derived keys.
func (db *DB) KeyUse(ctx context.Context) (map[string]int, error) {
	rows, err := db.rq(ctx).QueryContext(ctx, `SELECT key_id, count(*) FROM client_keys GROUP BY key_id
		UNION ALL SELECT key_id, 1 FROM key_root`)
	if err != nil {
		return nil, db.wrap(err, "count key use")
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, db.wrap(err, "count key use")
		}
		out[id] += n
	}
	return out, db.wrap(rows.Err(), "count key use")
}

// MigrationLevel returns the name of the last migration applied.
func (db *DB) MigrationLevel(ctx context.Context) (string, error) {
	var name string
	err := db.rq(ctx).QueryRowContext(ctx, `SELECT max(name) FROM schema_migrations`).Scan(&name)
	return name, db.wrap(err, "select migration level")
}
