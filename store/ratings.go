package store

import (
	"context"
	"time"

	"eyelevel"
)

// CreateRating stores a rating; ECONFLICT if the session has one. With
// r.CommentSealed set, the comment is stored only sealed.
func (db *DB) CreateRating(ctx context.Context, r eyelevel.Rating) error {
	if len(r.CommentSealed) > 0 {
		r.Comment = ""
	}
	_, err := db.wq(ctx).ExecContext(ctx, `INSERT INTO ratings (appointment_id, counselor_id, client_id, stars, comment, created_at, comment_sealed) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		string(r.AppointmentID), string(r.CounselorID), string(r.ClientID), r.Stars, r.Comment, unix(r.CreatedAt), nonNil(r.CommentSealed))
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
	return db.queryAppointments(ctx, appointmentSelect+` WHERE a.client_id = $1 AND a.status = 'booked' AND a.end_at > $2 AND a.end_at <= $3
		AND NOT EXISTS (SELECT 1 FROM ratings r WHERE r.appointment_id = a.id) ORDER BY a.end_at DESC LIMIT 20`, string(client), unix(since), unix(until))
}

// RatingRow is one rating with what aggregating needs; the service never
// passes rows on, only aggregates of enough clients.
type RatingRow struct {
	AppointmentID eyelevel.AppointmentID
	CounselorID   eyelevel.UserID
	DisplayName   string
	ClientID      eyelevel.UserID
	Stars         int
	Comment       string
	CreatedAt     time.Time
	// CommentSealed is the comment at rest (Comment is then "").
	CommentSealed []byte
}

// RatingRows returns the ratings given before before — of one counselor, or
// of every counselor with counselor "" — by display name, counselor and
// time. Declined ratings are left out.
func (db *DB) RatingRows(ctx context.Context, counselor eyelevel.UserID, before time.Time) ([]RatingRow, error) {
	q, args := `SELECT r.appointment_id, r.counselor_id, c.display_name, r.client_id, r.stars, r.comment, r.created_at, r.comment_sealed FROM ratings r JOIN counselors c ON c.user_id = r.counselor_id
		WHERE r.stars > 0 AND r.created_at < $1`, []any{unix(before)}
	if counselor != "" {
		q, args = q+` AND r.counselor_id = $2`, append(args, string(counselor))
	}
	rows, err := db.rq(ctx).QueryContext(ctx, q+` ORDER BY c.display_name, r.counselor_id, r.created_at`, args...)
	if err != nil {
		return nil, db.wrap(err, "select ratings")
	}
	defer rows.Close()
	var out []RatingRow
	for rows.Next() {
		var r RatingRow
		var created int64
		if err := rows.Scan(&r.AppointmentID, &r.CounselorID, &r.DisplayName, &r.ClientID, &r.Stars, &r.Comment, &created, &r.CommentSealed); err != nil {
			return nil, db.wrap(err, "scan rating")
		}
		r.CreatedAt = fromUnix(created)
		out = append(out, r)
	}
	return out, db.wrap(rows.Err(), "select ratings")
}

// ClientRatings returns the ratings a client gave, declined ones included,
// oldest first (for the client's own data export).
func (db *DB) ClientRatings(ctx context.Context, client eyelevel.UserID) ([]eyelevel.Rating, error) {
	rows, err := db.rq(ctx).QueryContext(ctx, `SELECT appointment_id, counselor_id, client_id, stars, comment, created_at, comment_sealed FROM ratings WHERE client_id = $1 ORDER BY created_at LIMIT 10000`, string(client))
	if err != nil {
		return nil, db.wrap(err, "select ratings")
	}
	defer rows.Close()
	var out []eyelevel.Rating
	for rows.Next() {
		var r eyelevel.Rating
		var created int64
		if err := rows.Scan(&r.AppointmentID, &r.CounselorID, &r.ClientID, &r.Stars, &r.Comment, &created, &r.CommentSealed); err != nil {
			return nil, db.wrap(err, "scan rating")
		}
		r.CreatedAt = fromUnix(created)
		out = append(out, r)
	}
	return out, db.wrap(rows.Err(), "select ratings")
}
