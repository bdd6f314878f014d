package service

import (
	"context"
	"fmt"
	"time"

	"eyelevel"
	"eyelevel/slots"
	"eyelevel/store"
)

// BookInput books the slot starting at Start with a counselor.
type BookInput struct {
	CounselorID eyelevel.UserID `json:"counselor_id"`
	Start       time.Time       `json:"start"`
	// ClientID is the client a care point books for (see bookingClient);
	// clients leave it empty.
	ClientID eyelevel.UserID `json:"client_id"`
}

// Book books a free slot for the acting client. The check that the slot is
// free and the insert run in one transaction that holds the counselor's lock
// (PostgreSQL row lock, SQLite's write lock), and a unique index backs it up,
// so two clients can never get the same slot.
// Errors: EUNAUTHORIZED, EFORBIDDEN (not a client), EINVALID (past, too soon,
// beyond the horizon, not a slot start), ENOTFOUND (no such counselor),
// ECONFLICT (already booked by this client, taken, overlapping own booking,
// too many open bookings). Whether the slot is free is decided by
// slots.Plan.Bookable alone; the store reads its facts under the locks.
func (s *Service) Book(ctx context.Context, a eyelevel.Actor, in BookInput) (eyelevel.Appointment, error) {
	if a.Anonymous() {
		return eyelevel.Appointment{}, unauthorized()
	}
	client, err := s.bookingClient(ctx, a, in.ClientID)
	if err != nil {
		return eyelevel.Appointment{}, err
	}
	now := s.now().UTC()
	p := problems{}
	p.check(in.CounselorID != "", "counselor_id", "booking.err.counselor")
	p.check(!in.Start.IsZero(), "start", "booking.err.start")
	if err := p.err(); err != nil {
		return eyelevel.Appointment{}, err
	}
	start := in.Start.UTC()
	switch {
	case !start.After(now):
		return eyelevel.Appointment{}, fieldErr("start", "booking.err.past", "This time is in the past.")
	case start.Before(s.earliestStart()):
		return eyelevel.Appointment{}, fieldErr("start", "booking.err.too_soon", "This time is too soon to book.")
	case !start.Before(now.Add(s.cfg.Horizon)):
		return eyelevel.Appointment{}, fieldErr("start", "booking.err.too_far", "This time is too far ahead to book.")
	}
	appt := eyelevel.Appointment{
		ID: eyelevel.AppointmentID(eyelevel.NewID()), CounselorID: in.CounselorID, ClientID: client,
		Start: start, End: start.Add(s.cfg.Rules.Length), Status: eyelevel.StatusBooked, CreatedAt: now,
	}
	if client != a.UserID {
		appt.BookedBy = a.UserID
	}
	// The slot is checked against the schedule in memory, before any
	// transaction; store.Book then makes sure under the locks that the
	// schedule has not changed since, and checks the bookings. (From now
	// rather than start, so that searches can use the same directory.)
	dir, err := s.db.CachedDirectory(ctx, now)
	if err != nil {
		return eyelevel.Appointment{}, err
	}
	c, ok := dir.Counselor(in.CounselorID)
	if !ok || !s.onGrid(s.plan(dir, c), start) {
		// The copy may be older than the database: look again before refusing.
		if dir, err = s.db.Directory(ctx, now); err != nil {
			return eyelevel.Appointment{}, err
		}
		if c, ok = dir.Counselor(in.CounselorID); !ok {
			return eyelevel.Appointment{}, eyelevel.ErrNotFound()
		}
		if !s.onGrid(s.plan(dir, c), start) {
			return eyelevel.Appointment{}, notASlot()
		}
	}
	appt.CounselorName = c.DisplayName
	plan := s.plan(dir, c)
	check := s.bookingCheck(plan, start, now)
	check.Version = dir.Version
	r, err := s.db.Book(ctx, appt, check)
	if err == nil && r.Outdated {
		plan, r, err = s.bookRechecked(ctx, &appt, check)
	}
	if err == nil && !r.Booked {
		err = s.refusal(plan, start, r.BookingFacts)
	}
	if err != nil {
		return eyelevel.Appointment{}, err
	}
	s.log.Info("appointment booked", "appointment", appt.ID)
	return appt, nil
}

// Appointment returns one appointment to its client or counselor. Errors:
// EUNAUTHORIZED, ENOTFOUND (also when it is someone else's: we do not reveal
// that it exists).
func (s *Service) Appointment(ctx context.Context, a eyelevel.Actor, id eyelevel.AppointmentID) (eyelevel.Appointment, error) {
	if a.Anonymous() {
		return eyelevel.Appointment{}, unauthorized()
	}
	appt, err := s.db.Appointment(ctx, id)
	if err != nil {
		return eyelevel.Appointment{}, err
	}
	if !participant(a, appt) {
		return eyelevel.Appointment{}, eyelevel.ErrNotFound()
	}
	return appt, nil
}

func participant(a eyelevel.Actor, appt eyelevel.Appointment) bool {
	return (a.Role == eyelevel.RoleClient && appt.ClientID == a.UserID) ||
		(a.Role == eyelevel.RoleCounselor && appt.CounselorID == a.UserID)
}

// Appointments lists one page of the actor's own appointments that have
// not ended, or also past ones when past is true, by start time, and
// returns the cursor of the next page ("" at the end). Admins have none of
// their own: who meets whom is private. Errors: EUNAUTHORIZED, EINVALID
// (cursor).
func (s *Service) Appointments(ctx context.Context, a eyelevel.Actor, past bool, pg Page) ([]eyelevel.Appointment, string, error) {
	var f store.AppointmentFilter
	switch a.Role {
	case eyelevel.RoleClient:
		f.ClientID = a.UserID
	case eyelevel.RoleCounselor:
		f.CounselorID = a.UserID
	case eyelevel.RoleAdmin:
		return []eyelevel.Appointment{}, "", nil
	case eyelevel.RoleCarePoint, eyelevel.RoleOrgAdmin:
		// A care point sees its clients' sessions on its own page
		// (CarePointClients), never through the clients' lists.
		return nil, "", eyelevel.ErrNotFound()
	default:
		return nil, "", unauthorized()
	}
	c, first, err := decodeCursor(pg.Cursor)
	if err != nil {
		return nil, "", err
	}
	if !first {
		f.AfterStart, f.AfterID = time.Unix(c.Key, 0), eyelevel.AppointmentID(c.ID)
	}
	if !past {
		f.EndsAfter = s.now()
	}
	f.Limit = pg.limit() + 1
	out, err := s.db.Appointments(ctx, f)
	if err != nil {
		return nil, "", err
	}
	out, next := pageOf(out, pg.limit(), appointmentCursor)
	return out, next, nil
}

func appointmentCursor(a eyelevel.Appointment) cursor {
	return cursor{Key: a.Start.Unix(), ID: string(a.ID)}
}

// Cancel cancels an appointment. The client may until the notice period
// before the start; the counselor until the start. The slot becomes free.
// Errors: EUNAUTHORIZED, ENOTFOUND, ECONFLICT (already cancelled, started,
// or within the notice period).
func (s *Service) Cancel(ctx context.Context, a eyelevel.Actor, id eyelevel.AppointmentID) (eyelevel.Appointment, error) {
	if a.Anonymous() {
		return eyelevel.Appointment{}, unauthorized()
	}
	var appt eyelevel.Appointment
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var err error
		if appt, err = s.db.Appointment(ctx, id); err != nil {
			return err
		}
		if !participant(a, appt) && !s.actsFor(ctx, a, appt.ClientID) {
			return eyelevel.ErrNotFound()
		}
		now := s.now().UTC()
		switch {
		case appt.Status != eyelevel.StatusBooked:
			return eyelevel.Errorf(eyelevel.ECONFLICT, "appointment.err.not_booked", "This appointment is no longer booked.")
		case !appt.Start.After(now):
			return eyelevel.Errorf(eyelevel.ECONFLICT, "cancel.err.started", "This session has already started.")
		case a.Role != eyelevel.RoleCounselor && appt.Start.Sub(now) < s.cfg.CancelNotice:
			e := eyelevel.Errorf(eyelevel.ECONFLICT, "cancel.err.notice", "Sessions can be cancelled up to %d hours before they start. Please contact your counselor.", int(s.cfg.CancelNotice.Hours()))
			e.Args = []any{"hours", int(s.cfg.CancelNotice.Hours())}
			return e
		}
		if err := s.db.CancelAppointment(ctx, id, a.UserID, now); err != nil {
			return err
		}
		appt.Status, appt.CancelledAt, appt.CancelledBy = eyelevel.StatusCancelled, now, a.UserID
		return nil
	})
	if err != nil {
		return eyelevel.Appointment{}, err
	}
	s.log.Info("appointment cancelled", "appointment", appt.ID, "by_role", a.Role)
	return appt, nil
}

// CanCancel reports whether a may still cancel appt now (for showing the button).
func (s *Service) CanCancel(a eyelevel.Actor, appt eyelevel.Appointment) bool {
	now := s.now()
	if appt.Status != eyelevel.StatusBooked || !appt.Start.After(now) || !participant(a, appt) {
		return false
	}
	return a.Role != eyelevel.RoleClient || appt.Start.Sub(now) >= s.cfg.CancelNotice
}

// CancelDeadline returns the last moment a may cancel an appointment
// starting at start — for clients the notice period before it, for
// counselors the start itself — and whether that moment is still ahead.
// Pages state it before booking and before cancelling.
func (s *Service) CancelDeadline(a eyelevel.Actor, start time.Time) (time.Time, bool) {
	by := start
	if a.Role == eyelevel.RoleClient {
		by = start.Add(-s.cfg.CancelNotice)
	}
	return by, s.now().Before(by)
}

// bookingCheck asks store.Book for the facts the booking rule
// (slots.Plan.Bookable) decides on, and lets the rule decide.
func (s *Service) bookingCheck(plan *slots.Plan, start, now time.Time) store.BookingCheck {
	lo, hi := s.cfg.Rules.Window(start)
	return store.BookingCheck{Lo: lo, Hi: hi, OpenAfter: now, MaxOpen: s.cfg.MaxOpen, Free: func(f store.BookingFacts) bool {
		ok, _ := plan.Bookable(start, facts(f), s.cfg.MaxOpen)
		return ok
	}}
}

// facts are the store's facts as the booking rule takes them.
func facts(f store.BookingFacts) slots.Facts {
	near := make([]slots.Held, len(f.Near))
	for i, h := range f.Near {
		near[i] = slots.Held{Slot: eyelevel.Slot{Start: h.Start, End: h.End}, Own: h.Own}
	}
	return slots.Facts{Near: near, Overlap: f.Overlap, Open: f.Open}
}

// bookRechecked books appt after a counselor's data changed since the
// directory Book checked it against was read (perhaps another counselor's):
// it checks the slot against this counselor's schedule as it is now, which
// the lock keeps until the commit, and returns the plan it used.
func (s *Service) bookRechecked(ctx context.Context, appt *eyelevel.Appointment, check store.BookingCheck) (*slots.Plan, store.BookingResult, error) {
	var r store.BookingResult
	var plan *slots.Plan
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		if err := s.db.LockBooking(ctx, appt.CounselorID, appt.ClientID); err != nil {
			return err
		}
		c, err := s.db.Counselor(ctx, appt.CounselorID)
		if err != nil {
			return err
		}
		avs, err := s.db.AvailabilityFrom(ctx, []eyelevel.UserID{c.ID}, appt.Start)
		if err != nil {
			return err
		}
		plan = slots.NewPlan(avs[c.ID], zoneOf(c.TimeZone), s.cfg.Rules)
		if !s.onGrid(plan, appt.Start) {
			return notASlot()
		}
		appt.CounselorName = c.DisplayName
		check := s.bookingCheck(plan, appt.Start, check.OpenAfter)
		r, err = s.db.Book(ctx, *appt, check)
		return err
	})
	return plan, r, err
}

// refusal returns the error for a booking the rule refused on facts f.
func (s *Service) refusal(plan *slots.Plan, start time.Time, f store.BookingFacts) error {
	_, reason := plan.Bookable(start, facts(f), s.cfg.MaxOpen)
	switch reason {
	case slots.ReasonNotASlot:
		return notASlot()
	case slots.ReasonOwn:
		return eyelevel.Errorf(eyelevel.ECONFLICT, "booking.err.already_yours", "You have already booked this time.")
	case slots.ReasonTaken:
		return eyelevel.Errorf(eyelevel.ECONFLICT, "booking.err.taken", "This time has just been booked by someone else.")
	case slots.ReasonOverlap:
		return eyelevel.Errorf(eyelevel.ECONFLICT, "booking.err.overlap", "You already have a session at this time.")
	case slots.ReasonTooMany:
		return eyelevel.Errorf(eyelevel.ECONFLICT, "booking.err.too_many", "You already have the most upcoming sessions one can hold.")
	}
	return fmt.Errorf("book: not booked, but the rule accepts %+v", f)
}

// onGrid reports whether start is a slot of the counselor's schedule, bookings
// aside.
func (s *Service) onGrid(p *slots.Plan, start time.Time) bool {
	ok, _ := p.IsFree(start, nil)
	return ok
}

func notASlot() error {
	return fieldErr("start", "booking.err.not_a_slot", "This is not a free time of this counselor.")
}

func fieldErr(field, key, msg string) error {
	e := eyelevel.Errorf(eyelevel.EINVALID, key, "%s", msg)
	e.Fields = map[string]string{field: key}
	return e
}
