-- Issue 11's shared foundation: account mail settings, the mail outbox,
-- calendar sequence numbers, counselors' reply time and secure messages.

-- email_verified: mail goes only to a verified address (an admin's entry
-- counts as verified). notify_off lists the notification kinds the user
-- switched off, comma-separated. last_active_at: the last request the user
-- made (to the minute), so message mail waits while they are in the app.
ALTER TABLE users ADD COLUMN email_verified INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN notify_off TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN last_active_at BIGINT NOT NULL DEFAULT 0;

-- The SEQUENCE of the appointment's calendar entry (RFC 5545): raised by
-- every change that is mailed (reschedule, cancellation).
ALTER TABLE appointments ADD COLUMN ics_sequence INTEGER NOT NULL DEFAULT 0;

-- How many working days a counselor takes to answer a message.
ALTER TABLE counselors ADD COLUMN reply_days INTEGER NOT NULL DEFAULT 2;

-- Every mail is written here in the transaction of the change that causes
-- it, already rendered; a worker sends it (service/mailer.go). The body is
-- emptied once sent: links in it are secrets.
CREATE TABLE outbox (
	id          TEXT PRIMARY KEY,
	kind        TEXT NOT NULL,
	to_addr     TEXT NOT NULL,
	language    TEXT NOT NULL,
	subject     TEXT NOT NULL,
	body_text   TEXT NOT NULL,
	body_html   TEXT NOT NULL,
	ics         TEXT NOT NULL DEFAULT '',
	created_at  BIGINT NOT NULL,
	next_at     BIGINT NOT NULL,
	attempts    INTEGER NOT NULL DEFAULT 0,
	sent_at     BIGINT NOT NULL DEFAULT 0,
	failed_at   BIGINT NOT NULL DEFAULT 0,
	last_error  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outbox_due ON outbox (next_at) WHERE sent_at = 0 AND failed_at = 0;
CREATE INDEX outbox_created ON outbox (created_at);

-- Secure messages between a client and a staff member (their counselor,
-- or the duty contact after a safety alert): one conversation per pair.
-- The text is sealed with the client's data key, like reflections.
CREATE TABLE messages (
	id         TEXT PRIMARY KEY,
	client_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	staff_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	sender_id  TEXT NOT NULL,
	sealed     BYTEA NOT NULL,
	created_at BIGINT NOT NULL,
	read_at    BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX messages_pair ON messages (client_id, staff_id, created_at);
CREATE INDEX messages_staff ON messages (staff_id, read_at);
