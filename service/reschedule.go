package service

import (
	"context"
	"time"

	"eyelevel"
	"eyelevel/slots"
	"eyelevel/store"
)

// RescheduleInput moves an appointment to the slot starting at Start.
type RescheduleInput struct {
	Start time.Time `json:"start"`
}

// rescheduleClient returns the client on whose behalf a moves appt, and
// the client's zone: the client themself or the care point acting for
// them. Errors: EUNAUTHORIZED, EFORBIDDEN (the counselor: they cancel
// instead), ENOTFOUND (anyone else).
func (s *Service) rescheduleClient(ctx context.Context, a eyelevel.Actor, appt eyelevel.Appointment) (eyelevel.Actor, error) {
	switch {
	case a.Anonymous():
		return eyelevel.Actor{}, unauthorized()
	case a.Role == eyelevel.RoleCounselor && appt.CounselorID == a.UserID:
		return eyelevel.Actor{}, eyelevel.Errorf(eyelevel.EFORBIDDEN, "reschedule.err.clients_only", "Only the client can move a session to another time.")
	case a.Role == eyelevel.RoleClient && appt.ClientID == a.UserID:
		return a, nil
	case a.Role == eyelevel.RoleCarePoint:
		if err := s.actsFor(ctx, a, appt.ClientID); err != nil {
			return eyelevel.Actor{}, err
		}
		u, err := s.db.UserByID(ctx, appt.ClientID)
		if err != nil {
			return eyelevel.Actor{}, err
		}
		return actorOfUser(u), nil
	}
	return eyelevel.Actor{}, eyelevel.ErrNotFound()
}

// Reschedule moves a booked appointment to another free slot of the same
// counselor, for its client or the care point acting for them. It is
// allowed only while cancelling would not be late, and the new slot must
// pass every booking rule (the session's own time set aside). The
// appointment keeps its id, its credit and its calendar UID; the old slot
// is freed and the new one taken in one transaction under the booking
// locks, the calendar SEQUENCE rises and both sides get a METHOD:REQUEST
// mail. Reminders start over for the new time (those already past are
// skipped). Errors: EUNAUTHORIZED, EFORBIDDEN (the counselor), ENOTFOUND,
// EINVALID (start missing, past, too soon, too far, the same time, not a
// slot), ECONFLICT (not booked, too late to change, taken, overlapping,
// a session that day).
func (s *Service) Reschedule(ctx context.Context, a eyelevel.Actor, id eyelevel.AppointmentID, in RescheduleInput) (eyelevel.Appointment, error) {
	if a.Anonymous() {
		return eyelevel.Appointment{}, unauthorized()
	}
	appt, err := s.db.Appointment(ctx, id)
	if err != nil {
		return eyelevel.Appointment{}, err
	}
	client, err := s.rescheduleClient(ctx, a, appt)
	if err != nil {
		return eyelevel.Appointment{}, err
	}
	now := s.now().UTC()
	if in.Start.IsZero() {
		return eyelevel.Appointment{}, fieldErr("start", "booking.err.start", "Choose a time.")
	}
	start := in.Start.UTC()
	switch {
	case appt.Status != eyelevel.StatusBooked:
		return eyelevel.Appointment{}, eyelevel.Errorf(eyelevel.ECONFLICT, "appointment.err.not_booked", "This appointment is no longer booked.")
	case appt.Start.Sub(now) < s.cfg.CancelNotice:
		return eyelevel.Appointment{}, eyelevel.Errorf(eyelevel.ECONFLICT, "reschedule.err.late", "It is too close to the session to move it. You can still cancel it.")
	case start.Equal(appt.Start):
		return eyelevel.Appointment{}, fieldErr("start", "reschedule.err.same", "This is the session's time already.")
	case !start.After(now):
		return eyelevel.Appointment{}, fieldErr("start", "booking.err.past", "This time is in the past.")
	case start.Before(s.earliestStart()):
		return eyelevel.Appointment{}, fieldErr("start", "booking.err.too_soon", "This time is too soon to book.")
	case !start.Before(now.Add(s.cfg.Horizon)):
		return eyelevel.Appointment{}, fieldErr("start", "booking.err.too_far", "This time is too far ahead to book.")
	}
	old := appt.Start
	err = s.db.InTx(ctx, func(ctx context.Context) error {
		if err := s.db.LockBooking(ctx, appt.CounselorID, appt.ClientID); err != nil {
			return err
		}
		// Read again under the locks: a cancellation may have come first.
		if appt, err = s.db.Appointment(ctx, id); err != nil {
			return err
		}
		if appt.Status != eyelevel.StatusBooked || !appt.Start.Equal(old) {
			return eyelevel.Errorf(eyelevel.ECONFLICT, "appointment.err.not_booked", "This appointment is no longer booked.")
		}
		c, err := s.db.Counselor(ctx, appt.CounselorID)
		if err != nil {
			return err
		}
		avs, err := s.db.AvailabilityFrom(ctx, []eyelevel.UserID{c.ID}, start)
		if err != nil {
			return err
		}
		plan := slots.NewPlan(avs[c.ID], zoneOf(c.TimeZone), s.cfg.Rules)
		if !s.onGrid(plan, start) {
			return notASlot()
		}
		check := s.bookingCheck(plan, start, now, zoneOf(client.TimeZone))
		end := start.Add(s.cfg.Rules.Length)
		r, err := s.db.Reschedule(ctx, appt, start, end, check)
		if err != nil {
			return err
		}
		if !r.Booked {
			return s.refusal(plan, start, r.BookingFacts)
		}
		appt.Start, appt.End = start, end
		for _, off := range s.cfg.Mail.Reminders {
			if !start.Add(-off).After(now) {
				if _, err := s.db.ClaimReminder(ctx, id, off, now, true); err != nil {
					return err
				}
			}
		}
		seq, err := s.db.ICSSequence(ctx, id)
		if err != nil {
			return err
		}
		return s.mailAppointment(ctx, apptChange{kind: mailRescheduled, appt: appt, seq: seq, oldStart: old})
	})
	if err != nil {
		return eyelevel.Appointment{}, err
	}
	s.log.Info("appointment rescheduled", "appointment", appt.ID, "by_role", a.Role)
	return appt, nil
}

// RescheduleSlots lists the free slots of the appointment's counselor in
// the next two weeks that it could move to, for the "change time" page:
// without the days on which the client already has as many other
// sessions as a day may hold. Errors: as Reschedule's authorization.
func (s *Service) RescheduleSlots(ctx context.Context, a eyelevel.Actor, id eyelevel.AppointmentID) (eyelevel.Appointment, []eyelevel.Slot, error) {
	if a.Anonymous() {
		return eyelevel.Appointment{}, nil, unauthorized()
	}
	appt, err := s.db.Appointment(ctx, id)
	if err != nil {
		return appt, nil, err
	}
	client, err := s.rescheduleClient(ctx, a, appt)
	if err != nil {
		return appt, nil, err
	}
	now := s.now()
	free, err := s.Slots(ctx, eyelevel.Actor{}, SlotsInput{CounselorID: appt.CounselorID, From: now, To: now.Add(14 * 24 * time.Hour)})
	if err != nil || len(free) == 0 {
		return appt, free, err
	}
	lim := s.limits()
	zone := zoneOf(client.TimeZone)
	own, err := s.db.Appointments(ctx, store.AppointmentFilter{ClientID: appt.ClientID, EndsAfter: now, BookedOnly: true})
	if err != nil {
		return appt, nil, err
	}
	perDay := map[string]int{}
	for _, o := range own {
		if o.ID != appt.ID {
			perDay[o.Start.In(zone).Format(time.DateOnly)]++
		}
	}
	out := []eyelevel.Slot{}
	for _, sl := range free {
		if lim.PerDay > 0 && lim.DayFull(perDay[sl.Start.In(zone).Format(time.DateOnly)]) {
			continue
		}
		out = append(out, sl)
	}
	return appt, out, nil
}
