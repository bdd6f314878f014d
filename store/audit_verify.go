package store

import (
	"context"
	"fmt"
	"time"

	"eyelevel"
)

// AuditCheck is the outcome of VerifyAudit. OK is false when the chain is
// broken; then BrokenSeq is the first entry (or the head's seq) found wrong
// and Reason says why.
type AuditCheck struct {
	Checked   int64     // entries whose digest and links were recomputed
	First     int64     // the oldest remaining entry's seq (0: none)
	FirstAt   time.Time // and its time: older entries were pruned
	Erased    int64     // entries blanked with their account, each listed by a later tombstone
	HeadSeq   int64     // audit_head: the last appended seq
	HeadHash  string    // and its chain hash, for keeping elsewhere
	OK        bool
	BrokenSeq int64
	Reason    string
}

// VerifyAudit walks the access log from its oldest remaining entry in
// batches of batch, recomputing every digest (an erased entry's stored
// digest is accepted, its fields must be blank, and a later tombstone,
// whose digest covers its list, must name its seq in Erases: so a row
// blanked by hand shows) and chain hash, checking
// that seqs follow each other without gaps and that each entry's prev is
// the hash before it, and finally that the last entry is audit_head (read
// after the walk; entries appended meanwhile are walked too). The
// first remaining entry's prev is trusted: older entries may have been
// pruned (PruneAudit), unless it is seq 1, whose prev must be empty.
func (db *DB) VerifyAudit(ctx context.Context, batch int) (AuditCheck, error) {
	if batch <= 0 {
		batch = 1000
	}
	var c AuditCheck
	broken := func(seq int64, format string, args ...any) (AuditCheck, error) {
		c.BrokenSeq, c.Reason = seq, fmt.Sprintf(format, args...)
		return c, nil
	}
	var last eyelevel.AuditEntry
	after := int64(0)
	pending := auditErasures{} // erased entries no tombstone has listed yet
	// Walk to the end, then read the head; when entries were appended
	// meanwhile (the server runs), walk on to them, a few times at most.
	for round := 0; ; round++ {
		for {
			es, err := db.AuditAfter(ctx, after, batch)
			if err != nil {
				return c, err
			}
			for _, e := range es {
				if c.Checked == 0 {
					c.First, c.FirstAt = e.Seq, e.At
					if e.Seq == 1 && e.Prev != "" {
						return broken(e.Seq, "the first entry has a predecessor's hash")
					}
				} else {
					if e.Seq != last.Seq+1 {
						return broken(last.Seq+1, "missing: the entry after %d is %d", last.Seq, e.Seq)
					}
					if e.Prev != last.Hash {
						return broken(e.Seq, "its prev is not the hash of entry %d", last.Seq)
					}
				}
				if e.Erased() {
					if e.ActorID != "" || e.ActorRole != "" || e.SubjectID != "" {
						return broken(e.Seq, "marked erased but not blank")
					}
					if e.Erases != "" {
						return broken(e.Seq, "marked erased but lists erased entries")
					}
					pending[e.Seq] = true
					c.Erased++
				} else if d := AuditDigest(e); d != e.Digest {
					return broken(e.Seq, "altered: its fields do not match its digest")
				} else if err := pending.cover(e); err != nil {
					return broken(e.Seq, "its list of erased entries is unreadable: %v", err)
				}
				if h := AuditChain(e.Prev, e.Digest); h != e.Hash {
					return broken(e.Seq, "altered: its hash is not that of its prev and digest")
				}
				c.Checked++
				last = e
				after = e.Seq
			}
			if len(es) < batch {
				break
			}
		}
		var err error
		if c.HeadSeq, c.HeadHash, err = db.AuditHead(ctx); err != nil {
			return c, err
		}
		if c.HeadSeq <= last.Seq || round == 5 {
			break
		}
	}
	switch {
	case len(pending) > 0:
		seq := pending.first()
		return broken(seq, "marked erased but no later account-deletion entry lists it (blanked outside eyelevel?)")
	case c.Checked == 0 && c.HeadSeq != 0:
		return broken(c.HeadSeq, "the log is empty but the head says %d entries were written", c.HeadSeq)
	case c.Checked > 0 && last.Seq > c.HeadSeq:
		return broken(c.HeadSeq+1, "entries after the head (%d): not appended by eyelevel", c.HeadSeq)
	case c.Checked > 0 && last.Seq < c.HeadSeq:
		return broken(c.HeadSeq, "the last entry is %d but the head is %d (entries at the end are missing)", last.Seq, c.HeadSeq)
	case c.Checked > 0 && last.Hash != c.HeadHash:
		return broken(last.Seq, "the last entry's hash differs from the head's")
	}
	c.OK = true
	return c, nil
}

// PruneAudit deletes the entries older than before, oldest first, and
// returns how many. It deletes a prefix of the chain only (up to the
// oldest entry at or after before), and never the last entry, so the rest
// still verifies and a truncated log still shows.
func (db *DB) PruneAudit(ctx context.Context, before time.Time) (int64, error) {
	res, err := db.wq(ctx).ExecContext(ctx, `DELETE FROM audit_log WHERE seq < COALESCE(
		(SELECT MIN(seq) FROM audit_log WHERE at >= $1),
		(SELECT seq FROM audit_head WHERE id = 1))`, unix(before.UTC()))
	if err != nil {
		return 0, db.wrap(err, "prune audit log")
	}
	n, err := res.RowsAffected()
	return n, db.wrap(err, "prune audit log")
}

// AuditActions returns the entries admins may see (eyelevel.AuditForAdmins:
// staff actions, no reads, nothing about health, nothing erased), newest
// first, at most limit, older than before (0: from the newest).
func (db *DB) AuditActions(ctx context.Context, before int64, limit int) ([]eyelevel.AuditEntry, error) {
	if before <= 0 {
		before = 1<<63 - 1
	}
	rows, err := db.rq(ctx).QueryContext(ctx, `SELECT `+auditColumns+` FROM audit_log
		WHERE seq < $1 AND what NOT LIKE 'view.%' AND what NOT LIKE 'care.%' AND what <> $2
		ORDER BY seq DESC LIMIT $3`, before, eyelevel.AuditErased, limit)
	if err != nil {
		return nil, db.wrap(err, "select audit actions")
	}
	return db.scanAudit(rows)
}
