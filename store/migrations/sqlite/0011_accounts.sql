-- Issue 11, account recovery and settings: recovery codes, password-reset
-- and email-verification links.

-- recovery_hash: HMAC-SHA256 of the account's recovery code under a key
-- derived from the master key (service/recovery.go says why that suffices
-- for a 100-bit random code); '' when the account has none.
ALTER TABLE users ADD COLUMN recovery_hash TEXT NOT NULL DEFAULT '';

-- Password resets by email look accounts up by address.
CREATE INDEX users_email ON users (lower(email)) WHERE email <> '';

-- Single-use links sent by mail: purpose 'reset' (1 hour) or 'verify'
-- (48 hours, with the address it verifies). Only the SHA-256 of the token
-- is stored. A reset asked for an unknown account writes a row with
-- user_id '' that nothing redeems, so both cost the same.
CREATE TABLE account_tokens (
	token_hash TEXT PRIMARY KEY,
	purpose    TEXT NOT NULL,
	user_id    TEXT NOT NULL DEFAULT '',
	email      TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
);
CREATE INDEX account_tokens_user ON account_tokens (user_id, purpose);
CREATE INDEX account_tokens_expires ON account_tokens (expires_at);
