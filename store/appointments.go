package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"time"

	"eyelevel"
)

const appointmentSelect = `SELECT a.id, a.counselor_id, a.client_id, a.start_at, a.end_at, a.status, a.created_at, a.cancelled_at, a.cancelled_by,
	a.late_cancel, a.paid_by, a.credit_id, a.contract_id, a.booked_by, a.attendance, a.attendance_by, a.attendance_at, c.display_name, u.username
	FROM appointments a JOIN counselors c ON c.user_id = a.counselor_id JOIN users u ON u.id = a.client_id`

func scanAppointment(row interface{ Scan(...any) error }) (eyelevel.Appointment, error) {
	var a eyelevel.Appointment
	var start, end, created, cancelled, late, attended int64
	err := row.Scan(&a.ID, &a.CounselorID, &a.ClientID, &start, &end, &a.Status, &created, &cancelled, &a.CancelledBy,
		&late, &a.PaidBy, &a.CreditID, &a.ContractID, &a.BookedBy, &a.Attendance, &a.AttendanceBy, &attended, &a.CounselorName, &a.ClientUsername)
	a.Start, a.End, a.CreatedAt, a.CancelledAt, a.AttendanceAt = fromUnix(start), fromUnix(end), fromUnix(created), fromUnix(cancelled), fromUnix(attended)
	a.LateCancel = late != 0
	return a, err
}

// CreateAppointment inserts a booked appointment with who pays for it
// (PaidBy "" is free). It returns ECONFLICT when the counselor already has
// a booking at that start: the database's unique index is the last line of
// defence against double booking.
func (db *DB) CreateAppointment(ctx context.Context, a eyelevel.Appointment) error {
	if a.PaidBy == "" {
		a.PaidBy = eyelevel.PaidFree
	}
	_, err := db.wq(ctx).ExecContext(ctx, `INSERT INTO appointments (id, counselor_id, client_id, start_at, end_at, status, created_at, paid_by, credit_id, contract_id, booked_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		a.ID, a.CounselorID, a.ClientID, unix(a.Start), unix(a.End), a.Status, unix(a.CreatedAt), a.PaidBy, a.CreditID, a.ContractID, string(a.BookedBy))
	if isUniqueViolation(err) {
		return eyelevel.Errorf(eyelevel.ECONFLICT, "booking.err.taken", "This time has just been booked by someone else.")
	}
	return db.wrap(err, "insert appointment")
}

// Appointment returns one appointment or ENOTFOUND.
func (db *DB) Appointment(ctx context.Context, id eyelevel.AppointmentID) (eyelevel.Appointment, error) {
	a, err := scanAppointment(db.rq(ctx).QueryRowContext(ctx, appointmentSelect+` WHERE a.id = $1`, string(id)))
	if errors.Is(err, sql.ErrNoRows) {
		return a, eyelevel.ErrNotFound()
	}
	return a, db.wrap(err, "select appointment")
}

// AppointmentFilter selects appointments of one participant.
type AppointmentFilter struct {
	ClientID    eyelevel.UserID
	CounselorID eyelevel.UserID
	EndsAfter   time.Time // zero: no lower bound
	BookedOnly  bool      // leave out cancelled appointments
	Limit       int       // 0: 500
	// With AfterID set, only appointments after (AfterStart, AfterID) in
	// the list's order: the next page of a list.
	AfterStart time.Time
	AfterID    eyelevel.AppointmentID
}

// Appointments lists one participant's appointments by start time (and id).
func (db *DB) Appointments(ctx context.Context, f AppointmentFilter) ([]eyelevel.Appointment, error) {
	q, args := appointmentSelect+` WHERE `, []any{}
	if f.ClientID != "" {
		q += `a.client_id = $1`
		args = append(args, string(f.ClientID))
	} else {
		q += `a.counselor_id = $1`
		args = append(args, string(f.CounselorID))
	}
	q += ` AND a.end_at > $2`
	args = append(args, unix(f.EndsAfter))
	if f.BookedOnly {
		q += ` AND a.status = 'booked'`
	}
	if f.AfterID != "" {
		q += ` AND (a.start_at > $3 OR (a.start_at = $3 AND a.id > $4))`
		args = append(args, unix(f.AfterStart), string(f.AfterID))
	}
	if f.Limit <= 0 {
		f.Limit = 500
	}
	q += ` ORDER BY a.start_at, a.id LIMIT $` + strconv.Itoa(len(args)+1)
	args = append(args, f.Limit)
	return db.queryAppointments(ctx, q, args...)
}

// queryAppointments runs a query of appointmentSelect and scans the rows.
func (db *DB) queryAppointments(ctx context.Context, q string, args ...any) ([]eyelevel.Appointment, error) {
	rows, err := db.rq(ctx).QueryContext(ctx, q, args...)
	if err != nil {
		return nil, db.wrap(err, "select appointments")
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
	return out, db.wrap(rows.Err(), "select appointments")
}

// Busy returns the booked intervals of several counselors that overlap
// [from, to), grouped by counselor, in start order.
func (db *DB) Busy(ctx context.Context, ids []eyelevel.UserID, from, to time.Time) (map[eyelevel.UserID][]eyelevel.Slot, error) {
	out := make(map[eyelevel.UserID][]eyelevel.Slot, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	// An index finds intervals overlapping a range only if their start is
	// bounded on both sides, so the query has two parts: appointments of at
	// most longAppointment seconds (all that Book makes with sane rules)
	// overlap [from, to) only if they start in [from-longAppointment, to),
	// found by appointments_busy; longer ones, which the index
	// appointments_long holds (normally none), are read whole. Bounding the
	// start matters: a counselor has thousands of past appointments and
	// hundreds of future ones. The length goes in as a literal (longSQL), so
	// that the planners match it with the index's WHERE clause. Arguments go
	// in the order of their placeholders (see placeholders).
	args := make([]any, 0, 5+2*len(ids))
	args = append(args, unix(from)-longAppointment, unix(to), unix(from))
	for _, id := range ids {
		args = append(args, string(id))
	}
	args = append(args, unix(to), unix(from))
	for _, id := range ids {
		args = append(args, string(id))
	}
	p := func(first, n int) string { return db.placeholders(n, first) }
	n := len(ids)
	rows, err := db.rq(ctx).QueryContext(ctx, `SELECT counselor_id, start_at, end_at FROM appointments
		WHERE status = 'booked' AND end_at - start_at <= `+longSQL+` AND start_at >= `+p(1, 1)+` AND start_at < `+p(2, 1)+` AND end_at > `+p(3, 1)+` AND counselor_id IN (`+p(4, n)+`)
		UNION ALL
		SELECT counselor_id, start_at, end_at FROM appointments
		WHERE status = 'booked' AND end_at - start_at > `+longSQL+` AND start_at < `+p(4+n, 1)+` AND end_at > `+p(5+n, 1)+` AND counselor_id IN (`+p(6+n, n)+`)`, args...)
	if err != nil {
		return nil, db.wrap(err, "select busy")
	}
	return out, db.scanBusy(rows, out)
}

// longAppointment is the length in seconds beyond which Busy, BusyIn and
// the booking facts look an appointment up by its end (partial index
// appointments_long) rather than by its start (appointments_busy). It tunes
// how rows are found, not which: any value gives the same results. It is
// defined only here; queries get it as the literal longSQL, which the
// planners match with the index's WHERE clause, and migrations as
// {{longAppointment}} (see migrate). The index of migration
// 0003_read_indexes was made with it; TestLongAppointmentIndexed checks that
// the schema agrees, so changing it takes a migration that remakes the index
// and the function book_if_unchanged.
const longAppointment = 4 * 60 * 60

// longSQL is longAppointment as an SQL literal.
var longSQL = strconv.Itoa(longAppointment)

// ClientHasOverlap reports whether the client has a booked appointment
// overlapping [start, end).
func (db *DB) ClientHasOverlap(ctx context.Context, clientID eyelevel.UserID, start, end time.Time) (bool, error) {
	var n int
	err := db.rq(ctx).QueryRowContext(ctx, `SELECT count(*) FROM appointments WHERE client_id = $1 AND status = 'booked' AND start_at < $3 AND end_at > $2`,
		string(clientID), unix(start), unix(end)).Scan(&n)
	return n > 0, db.wrap(err, "select overlap")
}

// CancelAppointment marks a booked appointment cancelled. It returns
// ECONFLICT if it was not booked any more.
func (db *DB) CancelAppointment(ctx context.Context, id eyelevel.AppointmentID, by eyelevel.UserID, at time.Time) error {
	res, err := db.wq(ctx).ExecContext(ctx, `UPDATE appointments SET status = 'cancelled', cancelled_at = $2, cancelled_by = $3 WHERE id = $1 AND status = 'booked'`,
		string(id), unix(at), string(by))
	if err != nil {
		return db.wrap(err, "cancel appointment")
	}
	if n, err := res.RowsAffected(); err != nil {
		return db.wrap(err, "cancel appointment")
	} else if n == 0 {
		return eyelevel.Errorf(eyelevel.ECONFLICT, "appointment.err.not_booked", "This appointment is no longer booked.")
	}
	return nil
}

// Window is a time range [From, To) of one counselor.
type Window struct {
	CounselorID eyelevel.UserID
	From, To    time.Time
}

// BusyIn is Busy with a range of its own for each counselor, in one query:
// the booked intervals that overlap each window, grouped by counselor, in
// start order. A search reads each counselor's bookings from that
// counselor's own first possible slot on.
func (db *DB) BusyIn(ctx context.Context, ws []Window) (map[eyelevel.UserID][]eyelevel.Slot, error) {
	out := make(map[eyelevel.UserID][]eyelevel.Slot, len(ws))
	if len(ws) == 0 {
		return out, nil
	}
	// The windows go in as arrays (PostgreSQL) or one JSON array (SQLite),
	// so the statement's text stays the same and stays prepared. The two
	// parts are Busy's.
	var q string
	var args []any
	if db.dialect == Postgres {
		ids, los, his := make([]string, len(ws)), make([]int64, len(ws)), make([]int64, len(ws))
		for i, w := range ws {
			ids[i], los[i], his[i] = string(w.CounselorID), unix(w.From), unix(w.To)
		}
		const w = `unnest($1::text[], $2::bigint[], $3::bigint[]) AS w (id, lo, hi)`
		q = `SELECT w.id, a.start_at, a.end_at FROM ` + w + ` JOIN appointments a ON a.counselor_id = w.id
			WHERE a.status = 'booked' AND a.end_at - a.start_at <= ` + longSQL + ` AND a.start_at >= w.lo - ` + longSQL + ` AND a.start_at < w.hi AND a.end_at > w.lo
			UNION ALL
			SELECT w.id, a.start_at, a.end_at FROM ` + w + ` JOIN appointments a ON a.counselor_id = w.id
			WHERE a.status = 'booked' AND a.end_at - a.start_at > ` + longSQL + ` AND a.start_at < w.hi AND a.end_at > w.lo`
		args = []any{ids, los, his}
	} else {
		rows := make([][3]any, len(ws))
		for i, w := range ws {
			rows[i] = [3]any{string(w.CounselorID), unix(w.From), unix(w.To)}
		}
		js, err := json.Marshal(rows)
		if err != nil {
			return nil, err
		}
		// Materialized, so that each window's JSON is read once rather than
		// for every row the join looks at.
		q = `WITH w AS MATERIALIZED (SELECT value ->> 0 AS id, value ->> 1 AS lo, value ->> 2 AS hi FROM json_each($1))
			SELECT w.id, a.start_at, a.end_at FROM w JOIN appointments a ON a.counselor_id = w.id
			WHERE a.status = 'booked' AND a.end_at - a.start_at <= ` + longSQL + ` AND a.start_at >= w.lo - ` + longSQL + ` AND a.start_at < w.hi AND a.end_at > w.lo
			UNION ALL
			SELECT w.id, a.start_at, a.end_at FROM w JOIN appointments a ON a.counselor_id = w.id
			WHERE a.status = 'booked' AND a.end_at - a.start_at > ` + longSQL + ` AND a.start_at < w.hi AND a.end_at > w.lo`
		args = []any{string(js)}
	}
	rows, err := db.rq(ctx).QueryContext(ctx, q, args...)
	if err != nil {
		return nil, db.wrap(err, "select busy")
	}
	return out, db.scanBusy(rows, out)
}

// scanBusy adds rows of (counselor, start, end) to out, each counselor's
// times sorted by start, and closes rows.
func (db *DB) scanBusy(rows *sql.Rows, out map[eyelevel.UserID][]eyelevel.Slot) error {
	defer rows.Close()
	for rows.Next() {
		var id eyelevel.UserID
		var s, e int64
		if err := rows.Scan(&id, &s, &e); err != nil {
			return db.wrap(err, "scan busy")
		}
		out[id] = append(out[id], eyelevel.Slot{Start: fromUnix(s), End: fromUnix(e)})
	}
	if err := rows.Err(); err != nil {
		return db.wrap(err, "select busy")
	}
	for _, b := range out {
		slices.SortFunc(b, func(x, y eyelevel.Slot) int { return x.Start.Compare(y.Start) })
	}
	return nil
}
