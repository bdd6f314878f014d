package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"eyelevel"
)

// ClientCounselors lists the client's counselors as of since (see
// clientsOf and counselorsOf), at most 100.
func (db *DB) ClientCounselors(ctx context.Context, client eyelevel.UserID, since time.Time) ([]eyelevel.UserID, error) {
	rows, err := db.rq(ctx).QueryContext(ctx, `SELECT counselor_id FROM (`+counselorsOf("$1", "$2")+`) c ORDER BY counselor_id LIMIT 100`,
		string(client), unix(since))
	if err != nil {
		return nil, db.wrap(err, "select client counselors")
	}
	defer rows.Close()
	var out []eyelevel.UserID
	for rows.Next() {
		var id eyelevel.UserID
		if err := rows.Scan(&id); err != nil {
			return nil, db.wrap(err, "scan client counselor")
		}
		out = append(out, id)
	}
	return out, db.wrap(rows.Err(), "select client counselors")
}

// AlertsToEscalate lists open alerts not yet escalated, raised after
// createdAfter, that were raised before createdBefore or whose client has
// no counselor as of since (see counselorsOf); oldest first,
// at most limit.
func (db *DB) AlertsToEscalate(ctx context.Context, createdAfter, createdBefore, since time.Time, limit int) ([]eyelevel.SafetyAlert, error) {
	rows, err := db.rq(ctx).QueryContext(ctx, alertSelect+` WHERE s.acknowledged_at = 0 AND s.escalated_at = 0 AND s.created_at > $1
		AND (s.created_at <= $2 OR NOT EXISTS (`+counselorsOf("s.client_id", "$3")+`))
		ORDER BY s.created_at LIMIT $4`, unix(createdAfter), unix(createdBefore), unix(since), limit)
	if err != nil {
		return nil, db.wrap(err, "select alerts to escalate")
	}
	return db.scanAlerts(rows)
}

// MarkAlertEscalated records that the alert went to the duty contact at
// at, unless it already had or someone acknowledged it meanwhile (the
// list of alerts to escalate is read before); it reports whether it did.
func (db *DB) MarkAlertEscalated(ctx context.Context, id string, at time.Time) (bool, error) {
	res, err := db.wq(ctx).ExecContext(ctx, `UPDATE safety_alerts SET escalated_at = $1 WHERE id = $2 AND escalated_at = 0 AND acknowledged_at = 0`, unix(at), id)
	if err != nil {
		return false, db.wrap(err, "update safety alert escalated")
	}
	n, err := res.RowsAffected()
	return n == 1, db.wrap(err, "update safety alert escalated")
}

// AlertEscalatedAt returns when the alert went to the duty contact (zero:
// not) or ENOTFOUND.
func (db *DB) AlertEscalatedAt(ctx context.Context, id string) (time.Time, error) {
	var at int64
	err := db.rq(ctx).QueryRowContext(ctx, `SELECT escalated_at FROM safety_alerts WHERE id = $1`, id).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, eyelevel.ErrNotFound()
	}
	return fromUnix(at), db.wrap(err, "select safety alert")
}

// HasEscalatedAlert reports whether one of the client's alerts went to
// the duty contact after since.
func (db *DB) HasEscalatedAlert(ctx context.Context, client eyelevel.UserID, since time.Time) (bool, error) {
	var n int
	err := db.rq(ctx).QueryRowContext(ctx, `SELECT count(*) FROM safety_alerts WHERE client_id = $1 AND escalated_at > $2`, string(client), unix(since)).Scan(&n)
	return n > 0, db.wrap(err, "select escalated alerts")
}

// HasOpenAlertSince reports whether the client has an alert other than
// except that nobody acknowledged yet, raised after since.
func (db *DB) HasOpenAlertSince(ctx context.Context, client eyelevel.UserID, since time.Time, except string) (bool, error) {
	var n int
	err := db.rq(ctx).QueryRowContext(ctx, `SELECT count(*) FROM safety_alerts WHERE client_id = $1 AND acknowledged_at = 0 AND created_at > $2 AND id <> $3`,
		string(client), unix(since), except).Scan(&n)
	return n > 0, db.wrap(err, "select open alerts")
}
