-- Secure messages (issue 11, point 7) and safety alerts that reach a person
-- (point 3).

-- mailed: the recipient was told of this message by mail, or does not want
-- such mail; the job in service/messages_notify.go skips it then.
ALTER TABLE messages ADD COLUMN mailed INTEGER NOT NULL DEFAULT 0;
CREATE INDEX messages_unmailed ON messages (created_at) WHERE read_at = 0 AND mailed = 0;

-- The last message mail per conversation and recipient: at most one an
-- hour, across runs and nodes.
CREATE TABLE message_mails (
	client_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	staff_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	recipient_id TEXT NOT NULL,
	mailed_at    BIGINT NOT NULL,
	PRIMARY KEY (client_id, staff_id, recipient_id)
);

-- escalated_at: when the alert went to the duty contact (0: not yet);
-- set once, by whichever run gets there first.
ALTER TABLE safety_alerts ADD COLUMN escalated_at BIGINT NOT NULL DEFAULT 0;
CREATE INDEX safety_alerts_open ON safety_alerts (created_at) WHERE acknowledged_at = 0 AND escalated_at = 0;
