-- Issue 12, accountable erasure: the tombstone appended when an account's
-- access-log entries are erased (action.account_deleted) lists the seqs it
-- erased as ranges ("12-15,40"); its digest covers the list (encoding v2),
-- and verify requires every erased entry to be listed by a later tombstone.
ALTER TABLE audit_log ADD COLUMN erased TEXT NOT NULL DEFAULT '';
