-- One row the health check rewrites, so that /healthz proves the database
-- still accepts writes, not only that it answers.
CREATE TABLE health (
	id         INTEGER PRIMARY KEY CHECK (id = 1),
	checked_at BIGINT NOT NULL
);
