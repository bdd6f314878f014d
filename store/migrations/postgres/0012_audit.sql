-- Issue 12, the access log: an append-only, hash-chained record of every
-- read of a client's data by someone else and of every staff action on an
-- account. seq is assigned by the writer (last + 1) under the write lock;
-- digest = SHA-256 of the entry's fields, hash = SHA-256(prev hash, digest).
-- Erasing an entry (the client's account was deleted) blanks its fields but
-- keeps its digest, so the chain still verifies and the data is gone.
-- audit_head holds the last seq and hash, so a truncated tail shows too.
CREATE TABLE audit_log (
	seq        BIGINT PRIMARY KEY,
	at         BIGINT NOT NULL,
	actor_id   TEXT NOT NULL DEFAULT '',
	actor_role TEXT NOT NULL DEFAULT '',
	subject_id TEXT NOT NULL DEFAULT '',
	what       TEXT NOT NULL,
	digest     TEXT NOT NULL,
	prev       TEXT NOT NULL,
	hash       TEXT NOT NULL
);
CREATE INDEX audit_log_subject ON audit_log (subject_id, seq) WHERE subject_id <> '';
CREATE INDEX audit_log_actor ON audit_log (actor_id, seq) WHERE actor_id <> '';
CREATE INDEX audit_log_at ON audit_log (at);

CREATE TABLE audit_head (
	id   INTEGER PRIMARY KEY CHECK (id = 1),
	seq  BIGINT NOT NULL,
	hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '');
