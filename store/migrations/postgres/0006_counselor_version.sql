-- One number that changes whenever any counselor's profile, languages or
-- schedule does, so that an instance can keep them in memory and check
-- with one tiny read that its copy is still current (see directory.go).
-- Triggers bump it in the same transaction as the change, so no code path
-- that writes these tables can forget to. The row lock this takes makes
-- such changes commit one after another, which is fine for how rarely
-- counselors edit their profiles and schedules.
CREATE TABLE counselor_version (
	id      INTEGER PRIMARY KEY CHECK (id = 1),
	version BIGINT NOT NULL
);
INSERT INTO counselor_version (id, version) VALUES (1, 1);

CREATE FUNCTION counselor_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE counselor_version SET version = version + 1;
	RETURN NULL;
END
$$;

CREATE TRIGGER counselors_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON counselors
	FOR EACH STATEMENT EXECUTE FUNCTION counselor_version_bump();
CREATE TRIGGER counselor_languages_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON counselor_languages
	FOR EACH STATEMENT EXECUTE FUNCTION counselor_version_bump();
CREATE TRIGGER availability_weekly_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON availability_weekly
	FOR EACH STATEMENT EXECUTE FUNCTION counselor_version_bump();
CREATE TRIGGER availability_exceptions_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON availability_exceptions
	FOR EACH STATEMENT EXECUTE FUNCTION counselor_version_bump();
-- Search results show counselors' usernames.
CREATE TRIGGER users_version_username AFTER UPDATE OF username ON users
	FOR EACH STATEMENT EXECUTE FUNCTION counselor_version_bump();
