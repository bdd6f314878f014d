package store

import (
	"context"
	"time"

	"eyelevel"
)

// InactiveClient is a client account without a login or a session since
// a point in time, for the retention job.
type InactiveClient struct {
	ID         eyelevel.UserID
	LastActive time.Time // the last request (the listing's order, with ID)
	LastSeen   time.Time // the last request, session end or the creation, whichever is latest
	WarnedAt   time.Time // zero: not warned yet
}

// InactiveClients lists up to limit client accounts that need the
// retention job now: no request, no booked session ending and no
// creation since since — so none with a session ahead — and either not
// warned yet or warned by warnedBy (the notice is over). Warned accounts
// still inside their notice are left out, so that they never crowd out
// the others. The order is the last request, then the id; the listing
// starts after after (its LastActive and ID; the zero value: from the
// start), so that a caller pages through all with the last one it got.
func (db *DB) InactiveClients(ctx context.Context, since, warnedBy time.Time, after InactiveClient, limit int) ([]InactiveClient, error) {
	rows, err := db.rq(ctx).QueryContext(ctx, `SELECT u.id, u.last_active_at, u.created_at,
			COALESCE((SELECT max(a.end_at) FROM appointments a WHERE a.client_id = u.id AND a.status = 'booked'), 0),
			COALESCE(w.warned_at, 0)
		FROM users u LEFT JOIN retention_warnings w ON w.user_id = u.id
		WHERE u.role = 'client' AND u.last_active_at < $1 AND u.created_at < $1
			AND NOT EXISTS (SELECT 1 FROM appointments a WHERE a.client_id = u.id AND a.status = 'booked' AND a.end_at >= $1)
			AND (w.warned_at IS NULL OR w.warned_at <= $2)
			AND (u.last_active_at > $3 OR (u.last_active_at = $3 AND u.id > $4))
		ORDER BY u.last_active_at, u.id LIMIT $5`, unix(since), unix(warnedBy), unixOrZero(after.LastActive), string(after.ID), limit)
	if err != nil {
		return nil, db.wrap(err, "select inactive clients")
	}
	defer rows.Close()
	var out []InactiveClient
	for rows.Next() {
		var c InactiveClient
		var active, created, ended, warned int64
		if err := rows.Scan(&c.ID, &active, &created, &ended, &warned); err != nil {
			return nil, db.wrap(err, "scan inactive client")
		}
		c.LastActive, c.LastSeen, c.WarnedAt = time.Unix(active, 0).UTC(), fromUnix(max(active, created, ended)), fromUnix(warned)
		out = append(out, c)
	}
	return out, db.wrap(rows.Err(), "select inactive clients")
}

// WarnRetention records that user was warned at at of the deletion of
// their account.
func (db *DB) WarnRetention(ctx context.Context, user eyelevel.UserID, at time.Time) error {
	_, err := db.wq(ctx).ExecContext(ctx, `INSERT INTO retention_warnings (user_id, warned_at) VALUES ($1, $2)`, string(user), unix(at))
	return db.wrap(err, "insert retention warning")
}

// RetentionWarnedAt returns when user was warned, or the zero time.
func (db *DB) RetentionWarnedAt(ctx context.Context, user eyelevel.UserID) (time.Time, error) {
	var at int64
	err := db.rq(ctx).QueryRowContext(ctx, `SELECT COALESCE(max(warned_at), 0) FROM retention_warnings WHERE user_id = $1`, string(user)).Scan(&at)
	return fromUnix(at), db.wrap(err, "select retention warning")
}

// ClearRetentionWarnings deletes the warnings of accounts used again
// since: a request, or a booked session ending or booked after the
// warning. It returns how many.
func (db *DB) ClearRetentionWarnings(ctx context.Context) (int64, error) {
	res, err := db.wq(ctx).ExecContext(ctx, `DELETE FROM retention_warnings WHERE user_id IN (
		SELECT w.user_id FROM retention_warnings w JOIN users u ON u.id = w.user_id
		WHERE u.last_active_at > w.warned_at OR EXISTS (SELECT 1 FROM appointments a WHERE a.client_id = w.user_id AND a.status = 'booked' AND (a.end_at > w.warned_at OR a.created_at > w.warned_at)))`)
	if err != nil {
		return 0, db.wrap(err, "delete retention warnings")
	}
	return res.RowsAffected()
}
