-- The care program: questionnaire responses, safety alerts, encrypted
-- reflections on the seven steps (sealed with a per-client data key that is
-- stored wrapped by the server's master key), and session ratings.
CREATE TABLE responses (
	id         TEXT PRIMARY KEY,
	client_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	instrument TEXT NOT NULL,
	language   TEXT NOT NULL,
	occasion   TEXT NOT NULL CHECK (occasion IN ('selftest', 'intake', 'post', 'followup', 'checkin')),
	answers    TEXT NOT NULL,
	score      INTEGER NOT NULL,
	band       TEXT NOT NULL,
	safety     INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL
);
CREATE INDEX responses_client ON responses (client_id, created_at);
CREATE INDEX responses_occasion ON responses (occasion, instrument, created_at);

CREATE TABLE safety_alerts (
	id              TEXT PRIMARY KEY,
	client_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	source          TEXT NOT NULL CHECK (source IN ('questionnaire', 'client')),
	response_id     TEXT NOT NULL DEFAULT '',
	created_at      INTEGER NOT NULL,
	acknowledged_at INTEGER NOT NULL DEFAULT 0,
	acknowledged_by TEXT NOT NULL DEFAULT ''
);
CREATE INDEX safety_alerts_client ON safety_alerts (client_id, acknowledged_at);

CREATE TABLE client_keys (
	client_id  TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
	key_id     TEXT NOT NULL,
	wrapped    BLOB NOT NULL,
	created_at INTEGER NOT NULL
);

CREATE TABLE reflections (
	client_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	step       INTEGER NOT NULL CHECK (step BETWEEN 1 AND 7),
	sealed     BLOB NOT NULL,
	done       INTEGER NOT NULL DEFAULT 0,
	shared_at  INTEGER NOT NULL DEFAULT 0,
	updated_at INTEGER NOT NULL,
	PRIMARY KEY (client_id, step)
);

-- stars 0 records that the client declined to rate, so we ask only once.
CREATE TABLE ratings (
	appointment_id TEXT PRIMARY KEY REFERENCES appointments (id) ON DELETE CASCADE,
	counselor_id   TEXT NOT NULL,
	client_id      TEXT NOT NULL,
	stars          INTEGER NOT NULL CHECK (stars BETWEEN 0 AND 5),
	comment        TEXT NOT NULL DEFAULT '',
	created_at     INTEGER NOT NULL
);
CREATE INDEX ratings_counselor ON ratings (counselor_id, created_at);
CREATE INDEX ratings_created ON ratings (created_at);
CREATE INDEX appointments_end ON appointments (end_at);
