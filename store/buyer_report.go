package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"eyelevel"
)

// The queries behind an organization's buyer report and monthly statement.
// Like the impact report's they return counts, never client IDs; the
// service suppresses small groups.

// ContractActivity is what happened on one contract in a period.
type ContractActivity struct {
	CodesIssued       int // access codes created (a shared code counts once)
	CodesRedeemed     int // redemptions, of single-use and shared codes
	Started           int // clients whose first session on the contract began in the period
	Held              int // sessions held that ended in the period
	HeldClients       int
	LateCancels       int // late cancellations of sessions starting in the period
	LateCancelClients int
	NoShows           int // the client's no-shows of sessions ending in the period
	NoShowClients     int
}

// ContractActivity counts one contract's codes and sessions in [from, to).
func (db *DB) ContractActivity(ctx context.Context, contract string, from, to time.Time) (ContractActivity, error) {
	var a ContractActivity
	lo, hi := unix(from), unix(to)
	err := db.rq(ctx).QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM access_codes WHERE contract_id = $1 AND created_at >= $2 AND created_at < $3),
		(SELECT count(*) FROM code_redemptions WHERE contract_id = $1 AND redeemed_at >= $2 AND redeemed_at < $3),
		(SELECT count(*) FROM (SELECT client_id FROM appointments WHERE contract_id = $1 AND contract_id <> '' AND status = 'booked'
			GROUP BY client_id HAVING min(start_at) >= $2 AND min(start_at) < $3) f),
		(SELECT count(*) FROM appointments WHERE contract_id = $1 AND contract_id <> '' AND attendance = 'held' AND end_at >= $2 AND end_at < $3),
		(SELECT count(DISTINCT client_id) FROM appointments WHERE contract_id = $1 AND contract_id <> '' AND attendance = 'held' AND end_at >= $2 AND end_at < $3),
		(SELECT count(*) FROM appointments WHERE contract_id = $1 AND contract_id <> '' AND late_cancel = 1 AND start_at >= $2 AND start_at < $3),
		(SELECT count(DISTINCT client_id) FROM appointments WHERE contract_id = $1 AND contract_id <> '' AND late_cancel = 1 AND start_at >= $2 AND start_at < $3),
		(SELECT count(*) FROM appointments WHERE contract_id = $1 AND contract_id <> '' AND attendance = 'no_show_client' AND end_at >= $2 AND end_at < $3),
		(SELECT count(DISTINCT client_id) FROM appointments WHERE contract_id = $1 AND contract_id <> '' AND attendance = 'no_show_client' AND end_at >= $2 AND end_at < $3)`,
		contract, lo, hi).Scan(&a.CodesIssued, &a.CodesRedeemed, &a.Started, &a.Held, &a.HeldClients, &a.LateCancels, &a.LateCancelClients, &a.NoShows, &a.NoShowClients)
	return a, db.wrap(err, "select contract activity")
}

// ContractLanguages counts the clients with a session held on the contract
// that ended in [from, to), by the language of their account.
func (db *DB) ContractLanguages(ctx context.Context, contract string, from, to time.Time) (map[string]int, error) {
	rows, err := db.rq(ctx).QueryContext(ctx, `SELECT u.language, count(DISTINCT a.client_id) FROM appointments a JOIN users u ON u.id = a.client_id
		WHERE a.contract_id = $1 AND a.contract_id <> '' AND a.attendance = 'held' AND a.end_at >= $2 AND a.end_at < $3 GROUP BY u.language`, contract, unix(from), unix(to))
	if err != nil {
		return nil, db.wrap(err, "select contract languages")
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var lang string
		var n int
		if err := rows.Scan(&lang, &n); err != nil {
			return nil, db.wrap(err, "scan contract language")
		}
		out[lang] = n
	}
	return out, db.wrap(rows.Err(), "select contract languages")
}

// ContractRatings returns the ratings given in [from, to) of the
// contract's sessions held: how many, by how many clients, and their sum.
func (db *DB) ContractRatings(ctx context.Context, contract string, from, to time.Time) (n, raters, sum int, err error) {
	err = db.rq(ctx).QueryRowContext(ctx, `SELECT count(*), count(DISTINCT r.client_id), COALESCE(SUM(r.stars), 0) FROM ratings r
		JOIN appointments a ON a.id = r.appointment_id
		WHERE a.contract_id = $1 AND a.contract_id <> '' AND a.attendance = 'held' AND r.stars > 0 AND r.created_at >= $2 AND r.created_at < $3`,
		contract, unix(from), unix(to)).Scan(&n, &raters, &sum)
	return n, raters, sum, db.wrap(err, "select contract ratings")
}

// ContractOutcomePairs is OutcomePairs for the clients with a session held
// on the contract.
func (db *DB) ContractOutcomePairs(ctx context.Context, contract, instrument string, from, to time.Time, score ScoreOf) ([][2]int, error) {
	if contract == "" {
		return nil, nil
	}
	return db.outcomePairs(ctx, instrument, from, to, contract, score)
}

// RecordCodeRedemption notes that a code of contract was redeemed at at,
// for the buyer report's count; it records nothing about who. Call it in
// the redemption's transaction.
func (db *DB) RecordCodeRedemption(ctx context.Context, contract string, shared bool, at time.Time) error {
	_, err := db.wq(ctx).ExecContext(ctx, `INSERT INTO code_redemptions (contract_id, shared, redeemed_at) VALUES ($1, $2, $3)`,
		contract, boolInt(shared), unix(at))
	return db.wrap(err, "insert code redemption")
}

// MarkHeld sets the attendance of booked appointments that ended before
// now to held, recorded by by; for seeding the demo's past and for tests.
// Appointments with an attendance already keep it.
func (db *DB) MarkHeld(ctx context.Context, ids []eyelevel.AppointmentID, by eyelevel.UserID, now time.Time) error {
	return db.InTx(ctx, func(ctx context.Context) error {
		for _, id := range ids {
			_, err := db.wq(ctx).ExecContext(ctx, `UPDATE appointments SET attendance = 'held', attendance_by = $2, attendance_at = $3
				WHERE id = $1 AND status = 'booked' AND attendance = '' AND end_at <= $3`, string(id), string(by), unix(now))
			if err != nil {
				return db.wrap(err, "mark held")
			}
		}
		return nil
	})
}

// PutSnapshot stores a contract's frozen figures of one period; a second
// snapshot of the same period is ECONFLICT.
func (db *DB) PutSnapshot(ctx context.Context, contract, period string, body []byte, now time.Time) error {
	_, err := db.wq(ctx).ExecContext(ctx, `INSERT INTO contract_snapshots (contract_id, period, body, created_at) VALUES ($1, $2, $3, $4)`,
		contract, period, string(body), unix(now))
	return db.wrap(err, "insert snapshot")
}

// Snapshot returns a contract's frozen figures of one period, or ENOTFOUND.
func (db *DB) Snapshot(ctx context.Context, contract, period string) ([]byte, error) {
	var body string
	err := db.rq(ctx).QueryRowContext(ctx, `SELECT body FROM contract_snapshots WHERE contract_id = $1 AND period = $2`, contract, period).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, eyelevel.ErrNotFound()
	}
	return []byte(body), db.wrap(err, "select snapshot")
}
