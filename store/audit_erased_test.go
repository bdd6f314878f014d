package store_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"strconv"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/store"
)

// auditErase erases user's entries and appends the tombstone listing them,
// as service.eraseAuditOf does.
func auditErase(t *testing.T, db *store.DB, user eyelevel.UserID, at time.Time) []int64 {
	t.Helper()
	ctx := context.Background()
	seqs, err := db.EraseAuditOf(ctx, user)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.AppendAudit(ctx, eyelevel.AuditEntry{At: at, What: eyelevel.ActionAccountDeleted, Erases: store.AuditRanges(seqs)}); err != nil {
		t.Fatal(err)
	}
	return seqs
}

func TestAuditRanges(t *testing.T) {
	for _, tc := range []struct {
		seqs []int64
		want string
	}{
		{nil, ""}, {[]int64{7}, "7"}, {[]int64{12, 13, 14, 15, 40}, "12-15,40"}, {[]int64{1, 3, 4, 9}, "1,3-4,9"},
	} {
		if got := store.AuditRanges(tc.seqs); got != tc.want {
			t.Errorf("AuditRanges(%v) = %q, want %q", tc.seqs, got, tc.want)
		}
	}
}

// TestAuditEraseForgedDetected: blanking a row as an erasure would, by
// hand in the database, is found (no tombstone lists it); a legitimate
// erasure verifies.
func TestAuditEraseForgedDetected(t *testing.T) {
	auditChain(t, 10, func(t *testing.T, db *store.DB, raw *sql.DB) {
		// c1: seqs 2, 5, 8.
		if seqs := auditErase(t, db, "c1", t0.Add(time.Hour)); store.AuditRanges(seqs) != "2,5,8" {
			t.Fatalf("erased %v", seqs)
		}
		c := auditVerify(t, db)
		if !c.OK || c.Erased != 3 || c.Checked != 11 {
			t.Fatalf("legitimate erasure: %+v", c)
		}
		auditExec(t, raw, `UPDATE audit_log SET actor_id = '', actor_role = '', subject_id = '', what = 'erased' WHERE seq = 7`)
		c = auditVerify(t, db)
		wantBroken(t, c, 7)
		t.Logf("forged erasure: %s", c.Reason)
	})
}

// TestAuditEraseWidenedListDetected: a tombstone's list cannot be widened
// afterwards to cover a forged erasure.
func TestAuditEraseWidenedListDetected(t *testing.T) {
	auditChain(t, 10, func(t *testing.T, db *store.DB, raw *sql.DB) {
		auditErase(t, db, "c1", t0.Add(time.Hour)) // tombstone: seq 11 lists 2,5,8
		auditExec(t, raw, `UPDATE audit_log SET actor_id = '', actor_role = '', subject_id = '', what = 'erased' WHERE seq = 3`)
		auditExec(t, raw, `UPDATE audit_log SET erased = '2-8' WHERE seq = 11`)
		wantBroken(t, auditVerify(t, db), 11)
	})
}

// TestAuditEraseForgedAfterTombstone: a forged erasure after the last
// tombstone is found too.
func TestAuditEraseForgedAfterTombstone(t *testing.T) {
	auditChain(t, 6, func(t *testing.T, db *store.DB, raw *sql.DB) {
		auditErase(t, db, "c1", t0.Add(time.Hour)) // seq 7 lists 2,5
		for i := range 3 {
			if _, err := db.AppendAudit(context.Background(), eyelevel.AuditEntry{At: t0.Add(2 * time.Hour), ActorID: "s", ActorRole: eyelevel.RoleAdmin, SubjectID: eyelevel.UserID("x" + strconv.Itoa(i)), What: eyelevel.ActionRefund}); err != nil {
				t.Fatal(err)
			}
		}
		auditExec(t, raw, `UPDATE audit_log SET actor_id = '', actor_role = '', subject_id = '', what = 'erased' WHERE seq = 9`)
		wantBroken(t, auditVerify(t, db), 9)
	})
}

// TestAuditEraseOldFormatVerifies: entries written before the erased
// column (digest v1, erased = ”) still verify: AuditDigest without Erases
// is the v1 encoding, unchanged.
func TestAuditEraseOldFormatVerifies(t *testing.T) {
	auditChain(t, 4, func(t *testing.T, db *store.DB, raw *sql.DB) {
		es, err := db.AuditAfter(context.Background(), 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			h := sha256.New()
			for _, f := range []string{"v1", strconv.FormatInt(e.Seq, 10), strconv.FormatInt(e.At.Unix(), 10), string(e.ActorID), string(e.ActorRole), string(e.SubjectID), e.What} {
				h.Write([]byte(f))
				h.Write([]byte{0})
			}
			if v1 := hex.EncodeToString(h.Sum(nil)); e.Erases != "" || e.Digest != v1 {
				t.Fatalf("seq %d: digest %s, v1 %s, erased %q", e.Seq, e.Digest, v1, e.Erases)
			}
		}
		// An old tombstone that erased nothing keeps its v1 digest.
		auditErase(t, db, "nobody", t0.Add(time.Hour))
		if c := auditVerify(t, db); !c.OK || c.Checked != 5 {
			t.Fatalf("old-format chain: %+v", c)
		}
	})
}

// TestAuditEraseOwnClientEntries: a client's own entries (as actor) are
// erased and listed with those about them; a staff member's are not.
func TestAuditEraseOwnClientEntries(t *testing.T) {
	auditChain(t, 3, func(t *testing.T, db *store.DB, raw *sql.DB) {
		ctx := context.Background()
		for _, e := range []eyelevel.AuditEntry{
			{At: t0, ActorID: "c1", ActorRole: eyelevel.RoleClient, SubjectID: "c5", What: eyelevel.ActionRefund},   // 4: erased with c1
			{At: t0, ActorID: "c1", ActorRole: eyelevel.RoleCounselor, SubjectID: "c5", What: eyelevel.ViewResults}, // 5: staff: stays
		} {
			if _, err := db.AppendAudit(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		if seqs := auditErase(t, db, "c1", t0); store.AuditRanges(seqs) != "2,4" {
			t.Fatalf("erased %v, want 2,4", seqs)
		}
		if c := auditVerify(t, db); !c.OK || c.Erased != 2 {
			t.Fatalf("%+v", c)
		}
	})
}
