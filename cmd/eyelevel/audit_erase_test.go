package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/store"
	"eyelevel/store/storetest"
)

// TestAuditVerifyCommandErasure: `eyelevel audit verify` accepts entries
// erased with their account under a tombstone that lists them, and says
// BROKEN for a row blanked by hand to look erased.
func TestAuditVerifyCommandErasure(t *testing.T) {
	for _, d := range storetest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			ctx := context.Background()
			dsn, dir := storetest.Location(t, d)
			db := storetest.OpenAt(t, dsn, dir)
			for i, subject := range []eyelevel.UserID{"gone", "c", "gone", "c", "c"} {
				if _, err := db.AppendAudit(ctx, eyelevel.AuditEntry{At: time.Now().Add(time.Duration(i) * time.Second), ActorID: "s", ActorRole: eyelevel.RoleCounselor, SubjectID: subject, What: eyelevel.ViewResults}); err != nil {
					t.Fatal(err)
				}
			}
			seqs, err := db.EraseAuditOf(ctx, "gone")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.AppendAudit(ctx, eyelevel.AuditEntry{At: time.Now(), What: eyelevel.ActionAccountDeleted, Erases: store.AuditRanges(seqs)}); err != nil {
				t.Fatal(err)
			}
			args := []string{"eyelevel", "audit", "verify"}
			if dsn != "" {
				args = append(args, "--db", dsn, "--data", t.TempDir())
			} else {
				args = append(args, "--data", dir)
			}
			verify := func() (string, error) {
				var out bytes.Buffer
				err := run(ctx, args, func(string) string { return "" }, nil, &out, io.Discard)
				return out.String(), err
			}
			if out, err := verify(); err != nil || !strings.Contains(out, "entries checked: 6") || !strings.Contains(out, "erased with their account: 2") || !strings.Contains(out, "OK") {
				t.Fatalf("legitimate erasure: %v\n%s", err, out)
			}
			raw := storetest.Raw(t, dsn, dir)
			if _, err := raw.ExecContext(ctx, `UPDATE audit_log SET actor_id = '', actor_role = '', subject_id = '', what = 'erased' WHERE seq = 4`); err != nil {
				t.Fatal(err)
			}
			if out, err := verify(); err == nil || !strings.Contains(out, "BROKEN at seq 4") || !strings.Contains(out, "no later account-deletion entry lists it") {
				t.Fatalf("forged erasure: %v\n%s", err, out)
			}
		})
	}
}
