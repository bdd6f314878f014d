-- Issue 13, rate limits across nodes: one row per counted attempt (a login
-- guess, a sign-up, a reset mail …), so that every node sees the same
-- counts. key_hash is an HMAC of the limit's key (an address, a username,
-- an account) under a key derived from the master key: the table holds no
-- address or name. at and expires are Unix microseconds; rows past expires
-- are pruned by the nodes (service/ratelimit_db.go).
CREATE TABLE rate_events (
	id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	key_hash BYTEA NOT NULL,
	at       BIGINT NOT NULL,
	expires  BIGINT NOT NULL
);
CREATE INDEX rate_events_key ON rate_events (key_hash, at);
CREATE INDEX rate_events_expires ON rate_events (expires);
