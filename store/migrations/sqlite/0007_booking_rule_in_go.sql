-- The booking rule lives in Go (package slots); the database supplies facts
-- and the unique index. The length beyond which an appointment is looked up
-- by its length rather than its start (store.longAppointment) is now a
-- parameter of the queries, so it is defined once, in Go: an index on the
-- length replaces appointments_long, whose WHERE held it as a literal that a
-- query had to repeat. It holds status because SQLite does not count a
-- partial index's WHERE as columns it holds.
DROP INDEX appointments_long;
CREATE INDEX appointments_length ON appointments (counselor_id, (end_at - start_at), end_at, start_at, status) WHERE status = 'booked';
