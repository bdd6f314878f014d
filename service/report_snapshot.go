package service

import (
	"context"
	"encoding/json"
	"time"

	"eyelevel"
)

// Closed-period snapshots (issue 12): the figures of a closed report
// period are stored the first time they are computed once the period can
// no longer change — SnapshotAfter past its end, when attendance can no
// longer be corrected — and served from the store ever after, so that a
// deleted account (or anything else) never changes a published figure.
// Before that they are computed live and not stored. SnapshotReports
// stores every due period every hour, and SnapshotDue before an account
// is deleted, so that they are kept even when nobody asks.

// SnapshotAfter is how long after a period's end its figures are stored:
// the attendance correction window and two days for sessions ending late
// and for the attendance job.
const SnapshotAfter = CorrectionWindow + 2*24*time.Hour

const (
	snapImpact = "impact"
	snapBuyer  = "buyer"
)

// snapshot is what is stored: the report as the API had it, and the
// figures' "suppressed because nobody" marks, which JSON leaves out and
// secondary suppression needs.
type snapshot[R any] struct {
	Report R
	Empty  []bool
}

func (s *Service) snapshotDue(p period) bool {
	return !s.now().UTC().Before(p.To.Add(SnapshotAfter))
}

// storedReport decodes the snapshot of (kind, scope, p) into r; ok is
// false when there is none.
func (s *Service) storedReport(ctx context.Context, kind, scope string, p period, r snapshotted) (bool, error) {
	body, err := s.db.ReportSnapshot(ctx, kind, scope, p.Name)
	if eyelevel.ErrorCode(err) == eyelevel.ENOTFOUND {
		return false, nil
	} else if err != nil {
		return false, err
	}
	return true, decodeSnapshot(body, r)
}

// keepReport stores r as the snapshot of (kind, scope, p) when p is due,
// and leaves in r what is stored (an earlier snapshot wins a race).
func (s *Service) keepReport(ctx context.Context, kind, scope string, p period, r snapshotted) error {
	if !s.snapshotDue(p) {
		return nil
	}
	body, err := json.Marshal(snapshot[any]{Report: r, Empty: emptyMarks(r.figures())})
	if err != nil {
		return err
	}
	stored, err := s.db.PutReportSnapshot(ctx, kind, scope, p.Name, body, s.now().UTC())
	if err != nil {
		return err
	}
	return decodeSnapshot(stored, r)
}

// snapshotted is a report that can be stored: a pointer to one, listing
// its figures for their empty marks.
type snapshotted interface {
	figures() []*bool
}

func decodeSnapshot(body []byte, r snapshotted) error {
	var snap snapshot[json.RawMessage]
	if err := json.Unmarshal(body, &snap); err != nil {
		return err
	}
	if err := json.Unmarshal(snap.Report, r); err != nil {
		return err
	}
	for i, e := range r.figures() {
		*e = i < len(snap.Empty) && snap.Empty[i]
	}
	return nil
}

func emptyMarks(fs []*bool) []bool {
	out := make([]bool, len(fs))
	for i, e := range fs {
		out[i] = *e
	}
	return out
}

func (r *ImpactReport) figures() []*bool {
	out := []*bool{&r.Clients.empty, &r.Sessions.empty, &r.SessionsPerClient.empty, &r.FollowUpCompletion.empty, &r.Rating.empty}
	for i := range r.Outcomes {
		out = append(out, &r.Outcomes[i].empty)
	}
	return out
}

func (r *BuyerReport) figures() []*bool {
	out := []*bool{&r.CodesRedeemed.empty, &r.PeopleStarted.empty, &r.SessionsHeld.empty, &r.LateCancellations.empty, &r.NoShows.empty, &r.Rating.empty}
	for i := range r.Outcomes {
		out = append(out, &r.Outcomes[i].empty)
	}
	for i := range r.Languages {
		out = append(out, &r.Languages[i].Clients.empty)
	}
	return out
}

// storedImpact returns the stored impact report of p; ok is false when
// there is none.
func (s *Service) storedImpact(ctx context.Context, p period) (r ImpactReport, ok bool, err error) {
	ok, err = s.storedReport(ctx, snapImpact, "", p, &r)
	return r, ok, err
}

// keepImpact stores r, the impact report of p, when p is due (see
// SnapshotAfter), and returns what is stored.
func (s *Service) keepImpact(ctx context.Context, p period, r ImpactReport) (ImpactReport, error) {
	err := s.keepReport(ctx, snapImpact, "", p, &r)
	return r, err
}

// closedBuyerReport is buyerReport served from and kept in the snapshots.
// PoolLeft is not a figure of the period but the pool now: it is read
// afresh.
func (s *Service) closedBuyerReport(ctx context.Context, k eyelevel.Contract, p period) (BuyerReport, error) {
	var r BuyerReport
	ok, err := s.storedReport(ctx, snapBuyer, k.ID, p, &r)
	if err != nil {
		return r, err
	}
	if !ok {
		if r, err = s.buyerReport(ctx, k, p); err != nil {
			return r, err
		}
		if err := s.keepReport(ctx, snapBuyer, k.ID, p, &r); err != nil {
			return r, err
		}
	}
	r.PoolLeft = k.PoolLeft()
	return r, nil
}

// reportJob is the actor of the hourly snapshot job: it reads reports as
// an admin would, and nothing else.
var reportJob = eyelevel.Actor{UserID: "report-job", Role: eyelevel.RoleAdmin}

// SnapshotReports stores the figures of every closed period that is due
// (SnapshotAfter past its end) and not stored yet, back to the earliest
// data: every quarter and year of the impact report since the first
// session, response or rating, and every month, quarter and year of each
// open contract's term (closed contracts have their exit snapshots). The
// stored ones are skipped after one query listing them, so a run that
// finds nothing new reads no report. It returns how many reports it
// stored. Run it every hour, and (SnapshotDue) before an account is
// deleted.
func (s *Service) SnapshotReports(ctx context.Context) (int, error) {
	have, err := s.db.ReportSnapshotKeys(ctx)
	if err != nil {
		return 0, err
	}
	due := s.now().UTC().Add(-SnapshotAfter) // a period ending by then is due
	n := 0
	first, err := s.db.EarliestReportData(ctx)
	if err != nil {
		return n, err
	}
	if !first.IsZero() {
		for _, p := range duePeriods(first, due, false) {
			if have[snapImpact+"//"+p.Name] {
				continue
			}
			if _, err := s.ImpactReport(ctx, reportJob, p.From, p.To); err != nil {
				return n, err
			}
			n++
		}
	}
	open, err := s.db.OpenContracts(ctx)
	if err != nil {
		return n, err
	}
	for _, k := range open {
		for _, p := range duePeriods(k.StartTime(), due, true) {
			if !p.From.Before(k.GraceEnd()) || have[snapBuyer+"/"+k.ID+"/"+p.Name] {
				continue // after the contract's term, or stored
			}
			if _, err := s.closedBuyerReport(ctx, k, p); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

// SnapshotDue is SnapshotReports for the deletion of an account: call it
// inside the deletion's transaction (it joins the transaction in ctx),
// before the account's rows are deleted, so that every due period is
// stored with the account's figures in it and committed with the
// deletion.
func (s *Service) SnapshotDue(ctx context.Context) error {
	_, err := s.SnapshotReports(ctx)
	return err
}

// duePeriods lists the quarters and years (and months, with months) that
// end after first and by due, shorter periods first within each year.
func duePeriods(first, due time.Time, months bool) []period {
	var out []period
	add := func(p period) {
		if !p.To.After(due) {
			out = append(out, p)
		}
	}
	for y := first.UTC().Year(); y <= due.Year(); y++ {
		start := time.Date(y, time.January, 1, 0, 0, 0, 0, time.UTC)
		for m := 0; m < 12; m++ {
			from := start.AddDate(0, m, 0)
			if mp := monthPeriod(from); months && mp.To.After(first) {
				add(mp)
			}
			if q := quarterPeriod(from.AddDate(0, -2, 0)); m%3 == 2 && q.To.After(first) {
				add(q)
			}
		}
		add(yearPeriod(start))
	}
	return out
}
