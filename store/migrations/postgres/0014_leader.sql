-- Issue 13, several nodes: the lease on the background jobs. The node named
-- holder runs them until expires_ms (Unix milliseconds on the database's
-- clock, so that the nodes' own clocks need not agree). A node takes or
-- renews it in one conditional upsert (store/lease.go), so two can never
-- both hold it; see cmd/eyelevel/leader.go.
CREATE TABLE leases (
	name       TEXT PRIMARY KEY,
	holder     TEXT NOT NULL,
	expires_ms BIGINT NOT NULL
);
