package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"eyelevel"
)

// The counselor's workspace: their week, caseload and unread messages.

// WorkSession is one of a counselor's booked sessions with the client's
// pseudonym.
type WorkSession struct {
	ID             eyelevel.AppointmentID
	ClientID       eyelevel.UserID
	ClientUsername string
	Start, End     time.Time
}

// CounselorSessions lists the counselor's booked sessions that end after
// from and start before to, by start time (at most 500).
func (db *DB) CounselorSessions(ctx context.Context, counselor eyelevel.UserID, from, to time.Time) ([]WorkSession, error) {
	rows, err := db.rq(ctx).QueryContext(ctx, `SELECT a.id, a.client_id, u.username, a.start_at, a.end_at FROM appointments a JOIN users u ON u.id = a.client_id
		WHERE a.counselor_id = $1 AND a.status = 'booked' AND a.end_at > $2 AND a.start_at < $3 ORDER BY a.start_at, a.id LIMIT 500`,
		string(counselor), unix(from), unix(to))
	if err != nil {
		return nil, db.wrap(err, "select sessions")
	}
	defer rows.Close()
	var out []WorkSession
	for rows.Next() {
		var s WorkSession
		var start, end int64
		if err := rows.Scan(&s.ID, &s.ClientID, &s.ClientUsername, &start, &end); err != nil {
			return nil, db.wrap(err, "scan session")
		}
		s.Start, s.End = fromUnix(start), fromUnix(end)
		out = append(out, s)
	}
	return out, db.wrap(rows.Err(), "select sessions")
}

// CaseloadRow is one client of a counselor's caseload.
type CaseloadRow struct {
	ClientID   eyelevel.UserID
	Username   string
	Next, Last time.Time // zero when there is none
	Held       int       // ended booked sessions with this counselor, no-shows left out
	OpenAlert  bool      // an unacknowledged safety alert
}

// Caseload lists the counselor's clients as of since (the rule of
// IsClientOf), by pseudonym, with their next session (ending after now) and
// last one (ended by now) with this counselor. At most 1000.
func (db *DB) Caseload(ctx context.Context, counselor eyelevel.UserID, since, now time.Time) ([]CaseloadRow, error) {
	const mine = `FROM appointments a WHERE a.counselor_id = $1 AND a.client_id = u.id AND a.status = 'booked'`
	rows, err := db.rq(ctx).QueryContext(ctx, `SELECT u.id, u.username,
		(SELECT min(a.start_at) `+mine+` AND a.end_at > $3),
		(SELECT max(a.start_at) `+mine+` AND a.end_at <= $3),
		(SELECT count(*) `+mine+` AND a.end_at <= $3 AND a.attendance NOT IN ('no_show_client', 'no_show_counselor')),
		CASE WHEN EXISTS (SELECT 1 FROM safety_alerts s WHERE s.client_id = u.id AND s.acknowledged_at = 0) THEN 1 ELSE 0 END
		FROM users u WHERE u.id IN (`+clientsOf+`) ORDER BY u.username, u.id LIMIT 1000`,
		string(counselor), unix(since), unix(now))
	if err != nil {
		return nil, db.wrap(err, "select caseload")
	}
	defer rows.Close()
	var out []CaseloadRow
	for rows.Next() {
		var c CaseloadRow
		var next, last sql.NullInt64
		var alert int
		if err := rows.Scan(&c.ClientID, &c.Username, &next, &last, &c.Held, &alert); err != nil {
			return nil, db.wrap(err, "scan caseload")
		}
		c.Next, c.Last, c.OpenAlert = fromUnix(next.Int64), fromUnix(last.Int64), alert == 1
		out = append(out, c)
	}
	return out, db.wrap(rows.Err(), "select caseload")
}

// SessionNote is a counselor's sealed note on one appointment.
type SessionNote struct {
	AppointmentID eyelevel.AppointmentID
	CounselorID   eyelevel.UserID
	Sealed        []byte
	UpdatedAt     time.Time
}

// PutSessionNote stores or replaces the note of an appointment.
func (db *DB) PutSessionNote(ctx context.Context, n SessionNote) error {
	_, err := db.wq(ctx).ExecContext(ctx, `INSERT INTO session_notes (appointment_id, counselor_id, sealed, updated_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (appointment_id) DO UPDATE SET counselor_id = excluded.counselor_id, sealed = excluded.sealed, updated_at = excluded.updated_at`,
		string(n.AppointmentID), string(n.CounselorID), n.Sealed, unix(n.UpdatedAt))
	return db.wrap(err, "upsert note")
}

// DeleteSessionNote removes the note of an appointment, if any.
func (db *DB) DeleteSessionNote(ctx context.Context, id eyelevel.AppointmentID) error {
	_, err := db.wq(ctx).ExecContext(ctx, `DELETE FROM session_notes WHERE appointment_id = $1`, string(id))
	return db.wrap(err, "delete note")
}

// GetSessionNote returns the note of an appointment or ENOTFOUND.
func (db *DB) GetSessionNote(ctx context.Context, id eyelevel.AppointmentID) (SessionNote, error) {
	var n SessionNote
	var at int64
	err := db.rq(ctx).QueryRowContext(ctx, `SELECT appointment_id, counselor_id, sealed, updated_at FROM session_notes WHERE appointment_id = $1`, string(id)).
		Scan(&n.AppointmentID, &n.CounselorID, &n.Sealed, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return n, eyelevel.ErrNotFound()
	}
	n.UpdatedAt = fromUnix(at)
	return n, db.wrap(err, "select note")
}

// SessionNotesOf returns the counselor's notes on their appointments with
// the client, by appointment.
func (db *DB) SessionNotesOf(ctx context.Context, counselor, client eyelevel.UserID) (map[eyelevel.AppointmentID]SessionNote, error) {
	rows, err := db.rq(ctx).QueryContext(ctx, `SELECT n.appointment_id, n.counselor_id, n.sealed, n.updated_at FROM session_notes n JOIN appointments a ON a.id = n.appointment_id
		WHERE n.counselor_id = $1 AND a.counselor_id = $1 AND a.client_id = $2`, string(counselor), string(client))
	if err != nil {
		return nil, db.wrap(err, "select notes")
	}
	defer rows.Close()
	out := map[eyelevel.AppointmentID]SessionNote{}
	for rows.Next() {
		var n SessionNote
		var at int64
		if err := rows.Scan(&n.AppointmentID, &n.CounselorID, &n.Sealed, &at); err != nil {
			return nil, db.wrap(err, "scan note")
		}
		n.UpdatedAt = fromUnix(at)
		out[n.AppointmentID] = n
	}
	return out, db.wrap(rows.Err(), "select notes")
}

// PairAppointments lists the counselor's appointments with one client,
// newest first (at most 500).
func (db *DB) PairAppointments(ctx context.Context, counselor, client eyelevel.UserID) ([]eyelevel.Appointment, error) {
	return db.queryAppointments(ctx, appointmentSelect+` WHERE a.counselor_id = $1 AND a.client_id = $2 ORDER BY a.start_at DESC, a.id DESC LIMIT 500`, string(counselor), string(client))
}

// BookedBetween lists the counselor's booked appointments that start in
// [from, to), by start time (at most 500).
func (db *DB) BookedBetween(ctx context.Context, counselor eyelevel.UserID, from, to time.Time) ([]eyelevel.Appointment, error) {
	return db.queryAppointments(ctx, appointmentSelect+` WHERE a.counselor_id = $1 AND a.status = 'booked' AND a.start_at >= $2 AND a.start_at < $3 ORDER BY a.start_at, a.id LIMIT 500`, string(counselor), unix(from), unix(to))
}
