-- Account deletion and retention (issue 12, points 3 and 4).

-- The published figures of closed report periods, stored the first time
-- they are computed after the period (and its attendance correction
-- window) is over, and served from here ever after: deleting an account
-- never changes a published figure. kind is 'impact' (scope '') or
-- 'buyer' (scope the contract id); body is the report as JSON.
CREATE TABLE report_snapshots (
	kind       TEXT NOT NULL,
	scope      TEXT NOT NULL,
	period     TEXT NOT NULL,
	body       TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	PRIMARY KEY (kind, scope, period)
);

-- When an inactive client account was warned that it will be deleted;
-- a login deletes the row (the account is in use again).
CREATE TABLE retention_warnings (
	user_id   TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
	warned_at BIGINT NOT NULL
);

-- Counselor accounts an admin deleted. The row in users and counselors
-- stays, emptied (a random username, an unusable password, no email, no
-- profile text, languages or hours), so that clients' past appointments
-- and messages keep their other side; lists leave these out.
CREATE TABLE deleted_accounts (
	user_id    TEXT PRIMARY KEY REFERENCES users (id),
	deleted_at BIGINT NOT NULL
);
