package store

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"eyelevel"
)

// EraseAuditOf blanks every entry about user (their account is deleted)
// and every entry user made as a client, keeping digest and hashes so the
// chain still verifies; it returns the erased seqs in order. The caller
// must then append a tombstone whose Erases is AuditRanges of them (in
// the same transaction): VerifyAudit accepts an erased entry only when a
// later tombstone lists it. Entries by a deleted staff member about a
// client stay: the client may still read that someone no longer here saw
// their data.
func (db *DB) EraseAuditOf(ctx context.Context, user eyelevel.UserID) ([]int64, error) {
	rows, err := db.wq(ctx).QueryContext(ctx, `UPDATE audit_log SET actor_id = '', actor_role = '', subject_id = '', what = $2
		WHERE what <> $2 AND (subject_id = $1 OR (actor_id = $1 AND actor_role = $3)) RETURNING seq`,
		string(user), eyelevel.AuditErased, string(eyelevel.RoleClient))
	if err != nil {
		return nil, db.wrap(err, "erase audit entries")
	}
	defer rows.Close()
	var seqs []int64
	for rows.Next() {
		var seq int64
		if err := rows.Scan(&seq); err != nil {
			return nil, db.wrap(err, "erase audit entries")
		}
		seqs = append(seqs, seq)
	}
	if err := rows.Err(); err != nil {
		return nil, db.wrap(err, "erase audit entries")
	}
	slices.Sort(seqs)
	return seqs, nil
}

// AuditRanges writes seqs (ascending) compactly: "12-15,40".
func AuditRanges(seqs []int64) string {
	var b strings.Builder
	for i := 0; i < len(seqs); {
		j := i
		for j+1 < len(seqs) && seqs[j+1] == seqs[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(seqs[i], 10))
		if j > i {
			b.WriteByte('-')
			b.WriteString(strconv.FormatInt(seqs[j], 10))
		}
		i = j + 1
	}
	return b.String()
}

// auditSpan is one range of a tombstone's Erases, inclusive.
type auditSpan struct{ lo, hi int64 }

// parseAuditRanges reads AuditRanges' format back.
func parseAuditRanges(s string) ([]auditSpan, error) {
	var out []auditSpan
	for part := range strings.SplitSeq(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.ParseInt(lo, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("bad erased list %q", s)
		}
		b := a
		if isRange {
			if b, err = strconv.ParseInt(hi, 10, 64); err != nil || b < a {
				return nil, fmt.Errorf("bad erased list %q", s)
			}
		}
		out = append(out, auditSpan{a, b})
	}
	return out, nil
}

// auditErasures tracks, during VerifyAudit's walk, the erased entries not
// yet listed by a tombstone.
type auditErasures map[int64]bool

// cover removes the entries a (verified) tombstone before seq lists.
func (p auditErasures) cover(e eyelevel.AuditEntry) error {
	if e.Erases == "" || len(p) == 0 {
		return nil
	}
	spans, err := parseAuditRanges(e.Erases)
	if err != nil {
		return err
	}
	for seq := range p {
		if seq >= e.Seq {
			continue
		}
		for _, s := range spans {
			if s.lo <= seq && seq <= s.hi {
				delete(p, seq)
				break
			}
		}
	}
	return nil
}

// first returns the lowest uncovered erased seq (0: none).
func (p auditErasures) first() int64 {
	var m int64
	for seq := range p {
		if m == 0 || seq < m {
			m = seq
		}
	}
	return m
}
