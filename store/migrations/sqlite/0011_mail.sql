-- An admin may try a mail the worker gave up on once more (admin mail
-- page); it then gets another day of retries, counted from retried_at.
ALTER TABLE outbox ADD COLUMN retried_at INTEGER NOT NULL DEFAULT 0;
