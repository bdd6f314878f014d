package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"eyelevel"
)

// LockBooking serializes bookings of one counselor and of one client, as
// LockCounselor and then LockUser do, in one statement: PostgreSQL locks the
// rows in the order of the FROM list, counselor before client, the order
// used everywhere. It returns ENOTFOUND if either does not exist. SQLite
// needs no lock (see lockRow).
func (db *DB) LockBooking(ctx context.Context, counselor, client eyelevel.UserID) error {
	if db.dialect != Postgres {
		return nil
	}
	var got string
	err := db.wq(ctx).QueryRowContext(ctx, `SELECT c.user_id FROM counselors c, users u WHERE c.user_id = $1 AND u.id = $2 FOR UPDATE`, string(counselor), string(client)).Scan(&got)
	if errors.Is(err, sql.ErrNoRows) {
		return eyelevel.ErrNotFound()
	}
	return db.wrap(err, "lock booking")
}

// BookingCheck is what Book and BookIfFree check before they insert.
type BookingCheck struct {
	// Version is the counselor_version of the schedule the caller found
	// the slot in; 0 skips the check, for a schedule read in the same
	// transaction under the counselor's lock.
	Version   int64
	Buffer    time.Duration // kept free between the counselor's sessions
	OpenAfter time.Time     // the client's bookings that end after this are open
	MaxOpen   int           // the client may hold at most this many open bookings
}

// BookingResult is what Book or BookIfFree found; they inserted only if
// Booked.
type BookingResult struct {
	Booked   bool
	Outdated bool // counselor_version is not BookingCheck.Version
	Taken    bool // the counselor has a booking within Buffer of the slot
	Overlap  bool // the client has a booking that overlaps it
	Open     int  // the client's open bookings, counted up to MaxOpen
}

// bookingFacts computes BookingResult's facts in one statement: parameters
// $1 counselor, $2 client, $3 start − buffer, $4 end + buffer, $5 $3 −
// longAppointment, $6 start, $7 end, $8 OpenAfter, $9 MaxOpen. The taken
// test is slots.IsFree's, in Busy's two parts.
const bookingFacts = `SELECT
	(SELECT version FROM counselor_version WHERE id = 1) AS v,
	EXISTS (SELECT 1 FROM appointments WHERE counselor_id = $1 AND status = 'booked' AND end_at - start_at <= 14400 AND start_at >= $5 AND start_at < $4 AND end_at > $3)
		OR EXISTS (SELECT 1 FROM appointments WHERE counselor_id = $1 AND status = 'booked' AND end_at - start_at > 14400 AND start_at < $4 AND end_at > $3) AS taken,
	EXISTS (SELECT 1 FROM appointments WHERE client_id = $2 AND status = 'booked' AND start_at < $7 AND end_at > $6) AS overlap,
	(SELECT count(*) FROM (SELECT 1 FROM appointments WHERE client_id = $2 AND status = 'booked' AND end_at > $8 LIMIT $9) o) AS open`

// BookIfFree inserts a as booked if, as the database is now, the counselor's
// schedule is still at c.Version, the counselor has no booking within the
// buffer of the slot, the client none that overlaps it, and fewer than
// c.MaxOpen open ones. It must run in a transaction after LockBooking, so
// that nothing changes between the checks and the commit; the unique index
// on (counselor, start) backs it up with ECONFLICT.
func (db *DB) BookIfFree(ctx context.Context, a eyelevel.Appointment, c BookingCheck) (BookingResult, error) {
	lo, hi := a.Start.Add(-c.Buffer), a.End.Add(c.Buffer)
	var r BookingResult
	var v int64
	err := db.wq(ctx).QueryRowContext(ctx, bookingFacts, string(a.CounselorID), string(a.ClientID), unix(lo), unix(hi), unix(lo)-longAppointment,
		unix(a.Start), unix(a.End), unix(c.OpenAfter), c.MaxOpen).Scan(&v, &r.Taken, &r.Overlap, &r.Open)
	if err != nil {
		return r, db.wrap(err, "select booking facts")
	}
	r.Outdated = db.outdated(c, v)
	if r.Outdated || r.Taken || r.Overlap || r.Open >= c.MaxOpen {
		return r, nil
	}
	a.Status = eyelevel.StatusBooked
	if err := db.CreateAppointment(ctx, a); err != nil {
		return r, err
	}
	r.Booked = true
	return r, nil
}

// Book is LockBooking and BookIfFree in a transaction of their own, or in
// the one ctx carries. On PostgreSQL, outside a transaction, it is one round
// trip: the function book_if_free (migration 0006_book_if_free) does the
// same in an implicit transaction. Each statement in it sees what was
// committed before it began, so after the locks it sees every booking of
// whoever held them before.
func (db *DB) Book(ctx context.Context, a eyelevel.Appointment, c BookingCheck) (BookingResult, error) {
	if _, inTx := ctx.Value(txKey{}).(*sql.Tx); inTx || db.dialect != Postgres {
		var r BookingResult
		err := db.InTx(ctx, func(ctx context.Context) error {
			if err := db.LockBooking(ctx, a.CounselorID, a.ClientID); err != nil {
				return err
			}
			var err error
			r, err = db.BookIfFree(ctx, a, c)
			return err
		})
		return r, err
	}
	var r BookingResult
	var found bool
	var v int64
	err := db.w.QueryRowContext(ctx, `SELECT o_found, coalesce(o_version, 0), coalesce(o_taken, false), coalesce(o_overlap, false), coalesce(o_open, 0), coalesce(o_booked, false) FROM book_if_free($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		string(a.ID), string(a.CounselorID), string(a.ClientID), unix(a.Start), unix(a.End), unix(a.CreatedAt),
		int64(c.Buffer/time.Second), unix(c.OpenAfter), c.MaxOpen, c.Version).Scan(&found, &v, &r.Taken, &r.Overlap, &r.Open, &r.Booked)
	switch {
	case isUniqueViolation(err):
		return r, eyelevel.Errorf(eyelevel.ECONFLICT, "booking.err.taken", "This time has just been booked by someone else.")
	case err != nil:
		return r, db.wrap(err, "book")
	case !found:
		return r, eyelevel.ErrNotFound()
	}
	r.Outdated = db.outdated(c, v)
	return r, nil
}

// outdated reports whether the version v found differs from the one c was
// checked against, and if so makes the next CachedDirectory look again.
func (db *DB) outdated(c BookingCheck, v int64) bool {
	if c.Version == 0 || v == c.Version {
		return false
	}
	db.markDirectoryStale(c.Version)
	return true
}
