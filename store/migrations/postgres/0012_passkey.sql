-- Issue 12, passkeys (WebAuthn) as a second factor. One row per
-- registered credential; several per account. id is the credential id the
-- authenticator returns; credential is the go-webauthn credential record
-- as JSON (flags, transports, attestation format), kept beside the columns
-- that are read or updated on their own. sign_count is the authenticator's
-- signature counter: a login with a counter not above it is refused (a
-- cloned authenticator), unless both are 0 (authenticators without one).
CREATE TABLE passkeys (
	id           BYTEA PRIMARY KEY,
	user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	name         TEXT NOT NULL DEFAULT '',
	public_key   BYTEA NOT NULL,
	sign_count   BIGINT NOT NULL DEFAULT 0,
	aaguid       BYTEA NOT NULL,
	credential   BYTEA NOT NULL,
	created_at   BIGINT NOT NULL,
	last_used_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX passkeys_user ON passkeys (user_id);

-- A started WebAuthn ceremony: the library's session data (the challenge)
-- as JSON, for one account and purpose ('register' or 'login'), bound to
-- the pending login it belongs to (binding: a hash of it; empty for a
-- registration), taken (deleted) by the one request that finishes it, and
-- void after expires_at.
CREATE TABLE passkey_challenges (
	challenge  TEXT PRIMARY KEY,
	user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	purpose    TEXT NOT NULL,
	binding    TEXT NOT NULL,
	session    BYTEA NOT NULL,
	expires_at BIGINT NOT NULL
);
CREATE INDEX passkey_challenges_expiry ON passkey_challenges (expires_at);
