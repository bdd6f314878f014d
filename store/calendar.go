package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"eyelevel"
)

// ICSSequence returns the SEQUENCE of an appointment's calendar entry, or
// ENOTFOUND.
func (db *DB) ICSSequence(ctx context.Context, id eyelevel.AppointmentID) (int, error) {
	var n int
	err := db.rq(ctx).QueryRowContext(ctx, `SELECT ics_sequence FROM appointments WHERE id = $1`, string(id)).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, eyelevel.ErrNotFound()
	}
	return n, db.wrap(err, "select ics sequence")
}

// RaiseICSSequence raises the SEQUENCE of an appointment's calendar entry
// and returns the new one, or ENOTFOUND. Call it in the transaction of the
// change the new entry reports.
func (db *DB) RaiseICSSequence(ctx context.Context, id eyelevel.AppointmentID) (int, error) {
	res, err := db.wq(ctx).ExecContext(ctx, `UPDATE appointments SET ics_sequence = ics_sequence + 1 WHERE id = $1`, string(id))
	if err != nil {
		return 0, db.wrap(err, "raise ics sequence")
	}
	if n, err := res.RowsAffected(); err != nil {
		return 0, db.wrap(err, "raise ics sequence")
	} else if n == 0 {
		return 0, eyelevel.ErrNotFound()
	}
	return db.ICSSequence(ctx, id)
}

// Reschedule moves the booked appointment id to [start, end) if c.Free
// accepts the facts of the new time under the counselor's and the client's
// locks, with the appointment itself left out of them (it gives up its old
// time), and reports whether it moved. It raises the calendar SEQUENCE and
// forgets the reminders sent for the old time. The unique index on
// (counselor, start) backs it up with ECONFLICT. It needs the transaction
// of ctx (or takes its own); a refusal leaves the appointment as it was.
// Errors: ENOTFOUND, ECONFLICT (no longer booked).
func (db *DB) Reschedule(ctx context.Context, a eyelevel.Appointment, start, end time.Time, c BookingCheck) (BookingResult, error) {
	var r BookingResult
	err := db.InTx(ctx, func(ctx context.Context) error {
		if err := db.LockBooking(ctx, a.CounselorID, a.ClientID); err != nil {
			return err
		}
		// Out of the way while the facts of the new time are read: the
		// session must not stand in its own way.
		res, err := db.wq(ctx).ExecContext(ctx, `UPDATE appointments SET status = 'cancelled' WHERE id = $1 AND status = 'booked'`, string(a.ID))
		if err != nil {
			return db.wrap(err, "reschedule")
		}
		if n, err := res.RowsAffected(); err != nil {
			return db.wrap(err, "reschedule")
		} else if n == 0 {
			return eyelevel.Errorf(eyelevel.ECONFLICT, "appointment.err.not_booked", "This appointment is no longer booked.")
		}
		moved := a
		moved.Start, moved.End = start, end
		if r.BookingFacts, err = db.BookingFacts(ctx, moved, c); err != nil {
			return err
		}
		r.Outdated = db.outdated(c, r.Version)
		if !r.Outdated && c.Free(r.BookingFacts) {
			r.Booked = true
		} else {
			start, end = a.Start, a.End // back to where it was
		}
		_, err = db.wq(ctx).ExecContext(ctx, `UPDATE appointments SET status = 'booked', start_at = $2, end_at = $3 WHERE id = $1`,
			string(a.ID), unix(start), unix(end))
		if isUniqueViolation(err) {
			return eyelevel.Errorf(eyelevel.ECONFLICT, "booking.err.taken", "This time has just been booked by someone else.")
		} else if err != nil || !r.Booked {
			return db.wrap(err, "reschedule")
		}
		if _, err := db.wq(ctx).ExecContext(ctx, `DELETE FROM reminders_sent WHERE appointment_id = $1`, string(a.ID)); err != nil {
			return db.wrap(err, "reschedule")
		}
		_, err = db.RaiseICSSequence(ctx, a.ID)
		return err
	})
	return r, err
}

// DueReminders returns the booked appointments whose reminder off before
// the start is due at now (the start is ahead, the reminder time is not),
// had not passed when they were booked, and was neither sent nor skipped.
func (db *DB) DueReminders(ctx context.Context, now time.Time, off time.Duration, limit int) ([]eyelevel.Appointment, error) {
	s := int64(off / time.Second)
	return db.queryAppointments(ctx, appointmentSelect+` WHERE a.status = 'booked' AND a.start_at > $1 AND a.start_at <= $3 AND a.created_at <= a.start_at - $2
		AND NOT EXISTS (SELECT 1 FROM reminders_sent r WHERE r.appointment_id = a.id AND r.offset_s = $2)
		ORDER BY a.start_at, a.id LIMIT $4`, unix(now), s, unix(now)+s, limit)
}

// ClaimReminder records that the reminder off before appointment id is
// sent (or skipped) and reports whether this call recorded it: false when
// another run did already, which then sends it.
func (db *DB) ClaimReminder(ctx context.Context, id eyelevel.AppointmentID, off time.Duration, at time.Time, skipped bool) (bool, error) {
	res, err := db.wq(ctx).ExecContext(ctx, `INSERT INTO reminders_sent (appointment_id, offset_s, at, skipped) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
		string(id), int64(off/time.Second), unix(at), boolInt(skipped))
	if err != nil {
		return false, db.wrap(err, "claim reminder")
	}
	n, err := res.RowsAffected()
	return n == 1, db.wrap(err, "claim reminder")
}

// SetCalendarFeed makes tokenHash the counselor's one calendar feed,
// replacing the one before.
func (db *DB) SetCalendarFeed(ctx context.Context, counselor eyelevel.UserID, tokenHash string, at time.Time) error {
	_, err := db.wq(ctx).ExecContext(ctx, `INSERT INTO calendar_feeds (counselor_id, token_hash, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (counselor_id) DO UPDATE SET token_hash = excluded.token_hash, created_at = excluded.created_at`,
		string(counselor), tokenHash, unix(at))
	return db.wrap(err, "set calendar feed")
}

// CalendarFeedOwner returns the counselor whose feed token hashes to
// tokenHash, or ENOTFOUND.
func (db *DB) CalendarFeedOwner(ctx context.Context, tokenHash string) (eyelevel.UserID, error) {
	var id string
	err := db.rq(ctx).QueryRowContext(ctx, `SELECT counselor_id FROM calendar_feeds WHERE token_hash = $1`, tokenHash).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", eyelevel.ErrNotFound()
	}
	return eyelevel.UserID(id), db.wrap(err, "select calendar feed")
}

// HasCalendarFeed reports whether the counselor has a feed URL.
func (db *DB) HasCalendarFeed(ctx context.Context, counselor eyelevel.UserID) (bool, time.Time, error) {
	var at int64
	err := db.rq(ctx).QueryRowContext(ctx, `SELECT created_at FROM calendar_feeds WHERE counselor_id = $1`, string(counselor)).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return false, time.Time{}, nil
	}
	return err == nil, fromUnix(at), db.wrap(err, "select calendar feed")
}

// FeedEntry is one session in a counselor's calendar feed.
type FeedEntry struct {
	ID             eyelevel.AppointmentID
	Start, End     time.Time
	Sequence       int
	ClientUsername string
}

// CalendarFeed returns the counselor's booked sessions that end after
// now, by start, at most limit.
func (db *DB) CalendarFeed(ctx context.Context, counselor eyelevel.UserID, now time.Time, limit int) ([]FeedEntry, error) {
	rows, err := db.rq(ctx).QueryContext(ctx, `SELECT a.id, a.start_at, a.end_at, a.ics_sequence, u.username FROM appointments a JOIN users u ON u.id = a.client_id
		WHERE a.counselor_id = $1 AND a.status = 'booked' AND a.end_at > $2 ORDER BY a.start_at, a.id LIMIT $3`, string(counselor), unix(now), limit)
	if err != nil {
		return nil, db.wrap(err, "select calendar feed")
	}
	defer rows.Close()
	var out []FeedEntry
	for rows.Next() {
		var e FeedEntry
		var s, en int64
		if err := rows.Scan(&e.ID, &s, &en, &e.Sequence, &e.ClientUsername); err != nil {
			return nil, db.wrap(err, "scan calendar feed")
		}
		e.Start, e.End = fromUnix(s), fromUnix(en)
		out = append(out, e)
	}
	return out, db.wrap(rows.Err(), "select calendar feed")
}

// HoldBooked locks appointment id's row until the transaction ctx carries
// ends, and reports whether it is booked at start: a cancellation or move
// in progress is waited for and seen.
func (db *DB) HoldBooked(ctx context.Context, id eyelevel.AppointmentID, start time.Time) (bool, error) {
	res, err := db.wq(ctx).ExecContext(ctx, `UPDATE appointments SET ics_sequence = ics_sequence WHERE id = $1 AND status = 'booked' AND start_at = $2`, string(id), unix(start))
	if err != nil {
		return false, db.wrap(err, "hold appointment")
	}
	n, err := res.RowsAffected()
	return n == 1, db.wrap(err, "hold appointment")
}

// DeleteCalendarFeed revokes the counselor's feed URL, if any.
func (db *DB) DeleteCalendarFeed(ctx context.Context, counselor eyelevel.UserID) error {
	_, err := db.wq(ctx).ExecContext(ctx, `DELETE FROM calendar_feeds WHERE counselor_id = $1`, string(counselor))
	return db.wrap(err, "delete calendar feed")
}
