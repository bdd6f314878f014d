-- Issue 13, rate limits across nodes: one row per counted attempt (a login
-- guess, a sign-up, a reset mail …), so that every node sees the same
-- counts. key_hash is an HMAC of the limit's key (an address, a username,
-- an account) under a key derived from the master key: the table holds no
-- address or name. at and expires are Unix microseconds. One SQLite node
-- counts in memory (service/ratelimit.go); the table exists so that both
-- dialects have the same schema and the store's tests run on both.
CREATE TABLE rate_events (
	id       INTEGER PRIMARY KEY,
	key_hash BLOB NOT NULL,
	at       INTEGER NOT NULL,
	expires  INTEGER NOT NULL
);
CREATE INDEX rate_events_key ON rate_events (key_hash, at);
CREATE INDEX rate_events_expires ON rate_events (expires);
