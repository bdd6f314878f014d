-- One shared access code per contract: two admins asking at once for the
-- shared code must end with one, so the database keeps the rule.
CREATE UNIQUE INDEX access_codes_shared ON access_codes (contract_id) WHERE shared = 1;
