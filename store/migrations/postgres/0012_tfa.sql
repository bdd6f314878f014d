-- Issue 12, a second factor. One TOTP secret per account, sealed with the
-- account's data key (client_keys); confirmed_at is 0 until the first code
-- confirmed it. last_step is the last accepted time-step counter: a login
-- is accepted only with a strictly later one, so a code works once.
CREATE TABLE second_factors (
	user_id      TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
	secret       BYTEA NOT NULL,
	confirmed_at BIGINT NOT NULL DEFAULT 0,
	last_step    BIGINT NOT NULL DEFAULT 0,
	created_at   BIGINT NOT NULL
);

-- Single-use recovery codes: only their SHA-256 hashes.
CREATE TABLE second_factor_codes (
	user_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	code_hash TEXT NOT NULL,
	PRIMARY KEY (user_id, code_hash)
);

-- A session started with the second factor (or by an account that needs
-- none). Staff sessions without it are limited to enrolment; sessions from
-- before this migration count as without.
ALTER TABLE sessions ADD COLUMN second_factor INTEGER NOT NULL DEFAULT 0;
