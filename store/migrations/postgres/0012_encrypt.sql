-- Issue 12, encryption at rest: health data and email addresses are sealed
-- in Go (service/encrypt.go); SQL cannot encrypt, so rows written before
-- this migration are sealed by service.EncryptLegacy, which serve runs at
-- start, and their plaintext columns are emptied then. A sealed row has
-- its plaintext columns at their defaults ('' or 0).

-- Responses: answers, score, band and the safety flag live in sealed.
ALTER TABLE responses ADD COLUMN sealed BYTEA NOT NULL DEFAULT ''::bytea;

-- Safety alerts: the source (questionnaire or the client's own request)
-- and the response it came from live in sealed.
ALTER TABLE safety_alerts DROP CONSTRAINT safety_alerts_source_check;
ALTER TABLE safety_alerts ALTER COLUMN source SET DEFAULT '';
ALTER TABLE safety_alerts ADD COLUMN sealed BYTEA NOT NULL DEFAULT ''::bytea;

-- Ratings: the comment is sealed; the stars stay plaintext (report sums).
ALTER TABLE ratings ADD COLUMN comment_sealed BYTEA NOT NULL DEFAULT ''::bytea;

-- Email addresses: sealed with the user's data key, found by email_hash,
-- an HMAC-SHA256 of the lower-cased address under a key derived from the
-- master key. The pending address of a verification link is sealed too.
ALTER TABLE users ADD COLUMN email_sealed BYTEA NOT NULL DEFAULT ''::bytea;
ALTER TABLE users ADD COLUMN email_hash TEXT NOT NULL DEFAULT '';
DROP INDEX users_email;
CREATE INDEX users_email_hash ON users (email_hash) WHERE email_hash <> '';
ALTER TABLE account_tokens ADD COLUMN email_sealed BYTEA NOT NULL DEFAULT ''::bytea;

-- The outbox's mails are sealed under a key derived from the master key:
-- recipient and subject in head_sealed, text, HTML and calendar object in
-- body_sealed (emptied once sent, as the plain body columns were).
ALTER TABLE outbox ADD COLUMN head_sealed BYTEA NOT NULL DEFAULT ''::bytea;
ALTER TABLE outbox ADD COLUMN body_sealed BYTEA NOT NULL DEFAULT ''::bytea;
