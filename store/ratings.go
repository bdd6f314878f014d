package store

import (
	"context"
	"time"

	"eyelevel"
)

// Rating is a client's rating of one session; Stars 0 means they declined.
type Rating struct {
	AppointmentID eyelevel.AppointmentID
	CounselorID   eyelevel.UserID
	ClientID      eyelevel.UserID
	Stars         int
	Comment       string
	CreatedAt     time.Time
}

// CreateRating stores a rating; ECONFLICT if the session has one.
func (db *DB) CreateRating(ctx context.Context, r Rating) error {
	_, err := db.wq(ctx).ExecContext(ctx, `INSERT INTO ratings (appointment_id, counselor_id, client_id, stars, comment, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		string(r.AppointmentID), string(r.CounselorID), string(r.ClientID), r.Stars, r.Comment, unix(r.CreatedAt))
	return db.wrap(err, "insert rating")
}

// Rated reports whether a session has a rating (or a declined one).
func (db *DB) Rated(ctx context.Context, id eyelevel.AppointmentID) (bool, error) {
	var n int
	err := db.rq(ctx).QueryRowContext(ctx, `SELECT count(*) FROM ratings WHERE appointment_id = $1`, string(id)).Scan(&n)
	return n > 0, db.wrap(err, "select rating")
}

// UnratedSessions lists a client's booked sessions that ended in
// (since, until] and have no rating yet, newest first.
func (db *DB) UnratedSessions(ctx context.Context, client eyelevel.UserID, since, until time.Time) ([]eyelevel.Appointment, error) {
	rows, err := db.rq(ctx).QueryContext(ctx, appointmentSelect+` WHERE a.client_id = $1 AND a.status = 'booked' AND a.end_at > $2 AND a.end_at <= $3
		AND NOT EXISTS (SELECT 1 FROM ratings r WHERE r.appointment_id = a.id) ORDER BY a.end_at DESC LIMIT 20`, string(client), unix(since), unix(until))
	if err != nil {
		return nil, db.wrap(err, "select unrated sessions")
	}
	defer rows.Close()
	var out []eyelevel.Appointment
	for rows.Next() {
		a, err := scanAppointment(rows)
		if err != nil {
			return nil, db.wrap(err, "scan appointment")
		}
		out = append(out, a)
	}
	return out, db.wrap(rows.Err(), "select unrated sessions")
}

// RatingSummary aggregates one counselor's ratings.
type RatingSummary struct {
	CounselorID  eyelevel.UserID
	DisplayName  string
	Count        int
	Sum          int
	Distribution [6]int // index = stars, 1–5
}

// RatingSummaries aggregates the ratings of one counselor, or of every
// counselor with counselor "", by display name. Declined ratings are left out.
func (db *DB) RatingSummaries(ctx context.Context, counselor eyelevel.UserID) ([]RatingSummary, error) {
	q, args := `SELECT r.counselor_id, c.display_name, r.stars, count(*) FROM ratings r JOIN counselors c ON c.user_id = r.counselor_id WHERE r.stars > 0`, []any{}
	if counselor != "" {
		q, args = q+` AND r.counselor_id = $1`, append(args, string(counselor))
	}
	rows, err := db.rq(ctx).QueryContext(ctx, q+` GROUP BY r.counselor_id, c.display_name, r.stars ORDER BY c.display_name, r.counselor_id`, args...)
	if err != nil {
		return nil, db.wrap(err, "select ratings")
	}
	defer rows.Close()
	var out []RatingSummary
	for rows.Next() {
		var id eyelevel.UserID
		var name string
		var stars, n int
		if err := rows.Scan(&id, &name, &stars, &n); err != nil {
			return nil, db.wrap(err, "scan ratings")
		}
		if len(out) == 0 || out[len(out)-1].CounselorID != id {
			out = append(out, RatingSummary{CounselorID: id, DisplayName: name})
		}
		s := &out[len(out)-1]
		s.Count += n
		s.Sum += stars * n
		if stars >= 1 && stars <= 5 {
			s.Distribution[stars] += n
		}
	}
	return out, db.wrap(rows.Err(), "select ratings")
}

// RatingComments returns a counselor's rating comments in alphabetical
// order, so that their order tells nothing about when or by whom.
func (db *DB) RatingComments(ctx context.Context, counselor eyelevel.UserID) ([]string, error) {
	rows, err := db.rq(ctx).QueryContext(ctx, `SELECT comment FROM ratings WHERE counselor_id = $1 AND stars > 0 AND comment <> '' ORDER BY comment LIMIT 200`, string(counselor))
	if err != nil {
		return nil, db.wrap(err, "select comments")
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, db.wrap(err, "scan comment")
		}
		out = append(out, c)
	}
	return out, db.wrap(rows.Err(), "select comments")
}
