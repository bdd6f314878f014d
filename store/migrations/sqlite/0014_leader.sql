-- Issue 13, several nodes: the lease on the background jobs (as in the
-- PostgreSQL migration). SQLite is one node, which always leads and does not
-- use it; the table keeps both databases alike for the store's tests.
CREATE TABLE leases (
	name       TEXT PRIMARY KEY,
	holder     TEXT NOT NULL,
	expires_ms INTEGER NOT NULL
);
