package store

import (
	"context"
	"time"

	"eyelevel"
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
// intake are left out. Scores are sealed: score gives each response's
// (the service opens it), called after the query's rows are closed, in
// order of client.
func (db *DB) OutcomePairs(ctx context.Context, instrument string, from, to time.Time, score ScoreOf) ([][2]int, error) {
	return db.outcomePairs(ctx, instrument, from, to, "", score)
}

// ScoreOf returns the score of a response read with only its id, client,
// occasion, creation time and sealed fields (or a plain score) filled in.
type ScoreOf func(eyelevel.Response) (int, error)

// outcomePairs is OutcomePairs, for the clients with a session held on
// contract when contract is not "".
func (db *DB) outcomePairs(ctx context.Context, instrument string, from, to time.Time, contract string, score ScoreOf) ([][2]int, error) {
	rows, err := db.rq(ctx).QueryContext(ctx, `SELECT id, client_id, occasion, score, created_at, sealed FROM responses
		WHERE instrument = $1 AND occasion IN ('intake', 'post') AND client_id IN
			(SELECT client_id FROM responses WHERE instrument = $1 AND occasion = 'post' AND created_at >= $2 AND created_at < $3)
		AND ($4 = '' OR client_id IN (SELECT client_id FROM appointments WHERE contract_id = $4 AND contract_id <> '' AND attendance = 'held'))
		ORDER BY client_id, created_at, id`, instrument, unix(from), unix(to), contract)
	if err != nil {
		return nil, db.wrap(err, "select outcomes")
	}
	var rs []eyelevel.Response
	for rows.Next() {
		var r eyelevel.Response
		var created int64
		if err := rows.Scan(&r.ID, &r.ClientID, &r.Occasion, &r.Score, &created, &r.Sealed); err != nil {
			rows.Close()
			return nil, db.wrap(err, "scan outcome")
		}
		r.Instrument, r.CreatedAt = instrument, fromUnix(created)
		rs = append(rs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, db.wrap(err, "select outcomes")
	}
	var out [][2]int
	var cur eyelevel.UserID
	intake, pair := -1, [2]int{-1, -1}
	flush := func() {
		if pair[0] >= 0 {
			out = append(out, pair)
		}
		intake, pair = -1, [2]int{-1, -1}
	}
	for _, r := range rs {
		if r.ClientID != cur {
			flush()
			cur = r.ClientID
		}
		inPeriod := !r.CreatedAt.Before(from) && r.CreatedAt.Before(to)
		if r.Occasion != "intake" && !(r.Occasion == "post" && inPeriod && intake >= 0) {
			continue
		}
		sc, err := score(r)
		if err != nil {
			return nil, err
		}
		if r.Occasion == "intake" {
			intake = sc
		} else {
			pair = [2]int{intake, sc}
		}
	}
	flush()
	return out, nil
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
