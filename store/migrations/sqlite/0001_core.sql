CREATE TABLE users (
	id            TEXT PRIMARY KEY,
	username      TEXT NOT NULL,
	username_key  TEXT NOT NULL UNIQUE,
	role          TEXT NOT NULL CHECK (role IN ('client', 'counselor', 'admin')),
	password_hash TEXT NOT NULL,
	email         TEXT NOT NULL DEFAULT '',
	language      TEXT NOT NULL,
	timezone      TEXT NOT NULL,
	created_at    INTEGER NOT NULL
);

CREATE TABLE sessions (
	token_hash TEXT PRIMARY KEY,
	user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	kind       TEXT NOT NULL CHECK (kind IN ('web', 'api')),
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE counselors (
	user_id        TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
	display_name   TEXT NOT NULL,
	gender         TEXT NOT NULL CHECK (gender IN ('female', 'male', 'diverse')),
	timezone       TEXT NOT NULL,
	bio            TEXT NOT NULL DEFAULT '',
	qualifications TEXT NOT NULL DEFAULT ''
);

CREATE TABLE counselor_languages (
	counselor_id TEXT NOT NULL REFERENCES counselors (user_id) ON DELETE CASCADE,
	code         TEXT NOT NULL,
	native       INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (counselor_id, code)
);
CREATE INDEX counselor_languages_code ON counselor_languages (code, counselor_id);

CREATE TABLE availability_weekly (
	counselor_id TEXT NOT NULL REFERENCES counselors (user_id) ON DELETE CASCADE,
	weekday      INTEGER NOT NULL,
	start_min    INTEGER NOT NULL,
	end_min      INTEGER NOT NULL
);
CREATE INDEX availability_weekly_counselor ON availability_weekly (counselor_id);

CREATE TABLE availability_exceptions (
	counselor_id TEXT NOT NULL REFERENCES counselors (user_id) ON DELETE CASCADE,
	date         TEXT NOT NULL,
	available    INTEGER NOT NULL,
	start_min    INTEGER NOT NULL,
	end_min      INTEGER NOT NULL
);
CREATE INDEX availability_exceptions_counselor ON availability_exceptions (counselor_id, date);

CREATE TABLE appointments (
	id           TEXT PRIMARY KEY,
	counselor_id TEXT NOT NULL REFERENCES counselors (user_id),
	client_id    TEXT NOT NULL REFERENCES users (id),
	start_at     INTEGER NOT NULL,
	end_at       INTEGER NOT NULL,
	status       TEXT NOT NULL CHECK (status IN ('booked', 'cancelled')),
	created_at   INTEGER NOT NULL,
	cancelled_at INTEGER NOT NULL DEFAULT 0,
	cancelled_by TEXT NOT NULL DEFAULT '',
	CHECK (end_at > start_at)
);
-- The database itself refuses a second booking of the same counselor slot.
CREATE UNIQUE INDEX appointments_no_double_booking ON appointments (counselor_id, start_at) WHERE status = 'booked';
CREATE INDEX appointments_counselor ON appointments (counselor_id, start_at);
CREATE INDEX appointments_client ON appointments (client_id, start_at);
