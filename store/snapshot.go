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
