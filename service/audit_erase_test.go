package service_test

import (
	"testing"

	"eyelevel"
	"eyelevel/service"
	"eyelevel/store"
)

// auditEraseCheck verifies the access log after an erasure: whole, with
// erased entries, the last entry the tombstone by by listing every erased
// seq; a row blanked by hand afterwards then breaks it.
func auditEraseCheck(t *testing.T, w *eraseWorld, by eyelevel.UserID) {
	t.Helper()
	chk, err := service.VerifyAuditLog(w.ctx, w.db)
	if err != nil || !chk.OK || chk.Erased == 0 {
		t.Fatalf("after the deletion: %+v, %v", chk, err)
	}
	es, err := w.db.AuditAfter(w.ctx, 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	var erased []int64
	var tomb eyelevel.AuditEntry
	for _, e := range es {
		if e.Erased() {
			erased = append(erased, e.Seq)
		}
		if e.What == eyelevel.ActionAccountDeleted {
			tomb = e
		}
	}
	if tomb.Erases != store.AuditRanges(erased) || tomb.ActorID != by || tomb.SubjectID != "" || int64(len(erased)) != chk.Erased {
		t.Fatalf("tombstone %+v, erased %v", tomb, erased)
	}
	var forge int64
	for _, e := range es {
		if !e.Erased() && e.What != eyelevel.ActionAccountDeleted {
			forge = e.Seq
			break
		}
	}
	if forge == 0 { // nothing else in the log: write one to forge
		e, err := w.db.AppendAudit(w.ctx, eyelevel.AuditEntry{At: w.clock.Now(), ActorID: w.admin.UserID, ActorRole: eyelevel.RoleAdmin, SubjectID: "someone", What: eyelevel.ActionRefund})
		if err != nil {
			t.Fatal(err)
		}
		forge = e.Seq
	}
	if _, err := w.raw.ExecContext(w.ctx, `UPDATE audit_log SET actor_id = '', actor_role = '', subject_id = '', what = 'erased' WHERE seq = $1`, forge); err != nil {
		t.Fatal(err)
	}
	if chk, err := service.VerifyAuditLog(w.ctx, w.db); err != nil || chk.OK || chk.BrokenSeq != forge {
		t.Fatalf("forged erasure of %d: %+v, %v", forge, chk, err)
	}
}

// TestEraseAccountAuditAccountable: a client deleting their account
// erases the entries about them under a tombstone listing them; verify
// says OK, and tells a forged erasure apart.
func TestEraseAccountAuditAccountable(t *testing.T) {
	eraseEach(t, func(t *testing.T, w *eraseWorld) {
		if _, err := w.svc.Messages(w.ctx, w.x, w.victim.UserID); err != nil {
			t.Fatal(err)
		}
		if err := w.svc.DeleteAccount(w.ctx, w.victim, password); err != nil {
			t.Fatal(err)
		}
		auditEraseCheck(t, w, "")
	})
}

// TestDeleteCounselorAuditAccountable: the same for an admin deleting a
// counselor; the tombstone names the admin.
func TestDeleteCounselorAuditAccountable(t *testing.T) {
	eraseEach(t, func(t *testing.T, w *eraseWorld) {
		if err := w.svc.DeleteCounselor(w.ctx, w.admin, w.x.UserID); err != nil {
			t.Fatal(err)
		}
		auditEraseCheck(t, w, w.admin.UserID)
	})
}
