-- Issue 12, key rotation. key_root holds the secret that derived keys come
-- from (device tokens, recovery-code hashes, cancel links, email lookup
-- hashes), wrapped by a master key like a client's data key, so rotating
-- the master key re-wraps it and leaves every derived key unchanged. One
-- row at most; a server creates it from the master key it has (the secret
-- derived keys came from until now).
CREATE TABLE key_root (
	id         INTEGER PRIMARY KEY CHECK (id = 1),
	key_id     TEXT NOT NULL,
	wrapped    BLOB NOT NULL,
	created_at INTEGER NOT NULL
);
-- Rotation looks for, and status counts, data keys by master key.
CREATE INDEX client_keys_key_id ON client_keys (key_id, client_id);
