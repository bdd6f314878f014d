package store

import (
	"context"
	"time"
)

// The queries behind the impact report. They return counts and scores
// without client IDs; the service aggregates and suppresses small groups.

// SessionsHeld counts sessions held (attendance 'held': both joined; a
// no-show is not a session) that ended in [from, to) and by now, and the
// distinct clients who had them.
func (db *DB) SessionsHeld(ctx context.Context, from, to, now time.Time) (sessions, clients int, err error) {
	err = db.rq(ctx).QueryRowContext(ctx, `SELECT count(*), count(DISTINCT client_id) FROM appointments WHERE status = 'booked' AND attendance = 'held' AND end_at >= $1 AND end_at < $2 AND end_at <= $3`,
		unix(from), unix(to), unix(now)).Scan(&sessions, &clients)
	return sessions, clients, db.wrap(err, "select sessions held")
}

// OutcomePairs returns, for each client whose latest post-course response to
// the instrument falls in [from, to), that post score and the intake score
// of the same course (the latest intake before it). Clients without an
// intake are left out.
func (db *DB) OutcomePairs(ctx context.Context, instrument string, from, to time.Time) ([][2]int, error) {
	return db.outcomePairs(ctx, instrument, from, to, "")
}

// outcomePairs is OutcomePairs, for the clients with a session held on
// contract when contract is not "".
func (db *DB) outcomePairs(ctx context.Context, instrument string, from, to time.Time, contract string) ([][2]int, error) {
	rows, err := db.rq(ctx).QueryContext(ctx, `SELECT client_id, occasion, score, created_at FROM responses
		WHERE instrument = $1 AND occasion IN ('intake', 'post') AND client_id IN
			(SELECT client_id FROM responses WHERE instrument = $1 AND occasion = 'post' AND created_at >= $2 AND created_at < $3)
		AND ($4 = '' OR client_id IN (SELECT client_id FROM appointments WHERE contract_id = $4 AND attendance = 'held'))
		ORDER BY client_id, created_at, id`, instrument, unix(from), unix(to), contract)
	if err != nil {
		return nil, db.wrap(err, "select outcomes")
	}
	defer rows.Close()
	var out [][2]int
	var cur string
	intake, pair := -1, [2]int{-1, -1}
	flush := func() {
		if pair[0] >= 0 {
			out = append(out, pair)
		}
		intake, pair = -1, [2]int{-1, -1}
	}
	for rows.Next() {
		var client, occasion string
		var score int
		var created int64
		if err := rows.Scan(&client, &occasion, &score, &created); err != nil {
			return nil, db.wrap(err, "scan outcome")
		}
		if client != cur {
			flush()
			cur = client
		}
		switch {
		case occasion == "intake":
			intake = score
		case occasion == "post" && created >= unix(from) && created < unix(to) && intake >= 0:
			pair = [2]int{intake, score}
		}
	}
	flush()
	return out, db.wrap(rows.Err(), "select outcomes")
}

// FollowUps counts the clients whose follow-up window — opening after
// since their last session held and open for window — closed in
// [from, to), and how many of them filled in a follow-up questionnaire
// in it. Counting by the window's close makes a closed period's figure final.
func (db *DB) FollowUps(ctx context.Context, from, to time.Time, after, window time.Duration) (due, done int, err error) {
	shift := int64((after + window) / time.Second)
	// Only clients with a session ending in the shifted period can have
	// their last one there: the end_at index finds them, the client index
	// then their other sessions.
	lo, hi := unix(from)-shift, unix(to)-shift
	err = db.rq(ctx).QueryRowContext(ctx, `SELECT count(*), COALESCE(SUM(CASE WHEN EXISTS (
			SELECT 1 FROM responses r WHERE r.client_id = l.client_id AND r.occasion = 'followup' AND r.created_at >= l.last_end AND r.created_at < l.last_end + $1) THEN 1 ELSE 0 END), 0)
		FROM (SELECT client_id, max(end_at) AS last_end FROM appointments
			WHERE status = 'booked' AND attendance = 'held' AND client_id IN (SELECT client_id FROM appointments WHERE status = 'booked' AND attendance = 'held' AND end_at >= $2 AND end_at < $3)
			GROUP BY client_id) l
		WHERE l.last_end >= $2 AND l.last_end < $3`,
		shift, lo, hi).Scan(&due, &done)
	return due, done, db.wrap(err, "select follow-ups")
}

// RatingsIn returns how many sessions held were rated in [from, to) and the
// sum of their stars; declined ratings are left out.
func (db *DB) RatingsIn(ctx context.Context, from, to time.Time) (n, sum int, err error) {
	err = db.rq(ctx).QueryRowContext(ctx, `SELECT count(*), COALESCE(SUM(r.stars), 0) FROM ratings r JOIN appointments a ON a.id = r.appointment_id
		WHERE a.attendance = 'held' AND r.stars > 0 AND r.created_at >= $1 AND r.created_at < $2`,
		unix(from), unix(to)).Scan(&n, &sum)
	return n, sum, db.wrap(err, "select ratings")
}
