-- Clients waiting for a counselor in their language when none has a free
-- time within 14 days. notified_at is set once capacity appears.
CREATE TABLE waitlist (
	client_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	language    TEXT NOT NULL,
	gender      TEXT NOT NULL DEFAULT '',
	created_at  INTEGER NOT NULL,
	notified_at INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (client_id, language)
);
CREATE INDEX waitlist_pending ON waitlist (notified_at, language);
