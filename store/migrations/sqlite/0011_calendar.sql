-- Issue 11, calendar part: reminders sent (or skipped) and the counselors'
-- calendar feeds.

-- One row per appointment and reminder offset (in seconds before the
-- start), inserted in the transaction that queues the reminder, so two
-- runs of the job cannot both send it. A row with skipped = 1 marks a
-- reminder whose time had passed when the session was moved to its time.
CREATE TABLE reminders_sent (
	appointment_id TEXT NOT NULL REFERENCES appointments (id) ON DELETE CASCADE,
	offset_s       INTEGER NOT NULL,
	at             INTEGER NOT NULL,
	skipped        INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (appointment_id, offset_s)
);

-- A counselor's secret feed URL: only the SHA-256 of its token is kept; a
-- new one replaces the old.
CREATE TABLE calendar_feeds (
	counselor_id TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
	token_hash   TEXT NOT NULL UNIQUE,
	created_at   INTEGER NOT NULL
);

-- The reminder job looks for booked sessions starting within the next day
-- every minute.
CREATE INDEX appointments_booked_start ON appointments (start_at) WHERE status = 'booked';
