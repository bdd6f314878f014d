package service

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"eyelevel"
	"eyelevel/store"
)

// Absence limits: an absence is whole days (a vacation, a course, sick
// days; hours off are availability exceptions), at most MaxAbsenceDays
// long, starting within a year, with a message of at most MaxAbsenceMessage
// characters for the clients whose sessions it cancels.
const (
	MaxAbsenceDays    = 180
	MaxAbsenceMessage = 1000
	// MaxAbsences bounds a counselor's absences not yet over: each day of
	// one is a day off in every slot computation.
	MaxAbsences = 50
)

// AbsenceInput is a new absence: dates YYYY-MM-DD in the counselor's zone,
// both days included.
type AbsenceInput struct {
	From, To string
	Message  string
}

// Absence is a counselor's absence with the booked sessions in it that are
// still ahead (to be cancelled).
type Absence struct {
	store.Absence
	Sessions []eyelevel.Appointment
}

// requireCounselor is requireRole for a counselor's own workspace.
func requireCounselor(a eyelevel.Actor) error { return requireRole(a, eyelevel.RoleCounselor) }

// AddAbsence records an absence of the acting counselor: their slots on
// those days disappear at once (store.AvailabilityFrom). Sessions already
// booked in it stay until the counselor confirms their cancellation
// (CancelAbsenceSessions). Errors: EUNAUTHORIZED, EFORBIDDEN, EINVALID.
func (s *Service) AddAbsence(ctx context.Context, a eyelevel.Actor, in AbsenceInput) (Absence, error) {
	if err := requireCounselor(a); err != nil {
		return Absence{}, err
	}
	c, err := s.db.Counselor(ctx, a.UserID)
	if err != nil {
		return Absence{}, err
	}
	zone := zoneOf(c.TimeZone)
	today := s.now().In(zone).Format(time.DateOnly)
	in.Message = strings.TrimSpace(in.Message)
	from, errF := time.Parse(time.DateOnly, in.From)
	to, errT := time.Parse(time.DateOnly, in.To)
	p := problems{}
	p.check(errF == nil, "from", "absence.err.date")
	p.check(errT == nil, "to", "absence.err.date")
	if errF == nil {
		p.check(in.From >= today, "from", "absence.err.past")
		p.check(from.Before(s.now().AddDate(1, 0, 0)), "from", "absence.err.far")
	}
	if errF == nil && errT == nil {
		p.check(!to.Before(from), "to", "absence.err.order")
		p.check(to.Sub(from) < MaxAbsenceDays*24*time.Hour, "to", "absence.err.long")
	}
	p.check(in.Message != "", "message", "absence.err.message")
	p.check(utf8.RuneCountInString(in.Message) <= MaxAbsenceMessage, "message", "absence.err.message_long")
	if err := p.err(); err != nil {
		return Absence{}, err
	}
	if open, err := s.db.Absences(ctx, a.UserID, today); err != nil {
		return Absence{}, err
	} else if len(open) >= MaxAbsences {
		return Absence{}, eyelevel.Errorf(eyelevel.ECONFLICT, "absence.err.too_many", "You have entered too many absences; please delete some first.")
	}
	ab := store.Absence{ID: eyelevel.NewID(), CounselorID: a.UserID, From: in.From, To: in.To, Message: in.Message, CreatedAt: s.now().UTC()}
	if err := s.db.CreateAbsence(ctx, ab); err != nil {
		return Absence{}, err
	}
	s.log.Info("absence added", "absence", ab.ID)
	return s.withSessions(ctx, ab, zone)
}

// withSessions adds the booked sessions still ahead in ab.
func (s *Service) withSessions(ctx context.Context, ab store.Absence, zone *time.Location) (Absence, error) {
	lo, hi := absenceSpan(ab, zone)
	lo = later(lo, s.now().UTC())
	out := Absence{Absence: ab}
	if !lo.Before(hi) {
		return out, nil
	}
	var err error
	out.Sessions, err = s.db.BookedBetween(ctx, ab.CounselorID, lo, hi)
	return out, err
}

// absenceSpan is the instants an absence covers: from the start of its
// first day to the end of its last, in the counselor's zone.
func absenceSpan(ab store.Absence, zone *time.Location) (time.Time, time.Time) {
	from, _ := time.ParseInLocation(time.DateOnly, ab.From, zone)
	to, _ := time.ParseInLocation(time.DateOnly, ab.To, zone)
	y, m, d := to.Date()
	return from.UTC(), time.Date(y, m, d+1, 0, 0, 0, 0, zone).UTC()
}

// Absences lists the acting counselor's absences that have not ended, each
// with its sessions still to cancel. Errors: EUNAUTHORIZED, EFORBIDDEN.
func (s *Service) Absences(ctx context.Context, a eyelevel.Actor) ([]Absence, error) {
	if err := requireCounselor(a); err != nil {
		return nil, err
	}
	c, err := s.db.Counselor(ctx, a.UserID)
	if err != nil {
		return nil, err
	}
	zone := zoneOf(c.TimeZone)
	abs, err := s.db.Absences(ctx, a.UserID, s.now().In(zone).Format(time.DateOnly))
	if err != nil {
		return nil, err
	}
	out := make([]Absence, 0, len(abs))
	for _, ab := range abs {
		x, err := s.withSessions(ctx, ab, zone)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, nil
}

// DeleteAbsence removes one of the acting counselor's absences; its days
// become bookable again. Errors: EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND
// (also for other counselors' absences).
func (s *Service) DeleteAbsence(ctx context.Context, a eyelevel.Actor, id string) error {
	if err := requireCounselor(a); err != nil {
		return err
	}
	if err := s.db.DeleteAbsence(ctx, a.UserID, id); err != nil {
		return err
	}
	s.log.Info("absence deleted", "absence", id)
	return nil
}

// CancelAbsenceSessions cancels the acting counselor's booked sessions in
// one of their absences that are still ahead, in one transaction: each as
// the counselor's cancellation (Cancel: a credit returns, it never costs
// the client), each client getting the absence's message as a secure
// message. It returns the cancelled appointments. Errors: EUNAUTHORIZED,
// EFORBIDDEN, ENOTFOUND, EUNAVAILABLE (no key to seal the messages).
func (s *Service) CancelAbsenceSessions(ctx context.Context, a eyelevel.Actor, id string) ([]eyelevel.Appointment, error) {
	if err := requireCounselor(a); err != nil {
		return nil, err
	}
	var out []eyelevel.Appointment
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		out = nil
		ab, err := s.db.AbsenceByID(ctx, id)
		if err != nil {
			return err
		} else if ab.CounselorID != a.UserID {
			return eyelevel.ErrNotFound()
		}
		c, err := s.db.Counselor(ctx, a.UserID)
		if err != nil {
			return err
		}
		x, err := s.withSessions(ctx, ab, zoneOf(c.TimeZone))
		if err != nil {
			return err
		}
		for _, ap := range x.Sessions {
			// The message first: once the session is cancelled the client
			// may no longer count as the counselor's (IsClientOf).
			if _, err := s.sendMessage(ctx, a, ap.ClientID, ab.Message, false); err != nil {
				return err
			}
			done, err := s.Cancel(ctx, a, ap.ID)
			if err != nil {
				return err
			}
			out = append(out, done)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.log.Info("absence sessions cancelled", "absence", id, "count", len(out))
	return out, nil
}
