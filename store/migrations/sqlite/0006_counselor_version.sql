-- One number that changes whenever any counselor's profile, languages or
-- schedule does, so that an instance can keep them in memory and check
-- with one tiny read that its copy is still current (see directory.go).
-- Triggers bump it in the same transaction as the change, so no code path
-- that writes these tables can forget to.
CREATE TABLE counselor_version (
	id      INTEGER PRIMARY KEY CHECK (id = 1),
	version INTEGER NOT NULL
);
INSERT INTO counselor_version (id, version) VALUES (1, 1);

CREATE TRIGGER counselors_version_insert AFTER INSERT ON counselors BEGIN UPDATE counselor_version SET version = version + 1; END;
CREATE TRIGGER counselors_version_update AFTER UPDATE ON counselors BEGIN UPDATE counselor_version SET version = version + 1; END;
CREATE TRIGGER counselors_version_delete AFTER DELETE ON counselors BEGIN UPDATE counselor_version SET version = version + 1; END;
CREATE TRIGGER counselor_languages_version_insert AFTER INSERT ON counselor_languages BEGIN UPDATE counselor_version SET version = version + 1; END;
CREATE TRIGGER counselor_languages_version_update AFTER UPDATE ON counselor_languages BEGIN UPDATE counselor_version SET version = version + 1; END;
CREATE TRIGGER counselor_languages_version_delete AFTER DELETE ON counselor_languages BEGIN UPDATE counselor_version SET version = version + 1; END;
CREATE TRIGGER availability_weekly_version_insert AFTER INSERT ON availability_weekly BEGIN UPDATE counselor_version SET version = version + 1; END;
CREATE TRIGGER availability_weekly_version_update AFTER UPDATE ON availability_weekly BEGIN UPDATE counselor_version SET version = version + 1; END;
CREATE TRIGGER availability_weekly_version_delete AFTER DELETE ON availability_weekly BEGIN UPDATE counselor_version SET version = version + 1; END;
CREATE TRIGGER availability_exceptions_version_insert AFTER INSERT ON availability_exceptions BEGIN UPDATE counselor_version SET version = version + 1; END;
CREATE TRIGGER availability_exceptions_version_update AFTER UPDATE ON availability_exceptions BEGIN UPDATE counselor_version SET version = version + 1; END;
CREATE TRIGGER availability_exceptions_version_delete AFTER DELETE ON availability_exceptions BEGIN UPDATE counselor_version SET version = version + 1; END;
-- Search results show counselors' usernames.
CREATE TRIGGER users_version_username AFTER UPDATE OF username ON users BEGIN UPDATE counselor_version SET version = version + 1; END;
