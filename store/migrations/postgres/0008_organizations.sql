-- Organizations pay for counseling (issue 10): contracts, access codes,
-- credits, self-pay packages, care points.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('client', 'counselor', 'admin', 'carepoint', 'orgadmin'));

CREATE TABLE organizations (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	slug       TEXT NOT NULL UNIQUE,
	created_at BIGINT NOT NULL
);

-- Dates are YYYY-MM-DD in UTC, inclusive. pool 0 means no limit in total;
-- pool_used counts the sessions drawn from it.
CREATE TABLE contracts (
	id                  TEXT PRIMARY KEY,
	organization_id     TEXT NOT NULL REFERENCES organizations (id),
	starts              TEXT NOT NULL,
	ends                TEXT NOT NULL,
	sessions_per_person INTEGER NOT NULL CHECK (sessions_per_person > 0),
	pool                INTEGER NOT NULL DEFAULT 0 CHECK (pool >= 0),
	pool_used           INTEGER NOT NULL DEFAULT 0 CHECK (pool_used >= 0),
	grace_days          INTEGER NOT NULL DEFAULT 0 CHECK (grace_days >= 0),
	late_cancel_counts  INTEGER NOT NULL DEFAULT 1,
	goals               TEXT NOT NULL DEFAULT '',
	closed_at           BIGINT NOT NULL DEFAULT 0,
	created_at          BIGINT NOT NULL,
	CHECK (ends >= starts),
	CHECK (pool = 0 OR pool_used <= pool)
);
CREATE INDEX contracts_organization ON contracts (organization_id, starts);

-- Access codes are stored as SHA-256 hashes; only a contract's shared
-- code is kept readable, to be shown again. No code records who redeemed
-- it: the organization learns how many, never by whom.
CREATE TABLE access_codes (
	code_hash   TEXT PRIMARY KEY,
	contract_id TEXT NOT NULL REFERENCES contracts (id),
	shared      INTEGER NOT NULL DEFAULT 0,
	code        TEXT NOT NULL DEFAULT '',
	redeemed    INTEGER NOT NULL DEFAULT 0,
	created_at  BIGINT NOT NULL
);
CREATE INDEX access_codes_contract ON access_codes (contract_id);

-- Packages of sessions bought through Stripe Checkout.
CREATE TABLE purchases (
	id               TEXT PRIMARY KEY,
	client_id        TEXT NOT NULL REFERENCES users (id),
	sessions         INTEGER NOT NULL CHECK (sessions > 0),
	amount           BIGINT NOT NULL,
	unit_price       BIGINT NOT NULL,
	currency         TEXT NOT NULL,
	status           TEXT NOT NULL CHECK (status IN ('open', 'paid', 'expired', 'refunded', 'partially_refunded')),
	checkout_session TEXT NOT NULL DEFAULT '',
	checkout_url     TEXT NOT NULL DEFAULT '',
	payment_intent   TEXT NOT NULL DEFAULT '',
	refunded_amount  BIGINT NOT NULL DEFAULT 0,
	created_at       BIGINT NOT NULL,
	paid_at          BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX purchases_client ON purchases (client_id, created_at);
CREATE INDEX purchases_checkout ON purchases (checkout_session);

-- Stripe webhook events already processed, by event id.
CREATE TABLE stripe_events (
	id          TEXT PRIMARY KEY,
	type        TEXT NOT NULL,
	received_at BIGINT NOT NULL
);

-- A client's balance of sessions per source. One row per contract a
-- client holds (a second code of the same contract is refused).
CREATE TABLE credits (
	id          TEXT PRIMARY KEY,
	client_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	source      TEXT NOT NULL CHECK (source IN ('organization', 'purchase')),
	contract_id TEXT REFERENCES contracts (id),
	purchase_id TEXT REFERENCES purchases (id),
	granted     INTEGER NOT NULL CHECK (granted >= 0),
	used        INTEGER NOT NULL DEFAULT 0 CHECK (used >= 0),
	started     INTEGER NOT NULL DEFAULT 0,
	expires_at  BIGINT NOT NULL,
	created_at  BIGINT NOT NULL,
	CHECK (used <= granted),
	CHECK ((source = 'organization') = (contract_id IS NOT NULL)),
	CHECK ((source = 'purchase') = (purchase_id IS NOT NULL))
);
CREATE UNIQUE INDEX credits_client_contract ON credits (client_id, contract_id);
CREATE INDEX credits_contract ON credits (contract_id);
CREATE INDEX credits_purchase ON credits (purchase_id);

-- The operator's prices; no row, or session_price 0, means free.
-- packages is a comma-separated list of package sizes.
CREATE TABLE pricing (
	id            INTEGER PRIMARY KEY CHECK (id = 1),
	currency      TEXT NOT NULL,
	session_price BIGINT NOT NULL CHECK (session_price >= 0),
	packages      TEXT NOT NULL,
	updated_at    BIGINT NOT NULL
);

-- Staff of one organization (roles carepoint and orgadmin).
CREATE TABLE organization_staff (
	user_id         TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
	organization_id TEXT NOT NULL REFERENCES organizations (id),
	display_name    TEXT NOT NULL
);
CREATE INDEX organization_staff_organization ON organization_staff (organization_id);

-- Clients a care point registered, with the client's recorded consent:
-- who registered them, when, and which version of the consent text. The
-- link ends when the client ends it or the contract's exit deletes it.
CREATE TABLE carepoint_clients (
	client_id       TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
	staff_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	organization_id TEXT NOT NULL REFERENCES organizations (id),
	contract_id     TEXT NOT NULL REFERENCES contracts (id),
	consent_version TEXT NOT NULL,
	consent_at      BIGINT NOT NULL
);
CREATE INDEX carepoint_clients_staff ON carepoint_clients (staff_id);
CREATE INDEX carepoint_clients_contract ON carepoint_clients (contract_id);

-- Figures frozen when a contract's exit is carried out: the final report
-- and the monthly statements, as JSON, so that deleting the link to the
-- organization's people changes nothing already sent.
CREATE TABLE contract_snapshots (
	contract_id TEXT NOT NULL REFERENCES contracts (id),
	period      TEXT NOT NULL,
	body        TEXT NOT NULL,
	created_at  BIGINT NOT NULL,
	PRIMARY KEY (contract_id, period)
);

-- Who pays for an appointment and how it ended.
ALTER TABLE appointments ADD COLUMN paid_by TEXT NOT NULL DEFAULT 'free' CHECK (paid_by IN ('free', 'organization', 'purchase'));
ALTER TABLE appointments ADD COLUMN credit_id TEXT NOT NULL DEFAULT '';
ALTER TABLE appointments ADD COLUMN contract_id TEXT NOT NULL DEFAULT '';
ALTER TABLE appointments ADD COLUMN booked_by TEXT NOT NULL DEFAULT '';
ALTER TABLE appointments ADD COLUMN late_cancel INTEGER NOT NULL DEFAULT 0;
ALTER TABLE appointments ADD COLUMN attendance TEXT NOT NULL DEFAULT '' CHECK (attendance IN ('', 'held', 'no_show_client', 'no_show_counselor'));
ALTER TABLE appointments ADD COLUMN attendance_by TEXT NOT NULL DEFAULT '';
ALTER TABLE appointments ADD COLUMN attendance_at BIGINT NOT NULL DEFAULT 0;
CREATE INDEX appointments_contract ON appointments (contract_id, start_at);
-- Rooms closed without an attendance yet, for the job that derives it.
CREATE INDEX appointments_attendance_due ON appointments (end_at) WHERE status = 'booked' AND attendance = '';
