-- Issue 13, booking throughput: every free session (no contract) went into
-- appointments_contract under '' — one more index page written by each
-- booking, for an entry no query looks up. Only sessions on a contract are
-- indexed now; each query by contract says contract_id <> '' so that the
-- planner (SQLite without statistics, PostgreSQL with a generic plan) may
-- use the partial index.
DROP INDEX appointments_contract;
CREATE INDEX appointments_contract ON appointments (contract_id, start_at) WHERE contract_id <> '';
