package service

import (
	"context"
	"time"

	"eyelevel"
	"eyelevel/store"
)

// Attendance is how a session ended: derived from the room's join events
// when the room closes (SettleAttendance), marked held when the counselor
// ends the session (EndSession), and correctable by the counselor for
// CorrectionWindow after the end (SetAttendance). The client's credit
// follows it: held uses the session, the counselor's no-show never does,
// the client's no-show does when a late cancellation would.

// CorrectionWindow is how long after the end the counselor may correct
// the attendance.
const CorrectionWindow = 7 * 24 * time.Hour

const (
	attendanceAuto      = "auto"
	attendanceCounselor = "counselor"
)

// derivedAttendance is the attendance the join events give: a session
// nobody joined counts as the counselor's no-show, so that it never costs
// the client.
func derivedAttendance(client, counselor bool) eyelevel.Attendance {
	switch {
	case client && counselor:
		return eyelevel.AttendanceHeld
	case counselor:
		return eyelevel.AttendanceNoShowClient
	}
	return eyelevel.AttendanceNoShowCounselor
}

// SettleAttendance derives the attendance of booked sessions whose room has
// closed and that have none yet, and settles their credits; it returns
// how many it settled. The job runs it every minute.
func (s *Service) SettleAttendance(ctx context.Context) (int, error) {
	now := s.now().UTC()
	n := 0
	for {
		due, err := s.db.AttendanceDue(ctx, now.Add(-s.cfg.RoomCloseAfter), 100)
		if err != nil {
			return n, err
		}
		for _, appt := range due {
			err := s.db.InTx(ctx, func(ctx context.Context) error {
				client, counselor, err := s.db.JoinedRoles(ctx, appt)
				if err != nil {
					return err
				}
				_, err = s.changeAttendance(ctx, appt, derivedAttendance(client, counselor), attendanceAuto, now)
				return err
			})
			if err != nil {
				return n, err
			}
			n++
		}
		if len(due) < 100 || ctx.Err() != nil {
			return n, ctx.Err()
		}
	}
}

// changeAttendance records att for appt if its attendance is still the one
// read, and moves its credit when whether it costs the client changes.
// Call it in the action's transaction.
func (s *Service) changeAttendance(ctx context.Context, appt eyelevel.Appointment, att eyelevel.Attendance, by string, now time.Time) (bool, error) {
	ok, err := s.db.SetAttendance(ctx, appt.ID, appt.Attendance, att, by, now)
	if err != nil || !ok || appt.CreditID == "" {
		return ok, err
	}
	was, err := s.attendanceCosts(ctx, appt, appt.Attendance)
	if err != nil {
		return false, err
	}
	is, err := s.attendanceCosts(ctx, appt, att)
	switch {
	case err != nil:
		return false, err
	case was && !is:
		return true, s.db.ReturnCredit(ctx, appt.CreditID, appt.ContractID)
	case !was && is:
		// The session counts again: it needs its credit back. When the
		// credit (or the pool) has none left, the correction is refused
		// (the caller's transaction rolls the attendance back), so that
		// no session counts without one.
		ok, err := s.db.DrawCredit(ctx, appt.CreditID, appt.ContractID)
		if err == nil && !ok {
			err = eyelevel.Errorf(eyelevel.ECONFLICT, "attendance.err.no_credit",
				"The client's sessions are used up, so this session cannot be counted as held or as the client's no-show.")
		}
		return err == nil, err
	}
	return true, nil
}

// attendanceCosts reports whether a session that ended as att uses the
// client's credit; a session not yet settled holds it.
func (s *Service) attendanceCosts(ctx context.Context, appt eyelevel.Appointment, att eyelevel.Attendance) (bool, error) {
	switch att {
	case eyelevel.AttendanceNone, eyelevel.AttendanceHeld:
		return true, nil
	case eyelevel.AttendanceNoShowClient:
		return s.clientCosts(ctx, appt)
	}
	return false, nil
}

// AttendanceInput is a counselor's record of how a session ended.
type AttendanceInput struct {
	Attendance eyelevel.Attendance `json:"attendance"`
}

// SetAttendance lets the appointment's counselor record or correct how
// the session ended, from its start until CorrectionWindow after its end;
// the credit follows, and setting the same again changes nothing. Errors:
// EUNAUTHORIZED, ENOTFOUND (not the counselor's session), EINVALID
// (attendance), ECONFLICT (not started, cancelled, the window has passed,
// or a correction that makes the session count when its credit has none
// left; a free session has nothing to draw).
func (s *Service) SetAttendance(ctx context.Context, a eyelevel.Actor, id eyelevel.AppointmentID, in AttendanceInput) (eyelevel.Appointment, error) {
	if a.Anonymous() {
		return eyelevel.Appointment{}, unauthorized()
	}
	if !in.Attendance.Valid() {
		return eyelevel.Appointment{}, fieldErr("attendance", "attendance.err.value", "Choose held, no_show_client or no_show_counselor.")
	}
	now := s.now().UTC()
	var appt eyelevel.Appointment
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var err error
		if appt, err = s.db.Appointment(ctx, id); err != nil {
			return err
		}
		if a.Role != eyelevel.RoleCounselor || appt.CounselorID != a.UserID {
			return eyelevel.ErrNotFound()
		}
		switch {
		case appt.Status != eyelevel.StatusBooked:
			return eyelevel.Errorf(eyelevel.ECONFLICT, "appointment.err.not_booked", "This appointment is no longer booked.")
		case now.Before(appt.Start):
			return eyelevel.Errorf(eyelevel.ECONFLICT, "attendance.err.not_started", "This session has not started yet.")
		case now.After(appt.End.Add(CorrectionWindow)):
			e := eyelevel.Errorf(eyelevel.ECONFLICT, "attendance.err.too_late", "Attendance can be corrected up to %d days after the session.", int(CorrectionWindow.Hours()/24))
			e.Args = []any{"days", int(CorrectionWindow.Hours() / 24)}
			return e
		case appt.Attendance == in.Attendance:
			return nil
		}
		if _, err := s.changeAttendance(ctx, appt, in.Attendance, attendanceCounselor, now); err != nil {
			return err
		}
		appt.Attendance, appt.AttendanceBy, appt.AttendanceAt = in.Attendance, attendanceCounselor, now
		return s.logAction(ctx, a, appt.ClientID, eyelevel.ActionAttendance)
	})
	if err != nil {
		return eyelevel.Appointment{}, err
	}
	s.log.Info("attendance recorded", "appointment", appt.ID, "attendance", appt.Attendance)
	return appt, nil
}

// EndSession is the counselor's "End session" in the room: the session
// was held. Errors: as SetAttendance.
func (s *Service) EndSession(ctx context.Context, a eyelevel.Actor, id eyelevel.AppointmentID) (eyelevel.Appointment, error) {
	return s.SetAttendance(ctx, a, id, AttendanceInput{Attendance: eyelevel.AttendanceHeld})
}

// RecentSessions lists the acting client's or counselor's sessions that
// ended within CorrectionWindow, by start (at most 100): the appointments
// page says how each ended — to the client also when the counselor
// corrected it — and lets the counselor correct it. For anyone else it is
// empty.
func (s *Service) RecentSessions(ctx context.Context, a eyelevel.Actor) ([]eyelevel.Appointment, error) {
	now := s.now()
	f := store.AppointmentFilter{EndsAfter: now.Add(-CorrectionWindow), BookedOnly: true, Limit: 100}
	switch a.Role {
	case eyelevel.RoleClient:
		f.ClientID = a.UserID
	case eyelevel.RoleCounselor:
		f.CounselorID = a.UserID
	default:
		return nil, nil
	}
	list, err := s.db.Appointments(ctx, f)
	if err != nil {
		return nil, err
	}
	out := list[:0]
	for _, appt := range list {
		if !appt.End.After(now) {
			out = append(out, appt)
		}
	}
	return out, nil
}
