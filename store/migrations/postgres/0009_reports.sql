-- Buyer reports place code redemptions in time: one row per redemption
-- (of a single-use or a shared code), with its contract and when, and
-- nothing about who redeemed it.
CREATE TABLE code_redemptions (
	contract_id TEXT NOT NULL REFERENCES contracts (id),
	shared      INTEGER NOT NULL DEFAULT 0,
	redeemed_at BIGINT NOT NULL
);
CREATE INDEX code_redemptions_contract ON code_redemptions (contract_id, redeemed_at);
CREATE INDEX access_codes_created ON access_codes (contract_id, created_at);
