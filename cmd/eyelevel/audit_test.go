package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/store/storetest"
)

// TestAuditVerifyCommand: `eyelevel audit verify` says OK with the head
// hash on a whole chain, and exits non-zero naming the seq when a row was
// altered or deleted directly in the database.
func TestAuditVerifyCommand(t *testing.T) {
	for _, d := range storetest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			ctx := context.Background()
			dsn, dir := storetest.Location(t, d)
			db := storetest.OpenAt(t, dsn, dir)
			for i := range 5 {
				if _, err := db.AppendAudit(ctx, eyelevel.AuditEntry{At: time.Now().Add(time.Duration(i) * time.Second), ActorID: "s", ActorRole: eyelevel.RoleCounselor, SubjectID: "c", What: eyelevel.ViewResults}); err != nil {
					t.Fatal(err)
				}
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
			_, hash, err := db.AuditHead(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if out, err := verify(); err != nil || !strings.Contains(out, "entries checked: 5") || !strings.Contains(out, "OK") || !strings.Contains(out, hash) {
				t.Fatalf("whole chain: %v\n%s", err, out)
			}
			raw := storetest.Raw(t, dsn, dir)
			if _, err := raw.ExecContext(ctx, `UPDATE audit_log SET what = 'view.client' WHERE seq = 2`); err != nil {
				t.Fatal(err)
			}
			if out, err := verify(); err == nil || !strings.Contains(out, "BROKEN at seq 2") {
				t.Fatalf("altered row: %v\n%s", err, out)
			}
			if _, err := raw.ExecContext(ctx, `DELETE FROM audit_log WHERE seq = 2`); err != nil {
				t.Fatal(err)
			}
			if out, err := verify(); err == nil || !strings.Contains(out, "BROKEN at seq 2") || !strings.Contains(out, "missing") {
				t.Fatalf("deleted row: %v\n%s", err, out)
			}
			var out bytes.Buffer
			if err := run(ctx, []string{"eyelevel", "audit", "check"}, func(string) string { return "" }, nil, &out, io.Discard); err == nil {
				t.Fatal("audit check: no error")
			}
		})
	}
}
