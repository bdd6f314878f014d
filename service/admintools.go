package service

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"eyelevel"
	"eyelevel/store"
)

// MaxAccountHits bounds an account search: the admin looks for one
// account, not a list of everyone.
const MaxAccountHits = 50

// AccountHit is an account an admin found: pseudonym, role, when created,
// last active, and for counselors since when deactivated. Never health
// data, never an email address.
type AccountHit struct {
	store.AccountHit
	// SecondFactor is "yes" or "no": whether the account has enrolled a
	// second factor (TOTP or a passkey).
	SecondFactor string
}

// FindAccounts returns up to MaxAccountHits accounts whose username
// contains query, ignoring case; admins only. Errors: EUNAUTHORIZED,
// EFORBIDDEN, EINVALID (query empty or over 40 characters).
func (s *Service) FindAccounts(ctx context.Context, a eyelevel.Actor, query string) ([]AccountHit, error) {
	if err := requireAdmin(a); err != nil {
		return nil, err
	}
	query = strings.TrimSpace(query)
	if query == "" || utf8.RuneCountInString(query) > 40 {
		return nil, invalid(map[string]string{"q": "admintools.err.query"})
	}
	hs, err := s.db.FindAccounts(ctx, query, MaxAccountHits)
	if err != nil {
		return nil, err
	}
	out := make([]AccountHit, len(hs))
	for i, h := range hs {
		out[i] = AccountHit{AccountHit: h, SecondFactor: "no"}
		if h.Enrolled {
			out[i].SecondFactor = "yes"
		}
	}
	return out, nil
}

// DeactivateCounselor hides counselor id from search and booking (admin);
// their booked sessions stay until cancelled (CancelCounselorSessions),
// and they can still log in and message their clients. The action is
// logged. Errors: EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND (no counselor).
func (s *Service) DeactivateCounselor(ctx context.Context, a eyelevel.Actor, id eyelevel.UserID) error {
	return s.setDeactivated(ctx, a, id, s.now().UTC(), eyelevel.ActionCounselorDeactivate)
}

// ReactivateCounselor lists counselor id again (admin). Errors: as
// DeactivateCounselor.
func (s *Service) ReactivateCounselor(ctx context.Context, a eyelevel.Actor, id eyelevel.UserID) error {
	return s.setDeactivated(ctx, a, id, time.Time{}, eyelevel.ActionCounselorReactivate)
}

func (s *Service) setDeactivated(ctx context.Context, a eyelevel.Actor, id eyelevel.UserID, at time.Time, what string) error {
	if err := requireAdmin(a); err != nil {
		return err
	}
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		if err := s.db.SetCounselorDeactivated(ctx, id, at); err != nil {
			return err
		}
		return s.logAction(ctx, a, id, what)
	})
	if err != nil {
		return err
	}
	s.log.Info("counselor standing changed", "counselor", id, "deactivated", !at.IsZero(), "by", a.UserID)
	return nil
}

// CounselorStanding is what the admin page shows of one counselor: the
// profile, since when deactivated (zero: active) and their booked
// sessions from now on (times only).
type CounselorStanding struct {
	Counselor   eyelevel.Counselor
	Deactivated time.Time
	Upcoming    []eyelevel.Appointment
}

// CounselorStanding returns counselor id's standing (admin). Errors:
// EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND.
func (s *Service) CounselorStanding(ctx context.Context, a eyelevel.Actor, id eyelevel.UserID) (CounselorStanding, error) {
	if err := requireAdmin(a); err != nil {
		return CounselorStanding{}, err
	}
	c, err := s.db.Counselor(ctx, id)
	if err != nil {
		return CounselorStanding{}, err
	}
	off, err := s.db.DeactivatedCounselors(ctx)
	if err != nil {
		return CounselorStanding{}, err
	}
	up, err := s.db.Appointments(ctx, store.AppointmentFilter{CounselorID: id, EndsAfter: s.now(), BookedOnly: true})
	if err != nil {
		return CounselorStanding{}, err
	}
	now := s.now()
	up = slices.DeleteFunc(up, func(ap eyelevel.Appointment) bool { return !ap.Start.After(now) })
	return CounselorStanding{Counselor: c, Deactivated: off[id], Upcoming: up}, nil
}

// CancelCounselorSessions cancels every booked future session of the
// deactivated counselor id (admin), each client getting message in their
// conversation with that counselor first, as CancelAbsenceSessions does:
// the message and the cancellation are the counselor's side's, so no
// client is charged. All or nothing; logged. Errors: EUNAUTHORIZED,
// EFORBIDDEN, ENOTFOUND, ECONFLICT (counselor not deactivated), EINVALID
// (message empty or too long), EUNAVAILABLE (no key to seal messages).
func (s *Service) CancelCounselorSessions(ctx context.Context, a eyelevel.Actor, id eyelevel.UserID, message string) ([]eyelevel.Appointment, error) {
	if err := requireAdmin(a); err != nil {
		return nil, err
	}
	message = strings.TrimSpace(message)
	p := problems{}
	p.check(message != "", "message", "admintools.err.message")
	p.check(utf8.RuneCountInString(message) <= MaxMessage, "message", "messages.err.long")
	if err := p.err(); err != nil {
		return nil, err
	}
	var out []eyelevel.Appointment
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		out = nil
		st, err := s.CounselorStanding(ctx, a, id)
		if err != nil {
			return err
		}
		if st.Deactivated.IsZero() {
			return eyelevel.Errorf(eyelevel.ECONFLICT, "admintools.err.active", "Deactivate the counselor before cancelling their sessions.")
		}
		side := eyelevel.Actor{UserID: id, Role: eyelevel.RoleCounselor, TimeZone: st.Counselor.TimeZone}
		told := map[eyelevel.UserID]bool{}
		for _, ap := range st.Upcoming {
			if !told[ap.ClientID] { // one message per client, before their sessions go
				if _, err := s.sendMessage(ctx, side, ap.ClientID, message, false); err != nil {
					return err
				}
				told[ap.ClientID] = true
			}
			done, err := s.Cancel(ctx, side, ap.ID)
			if err != nil {
				return err
			}
			out = append(out, done)
		}
		return s.logAction(ctx, a, id, eyelevel.ActionCounselorCancelAll)
	})
	if err != nil {
		return nil, err
	}
	s.log.Info("deactivated counselor's sessions cancelled", "counselor", id, "count", len(out), "by", a.UserID)
	return out, nil
}

// MonthCount is one counselor's sessions in one calendar month: held
// (ended, not marked a no-show), upcoming (not started) and cancelled.
type MonthCount struct {
	Month                     string // YYYY-MM in the admin's time zone
	Held, Upcoming, Cancelled int
}

// CounselorCounts is one counselor's sessions by month, newest first.
type CounselorCounts struct {
	ID          eyelevel.UserID
	DisplayName string
	Deactivated bool
	Months      []MonthCount
}

// SessionCountMonths is how many months back SessionCounts goes, the
// current one included; later months with booked sessions come too.
const SessionCountMonths = 12

// SessionCounts counts each counselor's sessions per month (admin), from
// the start of the month SessionCountMonths-1 months ago on: numbers only,
// no client, no content. Sessions under way count in none of the three.
// Errors: EUNAUTHORIZED, EFORBIDDEN.
func (s *Service) SessionCounts(ctx context.Context, a eyelevel.Actor) ([]CounselorCounts, error) {
	if err := requireAdmin(a); err != nil {
		return nil, err
	}
	zone := zoneOf(a.TimeZone)
	now := s.now().In(zone)
	from := time.Date(now.Year(), now.Month()-(SessionCountMonths-1), 1, 0, 0, 0, 0, zone)
	facts, err := s.db.SessionFacts(ctx, from)
	if err != nil {
		return nil, err
	}
	cs, err := s.db.Counselors(ctx)
	if err != nil {
		return nil, err
	}
	off, err := s.db.DeactivatedCounselors(ctx)
	if err != nil {
		return nil, err
	}
	counts := map[eyelevel.UserID]map[string]*MonthCount{}
	for _, f := range facts {
		m := counts[f.CounselorID]
		if m == nil {
			m = map[string]*MonthCount{}
			counts[f.CounselorID] = m
		}
		key := f.Start.In(zone).Format("2006-01")
		mc := m[key]
		if mc == nil {
			mc = &MonthCount{Month: key}
			m[key] = mc
		}
		switch {
		case f.Cancelled:
			mc.Cancelled++
		case f.Start.After(now):
			mc.Upcoming++
		case !f.End.After(now) && !strings.HasPrefix(f.Attendance, "no_show"):
			mc.Held++
		}
	}
	out := make([]CounselorCounts, 0, len(cs))
	for _, c := range cs {
		cc := CounselorCounts{ID: c.ID, DisplayName: c.DisplayName}
		_, cc.Deactivated = off[c.ID]
		for _, mc := range counts[c.ID] {
			cc.Months = append(cc.Months, *mc)
		}
		slices.SortFunc(cc.Months, func(x, y MonthCount) int { return strings.Compare(y.Month, x.Month) })
		out = append(out, cc)
	}
	return out, nil
}
