package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/store"
	"eyelevel/store/storetest"
)

// auditChain opens a fresh database of every dialect with n entries (seq
// 1..n, a minute apart from t0, subject "c<i%3>") and a raw handle on it
// for tampering as someone with write access to the database would.
func auditChain(t *testing.T, n int, fn func(t *testing.T, db *store.DB, raw *sql.DB)) {
	for _, d := range storetest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			dsn, dir := storetest.Location(t, d)
			db := storetest.OpenAt(t, dsn, dir)
			raw := storetest.Raw(t, dsn, dir)
			for i := range n {
				what := eyelevel.ViewResults
				if i%2 == 1 {
					what = eyelevel.ActionCarePointBook
				}
				_, err := db.AppendAudit(context.Background(), eyelevel.AuditEntry{At: t0.Add(time.Duration(i) * time.Minute),
					ActorID: "staff", ActorRole: eyelevel.RoleCounselor, SubjectID: eyelevel.UserID(fmt.Sprintf("c%d", i%3)), What: what})
				if err != nil {
					t.Fatal(err)
				}
			}
			fn(t, db, raw)
		})
	}
}

func auditVerify(t *testing.T, db *store.DB) store.AuditCheck {
	t.Helper()
	c, err := db.VerifyAudit(context.Background(), 3) // small batches: the walk crosses several
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func auditExec(t *testing.T, raw *sql.DB, q string, args ...any) {
	t.Helper()
	if _, err := raw.ExecContext(context.Background(), q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func wantBroken(t *testing.T, c store.AuditCheck, seq int64) {
	t.Helper()
	if c.OK || c.BrokenSeq != seq {
		t.Fatalf("check = %+v, want broken at seq %d", c, seq)
	}
}

func TestAuditVerifyWhole(t *testing.T) {
	auditChain(t, 10, func(t *testing.T, db *store.DB, raw *sql.DB) {
		c := auditVerify(t, db)
		if !c.OK || c.Checked != 10 || c.First != 1 || c.HeadSeq != 10 || c.HeadHash == "" {
			t.Fatalf("check = %+v, want 10 entries OK", c)
		}
	})
	// An empty log verifies too.
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		if c := auditVerify(t, db); !c.OK || c.Checked != 0 {
			t.Fatalf("empty log: %+v", c)
		}
	})
}

func TestAuditVerifyDetectsTampering(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change string
		args   []any
		broken int64
	}{
		{"row deleted in the middle", `DELETE FROM audit_log WHERE seq = 5`, nil, 5},
		{"what altered", `UPDATE audit_log SET what = $1 WHERE seq = 3`, []any{eyelevel.ViewClient}, 3},
		{"actor altered", `UPDATE audit_log SET actor_id = 'someone-else' WHERE seq = 7`, nil, 7},
		{"subject altered", `UPDATE audit_log SET subject_id = 'c9' WHERE seq = 8`, nil, 8},
		{"time altered", `UPDATE audit_log SET at = at + 3600 WHERE seq = 2`, nil, 2},
		{"tail truncated", `DELETE FROM audit_log WHERE seq >= 9`, nil, 10},
		{"head moved back", `UPDATE audit_head SET seq = 9`, nil, 10},
		{"entry added after the head", `INSERT INTO audit_log (seq, at, actor_id, actor_role, subject_id, what, digest, prev, hash) SELECT 11, at, actor_id, actor_role, subject_id, what, digest, hash, hash FROM audit_log WHERE seq = 10`, nil, 11},
		{"first row deleted but head kept", `DELETE FROM audit_log`, nil, 10},
		{"blanked without erasing", `UPDATE audit_log SET what = $1 WHERE seq = 4`, []any{eyelevel.AuditErased}, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			auditChain(t, 10, func(t *testing.T, db *store.DB, raw *sql.DB) {
				auditExec(t, raw, tc.change, tc.args...)
				wantBroken(t, auditVerify(t, db), tc.broken)
			})
		})
	}
}

// A re-hashed row (digest and hash recomputed by someone who knows the
// scheme) still breaks the link to the next entry.
func TestAuditVerifyDetectsRehashedRow(t *testing.T) {
	auditChain(t, 6, func(t *testing.T, db *store.DB, raw *sql.DB) {
		es, err := db.AuditAfter(context.Background(), 2, 1)
		if err != nil {
			t.Fatal(err)
		}
		e := es[0]
		e.What = eyelevel.ViewClient
		e.Digest = store.AuditDigest(e)
		e.Hash = store.AuditChain(e.Prev, e.Digest)
		auditExec(t, raw, `UPDATE audit_log SET what = $1, digest = $2, hash = $3 WHERE seq = 3`, e.What, e.Digest, e.Hash)
		wantBroken(t, auditVerify(t, db), 4)
	})
}

func TestAuditVerifyErasedAndPruned(t *testing.T) {
	auditChain(t, 12, func(t *testing.T, db *store.DB, raw *sql.DB) {
		ctx := context.Background()
		seqs, err := db.EraseAuditOf(ctx, "c1")
		if err != nil || fmt.Sprint(seqs) != "[2 5 8 11]" {
			t.Fatalf("erased %v, %v; want [2 5 8 11]", seqs, err)
		}
		if _, err := db.AppendAudit(ctx, eyelevel.AuditEntry{At: t0.Add(12 * time.Minute), What: eyelevel.ActionAccountDeleted, Erases: store.AuditRanges(seqs)}); err != nil {
			t.Fatal(err)
		}
		if c := auditVerify(t, db); !c.OK || c.Erased != 4 || c.Checked != 13 {
			t.Fatalf("after erasing: %+v", c)
		}
		// Entries before t0+5m go: seq 1..5 (the tombstone lists 2 and 5 still).
		if n, err := db.PruneAudit(ctx, t0.Add(5*time.Minute)); err != nil || n != 5 {
			t.Fatalf("pruned %d, %v; want 5", n, err)
		}
		c := auditVerify(t, db)
		if !c.OK || c.First != 6 || c.Checked != 8 || !c.FirstAt.Equal(t0.Add(5*time.Minute)) {
			t.Fatalf("after pruning: %+v", c)
		}
		// Past every entry: the last stays, so a truncated log still shows.
		if n, err := db.PruneAudit(ctx, t0.Add(time.Hour)); err != nil || n != 7 {
			t.Fatalf("pruned %d, %v; want 7", n, err)
		}
		if c := auditVerify(t, db); !c.OK || c.First != 13 || c.Checked != 1 {
			t.Fatalf("after pruning all but the last: %+v", c)
		}
		// The chain goes on after pruning.
		if _, err := db.AppendAudit(ctx, eyelevel.AuditEntry{At: t0.Add(2 * time.Hour), ActorID: "a", ActorRole: eyelevel.RoleAdmin, SubjectID: "c0", What: eyelevel.ActionRefund}); err != nil {
			t.Fatal(err)
		}
		if c := auditVerify(t, db); !c.OK || c.Checked != 2 || c.HeadSeq != 14 {
			t.Fatalf("after appending: %+v", c)
		}
		// A pruned prefix whose first entry was altered still shows.
		auditExec(t, raw, `UPDATE audit_log SET actor_id = 'x' WHERE seq = 13`)
		wantBroken(t, auditVerify(t, db), 13)
	})
}

// TestAuditConcurrentAppends: 20 writers at once keep one unbroken chain
// (PostgreSQL's row lock on audit_head, SQLite's write lock).
func TestAuditConcurrentAppends(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		var wg sync.WaitGroup
		errs := make(chan error, 100)
		for g := range 20 {
			wg.Go(func() {
				for i := range 5 {
					_, err := db.AppendAudit(context.Background(), eyelevel.AuditEntry{At: t0, ActorID: eyelevel.UserID(fmt.Sprintf("s%d", g)),
						ActorRole: eyelevel.RoleCounselor, SubjectID: eyelevel.UserID(fmt.Sprintf("c%d", i)), What: eyelevel.ViewMessages})
					if err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if c := auditVerify(t, db); !c.OK || c.Checked != 100 || c.HeadSeq != 100 {
			t.Fatalf("after concurrent appends: %+v", c)
		}
	})
}

// TestAuditActionsHidesReads: admins' view leaves out reads (view.*),
// health (care.*) and erased entries.
func TestAuditActionsHidesReads(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for _, what := range []string{eyelevel.ViewResults, eyelevel.ActionCarePointBook, eyelevel.CareAlertAcknowledge, eyelevel.ViewMessages, eyelevel.ActionCounselorCreate} {
			if _, err := db.AppendAudit(ctx, eyelevel.AuditEntry{At: t0, ActorID: "s", ActorRole: eyelevel.RoleAdmin, SubjectID: "c", What: what}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.AppendAudit(ctx, eyelevel.AuditEntry{At: t0, ActorID: "s", ActorRole: eyelevel.RoleAdmin, SubjectID: "gone", What: eyelevel.ActionRefund}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.EraseAuditOf(ctx, "gone"); err != nil {
			t.Fatal(err)
		}
		es, err := db.AuditActions(ctx, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range es {
			got = append(got, e.What)
		}
		if fmt.Sprint(got) != fmt.Sprint([]string{eyelevel.ActionCounselorCreate, eyelevel.ActionCarePointBook}) {
			t.Fatalf("admins see %v", got)
		}
	})
}

// TestAuditVerifyWhileAppending: verify runs beside writers (the server)
// and finds the chain whole every time.
func TestAuditVerifyWhileAppending(t *testing.T) {
	auditChain(t, 4, func(t *testing.T, db *store.DB, raw *sql.DB) {
		var wg sync.WaitGroup
		for g := range 4 {
			wg.Go(func() {
				for range 15 {
					if _, err := db.AppendAudit(context.Background(), eyelevel.AuditEntry{At: t0, ActorID: eyelevel.UserID(fmt.Sprint(g)), ActorRole: eyelevel.RoleAdmin, SubjectID: "c", What: eyelevel.ActionRefund}); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		for range 5 {
			if c := auditVerify(t, db); !c.OK {
				t.Errorf("while appending: %+v", c)
			}
		}
		wg.Wait()
		if c := auditVerify(t, db); !c.OK || c.Checked != 64 {
			t.Fatalf("after: %+v", c)
		}
	})
}
