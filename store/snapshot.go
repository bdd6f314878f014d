package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"eyelevel"
)

// ReportSnapshot returns the stored figures of a closed report period
// (kind "impact" or "buyer", scope "" or a contract id), or ENOTFOUND.
func (db *DB) ReportSnapshot(ctx context.Context, kind, scope, period string) ([]byte, error) {
	var body string
	err := db.rq(ctx).QueryRowContext(ctx, `SELECT body FROM report_snapshots WHERE kind = $1 AND scope = $2 AND period = $3`, kind, scope, period).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, eyelevel.ErrNotFound()
	}
	return []byte(body), db.wrap(err, "select report snapshot")
}

// PutReportSnapshot stores the figures of a closed report period unless
// some are stored already: the first stay, as published. It returns the
// stored body (the existing one after a race).
func (db *DB) PutReportSnapshot(ctx context.Context, kind, scope, period string, body []byte, now time.Time) ([]byte, error) {
	_, err := db.wq(ctx).ExecContext(ctx, `INSERT INTO report_snapshots (kind, scope, period, body, created_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (kind, scope, period) DO NOTHING`, kind, scope, period, string(body), unix(now))
	if err != nil {
		return nil, db.wrap(err, "insert report snapshot")
	}
	return db.ReportSnapshot(ctx, kind, scope, period)
}

// ReportSnapshotKeys lists the stored report snapshots as kind, scope and
// period joined by "/", so that the snapshot job skips them without
// reading their bodies.
func (db *DB) ReportSnapshotKeys(ctx context.Context) (map[string]bool, error) {
	rows, err := db.rq(ctx).QueryContext(ctx, `SELECT kind, scope, period FROM report_snapshots`)
	if err != nil {
		return nil, db.wrap(err, "select report snapshot keys")
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var kind, scope, period string
		if err := rows.Scan(&kind, &scope, &period); err != nil {
			return nil, db.wrap(err, "scan report snapshot key")
		}
		out[kind+"/"+scope+"/"+period] = true
	}
	return out, db.wrap(rows.Err(), "select report snapshot keys")
}

// EarliestReportData returns the first moment any report figure can rest
// on — the earliest session start, questionnaire response or rating — or
// the zero time when there is none.
func (db *DB) EarliestReportData(ctx context.Context) (time.Time, error) {
	var at int64
	err := db.rq(ctx).QueryRowContext(ctx, `SELECT COALESCE(min(t), 0) FROM (
			SELECT min(start_at) AS t FROM appointments
			UNION ALL SELECT min(created_at) FROM responses
			UNION ALL SELECT min(created_at) FROM ratings) m WHERE t IS NOT NULL`).Scan(&at)
	return fromUnix(at), db.wrap(err, "select earliest report data")
}
