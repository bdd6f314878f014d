-- Who joined and left a video room when: the only metadata kept about a
-- session, deleted after 90 days by the retention job.
CREATE TABLE room_events (
	appointment_id TEXT NOT NULL,
	user_id        TEXT NOT NULL,
	event          TEXT NOT NULL CHECK (event IN ('joined', 'left')),
	at             INTEGER NOT NULL
);
CREATE INDEX room_events_at ON room_events (at);
CREATE INDEX room_events_appointment ON room_events (appointment_id, at);
