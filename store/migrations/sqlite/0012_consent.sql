-- Issue 12, point 8: consent to the processing of health data (GDPR
-- Art. 9(2)(a)). One row per consent given: who, when, which version of
-- the text, and who recorded it (the client themselves, or the care-point
-- staff member in front of whom the client agreed). The latest row of a
-- client is compared with the operator's current version. The rows go
-- with the account.
CREATE TABLE consents (
	user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	version     TEXT NOT NULL,
	given_at    INTEGER NOT NULL,
	recorded_by TEXT NOT NULL DEFAULT ''
);
CREATE INDEX consents_user ON consents (user_id, given_at);

-- Issue 12, point 9: a deactivated counselor (deactivated_at > 0) is left
-- out of the directory, so search and booking no longer find them. The
-- counselors update trigger of 0006 bumps counselor_version, so every
-- instance reloads its directory.
ALTER TABLE counselors ADD COLUMN deactivated_at INTEGER NOT NULL DEFAULT 0;
