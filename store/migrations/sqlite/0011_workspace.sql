-- Issue 11, the counselor's workspace: session notes, absences, hand-overs.

-- A counselor's private note on one of their sessions, sealed with the
-- client's data key (the context names the appointment and the counselor).
CREATE TABLE session_notes (
	appointment_id TEXT PRIMARY KEY REFERENCES appointments (id),
	counselor_id   TEXT NOT NULL REFERENCES users (id),
	sealed         BLOB NOT NULL,
	updated_at     INTEGER NOT NULL
);

-- A counselor's absence: whole days from_date..to_date (inclusive,
-- YYYY-MM-DD in the counselor's zone). Their slots on these days disappear
-- (store.AvailabilityFrom); message goes to clients whose sessions in it
-- the counselor cancels.
CREATE TABLE absences (
	id           TEXT PRIMARY KEY,
	counselor_id TEXT NOT NULL REFERENCES users (id),
	from_date    TEXT NOT NULL,
	to_date      TEXT NOT NULL,
	message      TEXT NOT NULL,
	created_at   INTEGER NOT NULL,
	CHECK (from_date <= to_date)
);
CREATE INDEX absences_counselor ON absences (counselor_id, to_date);

-- A counselor proposes a colleague to a client; once the client accepts,
-- the colleague counts as the client's counselor (store.IsClientOf) for
-- the care window after decided_at. The note is sealed with the client's
-- data key.
CREATE TABLE handovers (
	id                TEXT PRIMARY KEY,
	client_id         TEXT NOT NULL REFERENCES users (id),
	from_counselor_id TEXT NOT NULL REFERENCES users (id),
	to_counselor_id   TEXT NOT NULL REFERENCES users (id),
	sealed_note       BLOB,
	status            TEXT NOT NULL CHECK (status IN ('proposed', 'accepted', 'declined')),
	created_at        INTEGER NOT NULL,
	decided_at        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX handovers_client ON handovers (client_id, created_at);
CREATE INDEX handovers_to ON handovers (to_counselor_id, status, decided_at);
CREATE INDEX handovers_from ON handovers (from_counselor_id, created_at);
