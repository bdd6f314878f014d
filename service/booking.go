package service

import (
	"context"
	"time"

	"eyelevel"
	"eyelevel/slots"
	"eyelevel/store"
)

// BookInput books the slot starting at Start with a counselor.
type BookInput struct {
	CounselorID eyelevel.UserID `json:"counselor_id"`
	Start       time.Time       `json:"start"`
}

// Book books a free slot for the acting client. The check that the slot is
// free and the insert run in one transaction that holds the counselor's lock
// (PostgreSQL row lock, SQLite's write lock), and a unique index backs it up,
// so two clients can never get the same slot.
// Errors: EUNAUTHORIZED, EFORBIDDEN (not a client), EINVALID (past, too soon,
// beyond the horizon, not a slot start), ENOTFOUND (no such counselor),
// ECONFLICT (taken, overlapping own booking, too many open bookings).
func (s *Service) Book(ctx context.Context, a eyelevel.Actor, in BookInput) (eyelevel.Appointment, error) {
	if a.Anonymous() {
		return eyelevel.Appointment{}, unauthorized()
	} else if a.Role != eyelevel.RoleClient {
		return eyelevel.Appointment{}, eyelevel.Errorf(eyelevel.EFORBIDDEN, "booking.err.clients_only", "Only clients can book sessions.")
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
		ID: eyelevel.AppointmentID(eyelevel.NewID()), CounselorID: in.CounselorID, ClientID: a.UserID,
		Start: start, End: start.Add(s.cfg.Rules.Length), Status: eyelevel.StatusBooked, CreatedAt: now,
	}
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		// Lock order counselor → client everywhere, so no two bookings deadlock.
		if err := s.db.LockCounselor(ctx, in.CounselorID); err != nil {
			return err
		}
		if err := s.db.LockUser(ctx, a.UserID); err != nil {
			return err
		}
		c, err := s.db.Counselor(ctx, in.CounselorID)
		if err != nil {
			return err
		}
		avs, err := s.db.AvailabilityFrom(ctx, []eyelevel.UserID{c.ID}, start)
		if err != nil {
			return err
		}
		av := avs[c.ID]
		r := s.cfg.Rules
		busy, err := s.db.Busy(ctx, []eyelevel.UserID{c.ID}, start.Add(-r.Length-r.Buffer), appt.End.Add(r.Buffer))
		if err != nil {
			return err
		}
		if ok, reason := slots.IsFree(av, zoneOf(c.TimeZone), r, start, busy[c.ID]); !ok {
			if reason == "taken" {
				return eyelevel.Errorf(eyelevel.ECONFLICT, "booking.err.taken", "This time has just been booked by someone else.")
			}
			return fieldErr("start", "booking.err.not_a_slot", "This is not a free time of this counselor.")
		}
		if overlap, err := s.db.ClientHasOverlap(ctx, a.UserID, appt.Start, appt.End); err != nil {
			return err
		} else if overlap {
			return eyelevel.Errorf(eyelevel.ECONFLICT, "booking.err.overlap", "You already have a session at this time.")
		}
		upcoming, err := s.db.Appointments(ctx, store.AppointmentFilter{ClientID: a.UserID, EndsAfter: now, BookedOnly: true, Limit: s.cfg.MaxOpen + 1})
		if err != nil {
			return err
		}
		open := 0
		for _, u := range upcoming {
			if u.Status == eyelevel.StatusBooked {
				open++
			}
		}
		if open >= s.cfg.MaxOpen {
			return eyelevel.Errorf(eyelevel.ECONFLICT, "booking.err.too_many", "You already have the most upcoming sessions one can hold.")
		}
		appt.CounselorName = c.DisplayName
		return s.db.CreateAppointment(ctx, appt)
	})
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

// Appointments lists the actor's own appointments that have not ended, or
// also past ones when past is true. Admins have none of their own: who meets
// whom is private. Errors: EUNAUTHORIZED.
func (s *Service) Appointments(ctx context.Context, a eyelevel.Actor, past bool) ([]eyelevel.Appointment, error) {
	var f store.AppointmentFilter
	switch a.Role {
	case eyelevel.RoleClient:
		f.ClientID = a.UserID
	case eyelevel.RoleCounselor:
		f.CounselorID = a.UserID
	case eyelevel.RoleAdmin:
		return []eyelevel.Appointment{}, nil
	default:
		return nil, unauthorized()
	}
	if !past {
		f.EndsAfter = s.now()
	}
	out, err := s.db.Appointments(ctx, f)
	if out == nil {
		out = []eyelevel.Appointment{}
	}
	return out, err
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
		if !participant(a, appt) {
			return eyelevel.ErrNotFound()
		}
		now := s.now().UTC()
		switch {
		case appt.Status != eyelevel.StatusBooked:
			return eyelevel.Errorf(eyelevel.ECONFLICT, "appointment.err.not_booked", "This appointment is no longer booked.")
		case !appt.Start.After(now):
			return eyelevel.Errorf(eyelevel.ECONFLICT, "cancel.err.started", "This session has already started.")
		case a.Role == eyelevel.RoleClient && appt.Start.Sub(now) < s.cfg.CancelNotice:
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

func fieldErr(field, key, msg string) error {
	e := eyelevel.Errorf(eyelevel.EINVALID, key, "%s", msg)
	e.Fields = map[string]string{field: key}
	return e
}
