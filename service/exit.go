package service

import (
	"context"
	"encoding/json"
	"time"

	"eyelevel"
)

// CloseContracts carries out the exit terms of every contract whose last
// sessions can no longer change (see exitDue): in one transaction per
// contract it freezes the final report (the whole term), the report of
// every calendar month, quarter and year overlapping the term that is
// over, and each such month's statement, and then deletes the
// organization's link to its people (the contract's credits and
// care-point links, and the contract and credit of its appointments).
// Clients keep their accounts and their appointments. A period not over
// at the exit is not frozen: its report is refused as open until it is
// over, and then there is none (the final report covers it). It returns
// how many contracts it closed; run it periodically.
func (s *Service) CloseContracts(ctx context.Context) (int, error) {
	now := s.now().UTC()
	open, err := s.db.OpenContracts(ctx)
	if err != nil {
		return 0, err
	}
	closed := 0
	for _, k := range open {
		if now.Before(s.exitDue(k)) {
			continue
		}
		done := false
		err := s.db.InTx(ctx, func(ctx context.Context) error {
			k, err := s.db.Contract(ctx, k.ID)
			if err != nil || !k.ClosedAt.IsZero() {
				return err
			}
			if err := s.freezeContract(ctx, k, now); err != nil {
				return err
			}
			done, err = s.db.UnlinkContract(ctx, k.ID, now)
			return err
		})
		if err != nil {
			return closed, err
		}
		if done {
			closed++
		}
	}
	return closed, nil
}

// exitDue is when contract k's exit may be carried out: after its grace
// period, once the last sessions' rooms have closed and their attendance
// can no longer be corrected, so that the frozen figures are final.
func (s *Service) exitDue(k eyelevel.Contract) time.Time {
	return k.GraceEnd().Add(s.cfg.RoomCloseAfter + CorrectionWindow)
}

// contractPeriods lists the calendar months, quarters and years
// overlapping contract k's term and grace period that are over at now.
func contractPeriods(k eyelevel.Contract, now time.Time) (months, others []period) {
	start, end := k.StartTime(), k.GraceEnd()
	over := func(p period) bool { return !p.To.After(now) }
	for m := monthStart(start); m.Before(end); m = m.AddDate(0, 1, 0) {
		if p := monthPeriod(m); over(p) {
			months = append(months, p)
		}
	}
	for q := quarterStart(start); q.Before(end); q = q.AddDate(0, 3, 0) {
		if p := quarterPeriod(q); over(p) {
			others = append(others, p)
		}
	}
	for y := start.Year(); y <= end.Add(-time.Nanosecond).Year(); y++ {
		if p := yearPeriod(time.Date(y, time.January, 1, 0, 0, 0, 0, time.UTC)); over(p) {
			others = append(others, p)
		}
	}
	return months, others
}

// freezeContract stores contract k's reports and statements as snapshots.
func (s *Service) freezeContract(ctx context.Context, k eyelevel.Contract, now time.Time) error {
	put := func(name string, v any) error {
		body, err := json.Marshal(v)
		if err != nil {
			return err
		}
		return s.db.PutSnapshot(ctx, k.ID, name, body, now)
	}
	months, others := contractPeriods(k, now)
	// The final report is secondarily suppressed against the months it is
	// made of, like a year against its quarters.
	final, raw, err := s.rawBuyerReport(ctx, k, period{Name: FinalPeriod, From: k.StartTime(), To: k.GraceEnd()})
	if err != nil {
		return err
	}
	for _, m := range months {
		r, err := s.closedBuyerReport(ctx, k, m) // as published before the exit
		if err != nil {
			return err
		}
		suppressBuyerLike(&final, r)
		if err := put(m.Name, r); err != nil {
			return err
		}
		st, err := s.statement(ctx, k, m)
		if err != nil {
			return err
		}
		if err := put(statementKey(m), st); err != nil {
			return err
		}
	}
	suppressLanguages(&final, raw)
	if err := put(FinalPeriod, final); err != nil {
		return err
	}
	for _, p := range others {
		r, err := s.closedBuyerReport(ctx, k, p)
		if err != nil {
			return err
		}
		if err := put(p.Name, r); err != nil {
			return err
		}
	}
	return nil
}

// SeedHeld marks past booked appointments as held, for seeding the demo's
// history, whose rooms were never joined; not for real sessions, whose
// attendance the rooms record.
func (s *Service) SeedHeld(ctx context.Context, ids []eyelevel.AppointmentID) error {
	return s.db.MarkHeld(ctx, ids, "", s.now())
}
