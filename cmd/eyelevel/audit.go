package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"eyelevel/service"
	"eyelevel/store"
)

func init() { commands["audit"] = auditCommand }

const auditUsage = `usage: eyelevel audit verify [--data DIR] [--db URL]

verify  recomputes the access log's hash chain from its oldest remaining
        entry to audit_head and says whether it is whole; exit status 1
        and the first broken entry otherwise.
`

// auditCommand is "eyelevel audit verify": the checking is
// service.VerifyAuditLog's; this only prints.
func auditCommand(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		fmt.Fprint(stderr, auditUsage)
		if len(args) == 0 {
			return errors.New("audit: say what to do (verify)")
		}
		return fmt.Errorf("audit: unknown subcommand %q", args[0])
	}
	var c config
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	c.flags(fs, false)
	if err := fromEnv(fs, getenv); err != nil {
		return err
	}
	if help, err := parseFlags(fs, args[1:], stdout); help || err != nil {
		return err
	}
	db, err := store.Open(ctx, c.db, c.data)
	if err != nil {
		return err
	}
	defer db.Close()
	r, err := service.VerifyAuditLog(ctx, db)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "entries checked: %d", r.Checked)
	if r.Checked > 0 {
		fmt.Fprintf(stdout, " (seq %d to %d, the oldest from %s", r.First, r.First+r.Checked-1, r.FirstAt.UTC().Format(time.RFC3339))
		if r.First > 1 {
			fmt.Fprint(stdout, "; older ones were pruned")
		}
		fmt.Fprint(stdout, ")")
	}
	fmt.Fprintf(stdout, "\nerased with their account: %d\nhead: seq %d, hash %s\n", r.Erased, r.HeadSeq, r.HeadHash)
	if !r.OK {
		fmt.Fprintf(stdout, "BROKEN at seq %d: %s\n", r.BrokenSeq, r.Reason)
		return fmt.Errorf("the access log is broken at seq %d", r.BrokenSeq)
	}
	fmt.Fprintln(stdout, "OK: the chain is whole. Keep the head hash somewhere else; a later run must reach it again.")
	return nil
}
