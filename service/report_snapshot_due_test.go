package service_test

import (
	"context"
	"testing"
)

// TestSnapshotDueBeforeErase: closed periods published before this
// upgrade have no snapshot; SnapshotDue, run in the deletion's
// transaction, stores every due one (not only the latest), so that
// deleting a client who had sessions in them changes none of them.
func TestSnapshotDueBeforeErase(t *testing.T) {
	eraseEach(t, func(t *testing.T, w *eraseWorld) {
		published, _ := w.reports() // Q3 (impact and contract) and August, as first published
		w.forgetSnapshots()         // as before the upgrade: nothing stored
		stored := func(kind, scope, period string) bool {
			t.Helper()
			_, err := w.db.ReportSnapshot(w.ctx, kind, scope, period)
			return err == nil
		}
		if stored("buyer", w.k.ID, "2026-08") {
			t.Fatal("August still stored")
		}

		// Inside a transaction, as the deletion will call it.
		if err := w.db.InTx(w.ctx, func(ctx context.Context) error { return w.svc.SnapshotDue(ctx) }); err != nil {
			t.Fatal(err)
		}
		for _, want := range [][3]string{{"impact", "", "2026-Q3"}, {"buyer", w.k.ID, "2026-07"}, {"buyer", w.k.ID, "2026-08"}, {"buyer", w.k.ID, "2026-09"}, {"buyer", w.k.ID, "2026-Q3"}} {
			if !stored(want[0], want[1], want[2]) {
				t.Errorf("%v not stored", want)
			}
		}
		for _, not := range [][3]string{{"buyer", w.k.ID, "2026-11"}, {"buyer", w.k.ID, "2026"}, {"impact", "", "2026"}, {"buyer", w.k.ID, "2026-06"}, {"impact", "", "2026-Q2"}} {
			if stored(not[0], not[1], not[2]) {
				t.Errorf("%v stored: not due, or before the term or the data", not)
			}
		}
		if err := w.svc.DeleteAccount(w.ctx, w.victim, password); err != nil {
			t.Fatal(err)
		}
		after, _ := w.reports()
		for i := range published {
			if published[i] != after[i] {
				t.Errorf("closed report %d changed by the deletion:\nbefore %s\nafter  %s", i, published[i], after[i])
			}
		}
		// A later run finds everything stored and reads no report.
		if n, err := w.svc.SnapshotReports(w.ctx); err != nil || n != 0 {
			t.Errorf("a later run stored %d: %v", n, err)
		}
	})
}
