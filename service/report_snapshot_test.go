package service_test

import (
	"testing"
	"time"

	"eyelevel"
)

// TestReportSnapshots: a closed month is computed live inside the
// correction window and not stored; after it, its first report (or the
// hourly job) is stored and later changes to its data no longer show.
func TestReportSnapshots(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		b := newBuyer(e)
		k := b.contract(b.org("snap"), "2026-01-01", "2026-12-31", 0, 30)
		b.held(k, 10, time.October, "de")
		oct, octEnd := month(time.October)
		stored := func(kind, scope, period string) bool {
			t.Helper()
			_, err := e.db.ReportSnapshot(e.ctx, kind, scope, period)
			if err != nil && eyelevel.ErrorCode(err) != eyelevel.ENOTFOUND {
				t.Fatal(err)
			}
			return err == nil
		}

		e.clock.Advance(time.Date(2026, 11, 5, 0, 0, 0, 0, time.UTC).Sub(e.clock.Now())) // October over, attendance still open
		if r := b.report(k, oct, octEnd); r.SessionsHeld.Value != 10 {
			t.Fatalf("October: %+v", r.SessionsHeld)
		}
		if stored("buyer", k.ID, "2026-10") {
			t.Fatal("October stored inside the correction window")
		}
		b.held(k, 1, time.October, "de") // a correction
		if r := b.report(k, oct, octEnd); r.SessionsHeld.Value != 11 {
			t.Fatalf("October after a correction: %+v", r.SessionsHeld)
		}

		e.clock.Advance(time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC).Sub(e.clock.Now()))
		n, err := e.svc.SnapshotReports(e.ctx)
		if err != nil || n == 0 {
			t.Fatalf("job: %d, %v", n, err)
		}
		if !stored("buyer", k.ID, "2026-10") || !stored("buyer", k.ID, "2026-Q3") || !stored("buyer", k.ID, "2026-01") {
			t.Fatal("the job did not store October, Q3 and January")
		}
		if stored("impact", "", "2026-Q3") {
			t.Fatal("the job stored the impact report's Q3, before the first session")
		}
		if stored("buyer", k.ID, "2025") || stored("buyer", k.ID, "2026-11") {
			t.Fatal("the job stored a period outside the term or not over")
		}
		before := jsonOf(t, b.report(k, oct, octEnd))
		b.held(k, 1, time.October, "de") // too late: October is published
		if after := jsonOf(t, b.report(k, oct, octEnd)); after != before {
			t.Errorf("October changed after it was stored:\n%s\n%s", before, after)
		}
		if n2, err := e.svc.SnapshotReports(e.ctx); err != nil || n2 != 0 {
			t.Errorf("second run stored %d, want 0 (all stored): %v", n2, err)
		}
	})
}
