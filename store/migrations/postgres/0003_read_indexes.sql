-- For Busy, the booked intervals of counselors that overlap a time range.
-- Appointments of up to four hours (all of them, with sane rules) overlap
-- [from, to) only if they start in [from - 4 h, to): this index finds them
-- without reading a counselor's thousands of past appointments and holds
-- every column the query needs. Longer ones are found through the second
-- index, which normally holds none. The 14400 must match the queries in Busy (appointments.go).
CREATE INDEX appointments_busy ON appointments (counselor_id, start_at) INCLUDE (end_at) WHERE status = 'booked';
CREATE INDEX appointments_long ON appointments (counselor_id, end_at) INCLUDE (start_at) WHERE status = 'booked' AND end_at - start_at > 14400;

-- A search reads the schedules of hundreds of counselors at once: indexes
-- that hold every column read, in the order the queries sort by, spare a
-- table lookup per row and the sort. They replace the indexes on their
-- first columns.
CREATE INDEX availability_weekly_cover ON availability_weekly (counselor_id, weekday, start_min, end_min);
DROP INDEX availability_weekly_counselor;
CREATE INDEX availability_exceptions_cover ON availability_exceptions (counselor_id, date, start_min, available, end_min);
DROP INDEX availability_exceptions_counselor;
