package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
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

// BookingCheck says which facts Book reads and who decides on them. The
// store holds no booking rule: Free (slots.Plan.Bookable in the service) is
// the rule, and the store only reads the facts under the locks and inserts.
type BookingCheck struct {
	// Version is the counselor_version of the schedule the caller found
	// the slot in; 0 skips the check, for a schedule read in the same
	// transaction under the counselor's lock.
	Version   int64
	Lo, Hi    time.Time // the counselor's bookings that overlap [Lo, Hi) are read
	OpenAfter time.Time // the client's bookings that end after this are open
	MaxOpen   int       // open bookings are counted up to this many
	// The client's bookings starting in [DayLo, DayHi) (the slot's
	// calendar day in the client's zone) are counted up to MaxDay.
	DayLo, DayHi time.Time
	MaxDay       int
	Zone         *time.Location // the client's, which DayLo and DayHi were taken in
	// Free decides from the facts whether the slot may be booked.
	Free func(BookingFacts) bool
}

// Held is a booked appointment of the counselor near the slot.
type Held struct {
	ID         eyelevel.AppointmentID
	Start, End time.Time
	Own        bool // the booking client's
}

// BookingFacts are what the database holds about a booking attempt.
type BookingFacts struct {
	Version int64  // counselor_version
	Near    []Held // the counselor's bookings that overlap [Lo, Hi), by ID
	Overlap bool   // the client has a booking overlapping the slot
	Open    int    // the client's open bookings, counted up to MaxOpen
	Day     int    // the client's bookings on the slot's day, counted up to MaxDay
}

// BookingResult is what Book found; it inserted only if Booked.
type BookingResult struct {
	BookingFacts
	Booked   bool
	Outdated bool // counselor_version is not BookingCheck.Version
}

// bookingFacts reads BookingFacts in one statement: a first row (kind 0) of
// version, overlap and open count, then a row (kind 1) for each booking of
// the counselor overlapping [lo, hi). Parameters: $1 counselor, $2 client,
// $3 lo, $4 hi, $5 lo − longAppointment, $6 start, $7 end, $8 OpenAfter, $9
// MaxOpen, $10 DayLo, $11 DayHi, $12 MaxDay. The near bookings are read in
// Busy's two parts, with Busy's meaning of overlap, the same for search and
// booking. In the second part "+start_at" keeps SQLite (which has no
// statistics) from walking appointments_no_double_booking through all of
// the counselor's past bookings (start_at < $4: thousands) instead of
// appointments_long by end_at (normally empty): that walk was most of a
// booking's time.
var bookingFacts = `SELECT 0 AS kind, '' AS id,
	(SELECT version FROM counselor_version WHERE id = 1) AS a,
	CASE WHEN EXISTS (SELECT 1 FROM appointments WHERE client_id = $2 AND status = 'booked' AND start_at < $7 AND end_at > $6) THEN 1 ELSE 0 END AS b,
	(SELECT count(*) FROM (SELECT 1 FROM appointments WHERE client_id = $2 AND status = 'booked' AND end_at > $8 LIMIT $9) o) AS c,
	(SELECT count(*) FROM (SELECT 1 FROM appointments WHERE client_id = $2 AND status = 'booked' AND start_at >= $10 AND start_at < $11 LIMIT $12) d) AS d
UNION ALL
SELECT 1, id, start_at, end_at, CASE WHEN client_id = $2 THEN 1 ELSE 0 END, 0 FROM appointments
	WHERE counselor_id = $1 AND status = 'booked' AND end_at - start_at <= ` + longSQL + ` AND start_at >= $5 AND start_at < $4 AND end_at > $3
UNION ALL
SELECT 1, id, start_at, end_at, CASE WHEN client_id = $2 THEN 1 ELSE 0 END, 0 FROM appointments
	WHERE counselor_id = $1 AND status = 'booked' AND end_at - start_at > ` + longSQL + ` AND +start_at < $4 AND end_at > $3`

// BookingFacts reads the facts of booking a: under the locks when ctx
// carries a transaction that took LockBooking, otherwise as they are now.
func (db *DB) BookingFacts(ctx context.Context, a eyelevel.Appointment, c BookingCheck) (BookingFacts, error) {
	q := db.rq(ctx)
	if _, inTx := ctx.Value(txKey{}).(*sql.Tx); inTx {
		q = db.wq(ctx)
	}
	var f BookingFacts
	rows, err := q.QueryContext(ctx, bookingFacts, string(a.CounselorID), string(a.ClientID), unix(c.Lo), unix(c.Hi), unix(c.Lo)-longAppointment,
		unix(a.Start), unix(a.End), unix(c.OpenAfter), c.MaxOpen, unix(c.DayLo), unix(c.DayHi), c.MaxDay)
	if err != nil {
		return f, db.wrap(err, "select booking facts")
	}
	defer rows.Close()
	for rows.Next() {
		var kind int
		var id string
		var x, y, z, d int64
		if err := rows.Scan(&kind, &id, &x, &y, &z, &d); err != nil {
			return f, db.wrap(err, "scan booking facts")
		}
		if kind == 0 {
			f.Version, f.Overlap, f.Open, f.Day = x, y != 0, int(z), int(d)
			continue
		}
		f.Near = append(f.Near, Held{ID: eyelevel.AppointmentID(id), Start: fromUnix(x), End: fromUnix(y), Own: z != 0})
	}
	if err := rows.Err(); err != nil {
		return f, db.wrap(err, "select booking facts")
	}
	sortHeld(f.Near)
	return f, nil
}

// sortHeld orders by ID in bytes, as book_if_unchanged compares them.
func sortHeld(hs []Held) {
	slices.SortFunc(hs, func(x, y Held) int {
		switch {
		case x.ID < y.ID:
			return -1
		case x.ID > y.ID:
			return 1
		}
		return 0
	})
}

// Book inserts a as booked if the counselor's schedule is still at
// c.Version and c.Free accepts the facts as the database holds them under
// the counselor's and the client's locks. The unique index on (counselor,
// start) backs it up with ECONFLICT.
//
// In a transaction (the one ctx carries, or one of its own) it takes
// LockBooking, reads the facts, asks c.Free and inserts. On PostgreSQL
// outside a transaction it is one round trip in the common case: it calls
// the function book_if_unchanged (migration 0007_booking_rule_in_go) with
// facts that c.Free accepts — first a guess, nothing in the way — and the
// function takes the locks, reads the facts and inserts only if they are
// those (migration 0009_booking_day added the day's count); otherwise it returns them, c.Free decides on them, and if it
// accepts them they are the next call's expectation. Each statement in a
// PL/pgSQL function sees what was committed before it began, so after the
// locks it sees every booking of whoever held them before. The function
// books free sessions only: an appointment someone pays for (a.PaidBy not
// free) is booked in the transaction that draws the credit.
func (db *DB) Book(ctx context.Context, a eyelevel.Appointment, c BookingCheck) (BookingResult, error) {
	free := a.PaidBy == "" || a.PaidBy == eyelevel.PaidFree
	if _, inTx := ctx.Value(txKey{}).(*sql.Tx); !inTx && db.dialect == Postgres && free {
		want := BookingFacts{Version: c.Version}
		for range 3 {
			open, day, ok := accepted(c, want)
			if !ok {
				break // a guess the rule refuses: look under the locks
			}
			found, booked, f, err := db.bookIfUnchanged(ctx, a, c, want, open, day)
			switch {
			case err != nil:
				return BookingResult{}, err
			case !found:
				return BookingResult{}, eyelevel.ErrNotFound()
			case booked:
				return BookingResult{BookingFacts: f, Booked: true}, nil
			}
			r := BookingResult{BookingFacts: f, Outdated: db.outdated(c, f.Version)}
			if r.Outdated || !c.Free(f) {
				return r, nil
			}
			want = f
		}
		// The facts kept changing: wait for the locks instead.
	}
	var r BookingResult
	err := db.InTx(ctx, func(ctx context.Context) error {
		if err := db.LockBooking(ctx, a.CounselorID, a.ClientID); err != nil {
			return err
		}
		var err error
		if r.BookingFacts, err = db.BookingFacts(ctx, a, c); err != nil {
			return err
		}
		if r.Outdated = db.outdated(c, r.Version); r.Outdated || !c.Free(r.BookingFacts) {
			return nil
		}
		a.Status = eyelevel.StatusBooked
		if err := db.CreateAppointment(ctx, a); err != nil {
			return err
		}
		r.Booked = true
		return nil
	})
	return r, err
}

// accepted returns the most open bookings (up to c.MaxOpen), and then the
// most bookings on the day (up to c.MaxDay), with which c.Free still
// accepts f, and false if it accepts none. Holding fewer of either never
// makes a slot unbookable, so book_if_unchanged may insert when it counts
// at most that many of each.
func accepted(c BookingCheck, f BookingFacts) (open, day int, ok bool) {
	for open = c.MaxOpen; open >= 0; open-- {
		f.Open = open
		if c.Free(f) {
			ok = true
			break
		}
	}
	if !ok {
		return 0, 0, false
	}
	guess := f.Day // accepted with open, as checked above
	for day = c.MaxDay; day > guess; day-- {
		f.Day = day
		if c.Free(f) {
			return open, day, true
		}
	}
	return open, guess, true
}

// bookIfUnchanged calls book_if_unchanged with the facts want that the
// caller accepted, with up to open open bookings, and returns the facts it
// found under the locks.
func (db *DB) bookIfUnchanged(ctx context.Context, a eyelevel.Appointment, c BookingCheck, want BookingFacts, open, day int) (found, booked bool, f BookingFacts, err error) {
	ids := make([]string, len(want.Near))
	for i, h := range want.Near {
		ids[i] = string(h.ID)
	}
	// Arrays come back as text, which database/sql can scan: IDs hold no
	// commas.
	var near, starts, ends, own string
	err = db.w.QueryRowContext(ctx, `SELECT o_found, o_booked, coalesce(o_version, 0), coalesce(array_to_string(o_near, ','), ''), coalesce(array_to_string(o_starts, ','), ''),
			coalesce(array_to_string(o_ends, ','), ''), coalesce(array_to_string(o_own, ','), ''), coalesce(o_overlap, false), coalesce(o_open, 0), coalesce(o_day, 0)
		FROM book_if_unchanged($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)`,
		string(a.ID), string(a.CounselorID), string(a.ClientID), unix(a.Start), unix(a.End), unix(a.CreatedAt),
		unix(c.Lo), unix(c.Hi), unix(c.OpenAfter), c.MaxOpen,
		want.Version, ids, want.Overlap, open,
		unix(c.DayLo), unix(c.DayHi), c.MaxDay, day, string(a.BookedBy)).Scan(&found, &booked, &f.Version, &near, &starts, &ends, &own, &f.Overlap, &f.Open, &f.Day)
	switch {
	case isUniqueViolation(err):
		return true, false, f, eyelevel.Errorf(eyelevel.ECONFLICT, "booking.err.taken", "This time has just been booked by someone else.")
	case err != nil || !found || near == "":
		return found, booked, f, db.wrap(err, "book")
	}
	ns, ss, es, os := strings.Split(near, ","), strings.Split(starts, ","), strings.Split(ends, ","), strings.Split(own, ",")
	if len(ss) != len(ns) || len(es) != len(ns) || len(os) != len(ns) {
		return found, booked, f, fmt.Errorf("book: %d near bookings, but %d starts, %d ends, %d owners", len(ns), len(ss), len(es), len(os))
	}
	for i := range ns {
		s, err1 := strconv.ParseInt(ss[i], 10, 64)
		e, err2 := strconv.ParseInt(es[i], 10, 64)
		if err := errors.Join(err1, err2); err != nil {
			return found, booked, f, fmt.Errorf("book: %w", err)
		}
		f.Near = append(f.Near, Held{ID: eyelevel.AppointmentID(ns[i]), Start: fromUnix(s), End: fromUnix(e), Own: os[i] == "t" || os[i] == "true"})
	}
	return found, booked, f, nil
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
