package store

import (
	"context"
	"time"

	"eyelevel"
)

// SetAppointmentPayment records who pays for a booked appointment: the
// credit drawn when it is not the one the appointment was inserted with.
func (db *DB) SetAppointmentPayment(ctx context.Context, id eyelevel.AppointmentID, paid eyelevel.PaidBy, credit, contract string) error {
	_, err := db.wq(ctx).ExecContext(ctx, `UPDATE appointments SET paid_by = $2, credit_id = $3, contract_id = $4 WHERE id = $1`,
		string(id), string(paid), credit, contract)
	return db.wrap(err, "set appointment payment")
}

// MarkLateCancel records that the client cancelled within the notice
// period.
func (db *DB) MarkLateCancel(ctx context.Context, id eyelevel.AppointmentID) error {
	_, err := db.wq(ctx).ExecContext(ctx, `UPDATE appointments SET late_cancel = 1 WHERE id = $1`, string(id))
	return db.wrap(err, "mark late cancel")
}

// AttendanceDue lists up to limit booked appointments that ended at or
// before endedBy and have no attendance yet, oldest first.
func (db *DB) AttendanceDue(ctx context.Context, endedBy time.Time, limit int) ([]eyelevel.Appointment, error) {
	return db.queryAppointments(ctx, appointmentSelect+` WHERE a.status = 'booked' AND a.attendance = '' AND a.end_at <= $1 ORDER BY a.end_at, a.id LIMIT $2`,
		unix(endedBy), limit)
}

// SetAttendance records how a booked session ended, by "auto" or
// "counselor". With from set to the attendance the caller read, it changes
// nothing and reports false when the row no longer holds it, so that a
// racing job or correction settles the credit once.
func (db *DB) SetAttendance(ctx context.Context, id eyelevel.AppointmentID, from, to eyelevel.Attendance, by string, at time.Time) (bool, error) {
	res, err := db.wq(ctx).ExecContext(ctx, `UPDATE appointments SET attendance = $3, attendance_by = $4, attendance_at = $5
		WHERE id = $1 AND status = 'booked' AND attendance = $2`, string(id), string(from), string(to), by, unix(at))
	n, err := affected(res, err)
	return n > 0, db.wrap(err, "set attendance")
}

// JoinedRoles reports whether the client and the counselor of appt ever
// joined its room, from the room's join events.
func (db *DB) JoinedRoles(ctx context.Context, appt eyelevel.Appointment) (client, counselor bool, err error) {
	rows, err := db.rq(ctx).QueryContext(ctx, `SELECT DISTINCT user_id FROM room_events WHERE appointment_id = $1 AND event = $2`,
		string(appt.ID), eyelevel.RoomJoined)
	if err != nil {
		return false, false, db.wrap(err, "select room joins")
	}
	defer rows.Close()
	for rows.Next() {
		var u eyelevel.UserID
		if err := rows.Scan(&u); err != nil {
			return false, false, db.wrap(err, "scan room joins")
		}
		client = client || u == appt.ClientID
		counselor = counselor || u == appt.CounselorID
	}
	return client, counselor, db.wrap(rows.Err(), "select room joins")
}
