-- Issue 12, encryption at rest: health data and email addresses are sealed
-- in Go (service/encrypt.go); SQL cannot encrypt, so rows written before
-- this migration are sealed by service.EncryptLegacy, which serve runs at
-- start, and their plaintext columns are emptied then. A sealed row has
-- its plaintext columns at their defaults ('' or 0).

-- Responses: answers, score, band and the safety flag live in sealed.
ALTER TABLE responses ADD COLUMN sealed BLOB NOT NULL DEFAULT X'';

-- Safety alerts: the source (questionnaire or the client's own request)
-- and the response it came from live in sealed. SQLite cannot drop the
-- CHECK on source in place, so the table is rebuilt (nothing references it).
CREATE TABLE safety_alerts_new (
	id              TEXT PRIMARY KEY,
	client_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	source          TEXT NOT NULL DEFAULT '',
	response_id     TEXT NOT NULL DEFAULT '',
	created_at      INTEGER NOT NULL,
	acknowledged_at INTEGER NOT NULL DEFAULT 0,
	acknowledged_by TEXT NOT NULL DEFAULT '',
	escalated_at    INTEGER NOT NULL DEFAULT 0,
	sealed          BLOB NOT NULL DEFAULT X''
);
INSERT INTO safety_alerts_new (id, client_id, source, response_id, created_at, acknowledged_at, acknowledged_by, escalated_at)
	SELECT id, client_id, source, response_id, created_at, acknowledged_at, acknowledged_by, escalated_at FROM safety_alerts;
DROP TABLE safety_alerts;
ALTER TABLE safety_alerts_new RENAME TO safety_alerts;
CREATE INDEX safety_alerts_client ON safety_alerts (client_id, acknowledged_at);
CREATE INDEX safety_alerts_open ON safety_alerts (created_at) WHERE acknowledged_at = 0 AND escalated_at = 0;

-- Ratings: the comment is sealed; the stars stay plaintext (report sums).
ALTER TABLE ratings ADD COLUMN comment_sealed BLOB NOT NULL DEFAULT X'';

-- Email addresses: sealed with the user's data key, found by email_hash,
-- an HMAC-SHA256 of the lower-cased address under a key derived from the
-- master key. The pending address of a verification link is sealed too.
ALTER TABLE users ADD COLUMN email_sealed BLOB NOT NULL DEFAULT X'';
ALTER TABLE users ADD COLUMN email_hash TEXT NOT NULL DEFAULT '';
DROP INDEX users_email;
CREATE INDEX users_email_hash ON users (email_hash) WHERE email_hash <> '';
ALTER TABLE account_tokens ADD COLUMN email_sealed BLOB NOT NULL DEFAULT X'';

-- The outbox's mails are sealed under a key derived from the master key:
-- recipient and subject in head_sealed, text, HTML and calendar object in
-- body_sealed (emptied once sent, as the plain body columns were).
ALTER TABLE outbox ADD COLUMN head_sealed BLOB NOT NULL DEFAULT X'';
ALTER TABLE outbox ADD COLUMN body_sealed BLOB NOT NULL DEFAULT X'';
