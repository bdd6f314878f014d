package service

import (
	"context"
	"errors"
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
	// ClientID is the client a care point books for; only care-point
	// staff give it.
	ClientID eyelevel.UserID `json:"client_id"`
}

// Book books a free slot for the acting client, or for a client of the
// acting care point (in.ClientID). The check that the slot is free and the
// insert run in one transaction that holds the counselor's lock
// (PostgreSQL row lock, SQLite's write lock), and a unique index backs it up,
// so two clients can never get the same slot. A session someone pays for
// draws the client's credit in the same transaction (see payer).
// Errors: EUNAUTHORIZED, EFORBIDDEN (not a client or care point), EINVALID
// (past, too soon, beyond the horizon, not a slot start, client_id from
// anyone but a care point), ENOTFOUND (no such counselor, not the care
// point's client), ECONFLICT (already booked by this client, taken,
// overlapping own booking, too many open bookings, a session that day),
// EPAYMENT (no credit while the operator charges). Whether the slot is
// free is decided by slots.Plan.Bookable alone; the store reads its facts
// under the locks.
func (s *Service) Book(ctx context.Context, a eyelevel.Actor, in BookInput) (eyelevel.Appointment, error) {
	client, zone, err := s.bookingClient(ctx, a, in.ClientID)
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
	check := s.bookingCheck(plan, start, now, zoneOf(zone))
	check.Version = dir.Version
	f := payFor{now: now, start: start}
	if a.Role == eyelevel.RoleCarePoint {
		l, err := s.db.CarePointLinkOf(ctx, client)
		if err != nil {
			return eyelevel.Appointment{}, err
		}
		f.contract = l.ContractID
	}
	book := func(ctx context.Context, joined bool) error {
		pay, credits, err := s.payer(ctx, client, f)
		switch {
		case err != nil:
			return err
		case pay.NeedsPackage():
			return paymentRequired(pay)
		case pay.PaidBy == eyelevel.PaidFree:
			appt.PaidBy, appt.CreditID, appt.ContractID = eyelevel.PaidFree, "", ""
			return s.bookFree(ctx, &appt, check, plan)
		}
		return s.bookPaid(ctx, &appt, check, plan, credits, f, joined)
	}
	if s.db.Dialect() == store.SQLite {
		err = s.bookOneWriter(ctx, book)
	} else {
		err = book(ctx, false)
	}
	s.observeBooking(a, err)
	if err != nil {
		return eyelevel.Appointment{}, err
	}
	s.log.Info("appointment booked", "appointment", appt.ID, "paid_by", appt.PaidBy)
	return appt, nil
}

// bookPaid books appt and draws one of the client's credits in one
// transaction. When racing bookings have emptied them all, it rolls back
// and decides again who pays: EPAYMENT when the operator charges, free
// when not.
// Joined: the caller's transaction holds the payer's facts
// (bookOneWriter); a lack of credit is its to retry.
func (s *Service) bookPaid(ctx context.Context, appt *eyelevel.Appointment, check store.BookingCheck, plan *slots.Plan, credits []eyelevel.Credit, f payFor, joined bool) error {
	for range 3 {
		first := credits[0]
		appt.PaidBy, appt.CreditID, appt.ContractID = paidByOf(first), first.ID, first.ContractID
		err := s.db.InTx(ctx, func(ctx context.Context) error {
			r, err := s.db.Book(ctx, *appt, check)
			if err == nil && r.Outdated {
				plan, r, err = s.bookRechecked(ctx, appt, check)
			}
			if err != nil {
				return err
			}
			if !r.Booked {
				return s.refusal(plan, appt.Start, r.BookingFacts)
			}
			ok, err := s.drawCredit(ctx, appt, credits)
			if err != nil {
				return err
			}
			if !ok {
				return errNoCredit
			}
			if err := s.logBookedFor(ctx, *appt); err != nil {
				return err
			}
			return s.mailAppointment(ctx, apptChange{kind: mailBooked, appt: *appt})
		})
		if joined || !errors.Is(err, errNoCredit) {
			return err
		}
		var pay Payer
		if pay, credits, err = s.payer(ctx, appt.ClientID, f); err != nil {
			return err
		}
		switch {
		case pay.NeedsPackage():
			return paymentRequired(pay)
		case pay.PaidBy == eyelevel.PaidFree:
			appt.PaidBy, appt.CreditID, appt.ContractID = eyelevel.PaidFree, "", ""
			return s.bookFree(ctx, appt, check, plan)
		}
		// Another credit is usable now: try it.
	}
	return eyelevel.Errorf(eyelevel.ECONFLICT, "booking.err.retry", "Many bookings came in at once. Please try again.")
}

// bookOneWriter runs book — who pays, then the booking — in one
// transaction, on SQLite. With one writer the facts read in it cannot
// change before the commit, and reading them on the writer spares a read
// connection a fresh snapshot of a database that every booking changes
// (22% of a booking's CPU, BENCHMARKS.md). A credit that cannot be drawn
// after all (a contract's pool cap) rolls everything back and decides
// again, as bookPaid does on PostgreSQL.
func (s *Service) bookOneWriter(ctx context.Context, book func(ctx context.Context, joined bool) error) error {
	for range 3 {
		err := s.db.InTx(ctx, func(ctx context.Context) error { return book(ctx, true) })
		if !errors.Is(err, errNoCredit) {
			return err
		}
	}
	return eyelevel.Errorf(eyelevel.ECONFLICT, "booking.err.retry", "Many bookings came in at once. Please try again.")
}

// bookFree books appt, which nobody pays for. Without mail it is
// store.Book's one round trip where it has one; with mail the booking and
// its confirmations are one transaction.
func (s *Service) bookFree(ctx context.Context, appt *eyelevel.Appointment, check store.BookingCheck, plan *slots.Plan) error {
	book := func(ctx context.Context) error {
		r, err := s.db.Book(ctx, *appt, check)
		if err == nil && r.Outdated {
			plan, r, err = s.bookRechecked(ctx, appt, check)
		}
		if err == nil && !r.Booked {
			err = s.refusal(plan, appt.Start, r.BookingFacts)
		}
		return err
	}
	if !s.cfg.Mail.On && appt.BookedBy == "" {
		return book(ctx)
	}
	return s.db.InTx(ctx, func(ctx context.Context) error {
		if err := book(ctx); err != nil {
			return err
		}
		if err := s.logBookedFor(ctx, *appt); err != nil {
			return err
		}
		if !s.cfg.Mail.On {
			return nil
		}
		return s.mailAppointment(ctx, apptChange{kind: mailBooked, appt: *appt})
	})
}

// bookingClient returns the client a booking (or cancellation) by a is
// for, and the client's time zone: the actor, or a care point's client
// named by clientID. Errors: EUNAUTHORIZED, EFORBIDDEN (a counselor or
// admin), EINVALID (a care point names no client), ENOTFOUND (not the care
// point's client, another client than the acting one, an organization
// manager).
func (s *Service) bookingClient(ctx context.Context, a eyelevel.Actor, clientID eyelevel.UserID) (eyelevel.UserID, string, error) {
	switch {
	case a.Anonymous():
		return "", "", unauthorized()
	case a.Role == eyelevel.RoleCarePoint:
		if clientID == "" {
			return "", "", fieldErr("client_id", "booking.err.client_required", "Choose the client you book for.")
		}
		if err := s.actsFor(ctx, a, clientID); err != nil {
			return "", "", err
		}
		u, err := s.db.UserByID(ctx, clientID)
		if err != nil {
			return "", "", err
		}
		return clientID, u.TimeZone, nil
	case a.Role == eyelevel.RoleOrgAdmin:
		// Organization managers have nothing to do with single clients.
		return "", "", eyelevel.ErrNotFound()
	case a.Role != eyelevel.RoleClient:
		return "", "", eyelevel.Errorf(eyelevel.EFORBIDDEN, "booking.err.clients_only", "Only clients can book sessions.")
	case clientID != "" && clientID != a.UserID:
		// Whether another client exists is none of a client's business.
		return "", "", eyelevel.ErrNotFound()
	}
	return a.UserID, a.TimeZone, nil
}

// actsFor returns nil if care-point staff a registered client and still
// acts for them, and ENOTFOUND otherwise: another care point's client is
// not revealed.
func (s *Service) actsFor(ctx context.Context, a eyelevel.Actor, client eyelevel.UserID) error {
	if a.Role != eyelevel.RoleCarePoint {
		return eyelevel.ErrNotFound()
	}
	l, err := s.db.CarePointLinkOf(ctx, client)
	if err != nil {
		return err
	}
	if l.StaffID != a.UserID {
		return eyelevel.ErrNotFound()
	}
	return nil
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

// Cancel cancels an appointment. The counselor may until the start; the
// client (or the care point acting for the client) too, but within the
// notice period it is a late cancellation, which uses the credit when the
// source counts it so (packages always, contracts per late_cancel_counts).
// Otherwise the credit comes back, in the same transaction. The slot
// becomes free. Errors: EUNAUTHORIZED, ENOTFOUND, ECONFLICT (already
// cancelled or started).
func (s *Service) Cancel(ctx context.Context, a eyelevel.Actor, id eyelevel.AppointmentID) (eyelevel.Appointment, error) {
	return s.cancel(ctx, a, id, -1)
}

// cancel is Cancel; with seq ≥ 0 only while the appointment's calendar
// SEQUENCE is still seq (a cancel link made for it), ECONFLICT otherwise.
// Both sides get a METHOD:CANCEL mail with a higher SEQUENCE, in the same
// transaction.
func (s *Service) cancel(ctx context.Context, a eyelevel.Actor, id eyelevel.AppointmentID, seq int) (eyelevel.Appointment, error) {
	if a.Anonymous() {
		return eyelevel.Appointment{}, unauthorized()
	}
	var appt eyelevel.Appointment
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var err error
		if appt, err = s.db.Appointment(ctx, id); err != nil {
			return err
		}
		if err := s.mayCancel(ctx, a, appt); err != nil {
			return err
		}
		now := s.now().UTC()
		switch {
		case appt.Status != eyelevel.StatusBooked:
			return eyelevel.Errorf(eyelevel.ECONFLICT, "appointment.err.not_booked", "This appointment is no longer booked.")
		case !appt.Start.After(now):
			return eyelevel.Errorf(eyelevel.ECONFLICT, "cancel.err.started", "This session has already started.")
		}
		if err := s.db.CancelAppointment(ctx, id, a.UserID, now); err != nil {
			return err
		}
		if err := s.logCancelled(ctx, a, appt); err != nil {
			return err
		}
		next, err := s.db.RaiseICSSequence(ctx, id)
		if err != nil {
			return err
		}
		if seq >= 0 && next != seq+1 {
			return eyelevel.Errorf(eyelevel.ECONFLICT, "appointment.err.not_booked", "This appointment is no longer booked.")
		}
		appt.Status, appt.CancelledAt, appt.CancelledBy = eyelevel.StatusCancelled, now, a.UserID
		used := false
		if a.Role != eyelevel.RoleCounselor && appt.Start.Sub(now) < s.cfg.CancelNotice {
			appt.LateCancel = true
			if err := s.db.MarkLateCancel(ctx, id); err != nil {
				return err
			}
			if used, err = s.clientCosts(ctx, appt); err != nil {
				return err
			}
		}
		if err := s.settleCredit(ctx, appt, used); err != nil {
			return err
		}
		return s.mailAppointment(ctx, apptChange{kind: mailCancelled, appt: appt, seq: next})
	})
	if err != nil {
		return eyelevel.Appointment{}, err
	}
	s.observer().Cancelled(string(a.Role), 1)
	s.log.Info("appointment cancelled", "appointment", appt.ID, "by_role", a.Role, "late", appt.LateCancel)
	return appt, nil
}

// mayCancel returns nil if a may cancel appt: its client or counselor, or
// the care point acting for its client; ENOTFOUND otherwise.
func (s *Service) mayCancel(ctx context.Context, a eyelevel.Actor, appt eyelevel.Appointment) error {
	if participant(a, appt) {
		return nil
	}
	if a.Role == eyelevel.RoleCarePoint {
		return s.actsFor(ctx, a, appt.ClientID)
	}
	return eyelevel.ErrNotFound()
}

// CanCancel reports whether a may still cancel appt now (for showing the button).
func (s *Service) CanCancel(a eyelevel.Actor, appt eyelevel.Appointment) bool {
	return appt.Status == eyelevel.StatusBooked && appt.Start.After(s.now()) && participant(a, appt)
}

// LateCancel reports whether a cancelling appt now would be a late
// cancellation, and whether it would use the session (the page warns
// before). Errors: as the contract's read.
func (s *Service) LateCancel(ctx context.Context, a eyelevel.Actor, appt eyelevel.Appointment) (late, costs bool, err error) {
	if a.Role == eyelevel.RoleCounselor || appt.Start.Sub(s.now()) >= s.cfg.CancelNotice {
		return false, false, nil
	}
	costs, err = s.clientCosts(ctx, appt)
	return true, costs, err
}

// CancelDeadline returns the last moment a may cancel an appointment
// starting at start without it counting as late — for clients the notice
// period before it, for counselors the start itself — and whether that
// moment is still ahead. Pages state it before booking and before
// cancelling.
func (s *Service) CancelDeadline(a eyelevel.Actor, start time.Time) (time.Time, bool) {
	by := start
	if a.Role == eyelevel.RoleClient {
		by = start.Add(-s.cfg.CancelNotice)
	}
	return by, s.now().Before(by)
}

// bookingCheck asks store.Book for the facts the booking rule
// (slots.Plan.Bookable) decides on, and lets the rule decide.
// The calendar day of the slot is taken in the client's zone.
func (s *Service) bookingCheck(plan *slots.Plan, start, now time.Time, zone *time.Location) store.BookingCheck {
	lo, hi := s.cfg.Rules.Window(start)
	y, m, d := start.In(zone).Date()
	day := time.Date(y, m, d, 0, 0, 0, 0, zone)
	lim := s.limits()
	return store.BookingCheck{Lo: lo, Hi: hi, OpenAfter: now, MaxOpen: lim.MaxOpen,
		DayLo: day, DayHi: day.AddDate(0, 0, 1), MaxDay: lim.PerDay,
		Zone: zone,
		Free: func(f store.BookingFacts) bool {
			ok, _ := plan.Bookable(start, facts(f), lim)
			return ok
		}}
}

// limits are the operator's course rules.
func (s *Service) limits() slots.Limits {
	return slots.Limits{MaxOpen: s.cfg.MaxOpen, PerDay: max(s.cfg.SessionsPerDay, 0)}
}

// facts are the store's facts as the booking rule takes them.
func facts(f store.BookingFacts) slots.Facts {
	near := make([]slots.Held, len(f.Near))
	for i, h := range f.Near {
		near[i] = slots.Held{Slot: eyelevel.Slot{Start: h.Start, End: h.End}, Own: h.Own}
	}
	return slots.Facts{Near: near, Overlap: f.Overlap, Open: f.Open, Day: f.Day}
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
		// The directory may have changed by a deactivation (on any node):
		// only a listed counselor can be booked, as Book's lookup requires.
		if listed, err := s.db.CounselorListed(ctx, appt.CounselorID); err != nil {
			return err
		} else if !listed {
			return eyelevel.ErrNotFound()
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
		check := s.bookingCheck(plan, appt.Start, check.OpenAfter, check.Zone)
		r, err = s.db.Book(ctx, *appt, check)
		return err
	})
	return plan, r, err
}

// refusal returns the error for a booking the rule refused on facts f.
func (s *Service) refusal(plan *slots.Plan, start time.Time, f store.BookingFacts) error {
	_, reason := plan.Bookable(start, facts(f), s.limits())
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
	case slots.ReasonSameDay:
		return eyelevel.Errorf(eyelevel.ECONFLICT, "booking.err.same_day", "You already have a session on this day.")
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
