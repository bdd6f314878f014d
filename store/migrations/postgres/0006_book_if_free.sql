-- book_if_free is store.Book in one round trip (see store/booking.go): it
-- locks the counselor's and the client's rows, counselor first as
-- everywhere, then checks and inserts as BookIfFree does with bookingFacts
-- (the two must agree; TestBook in store runs both). A statement in a
-- function sees what was committed before it began, so after the locks the
-- checks see every booking of whoever held them before. SQLite needs no
-- such function: it runs in the process, where a round trip costs nothing.
CREATE FUNCTION book_if_free(
	a_id text, a_counselor text, a_client text, a_start bigint, a_end bigint, a_created bigint,
	a_buffer bigint, a_open_after bigint, a_max_open bigint, a_version bigint,
	OUT o_found boolean, OUT o_version bigint, OUT o_taken boolean, OUT o_overlap boolean, OUT o_open bigint, OUT o_booked boolean)
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM 1 FROM counselors c, users u WHERE c.user_id = a_counselor AND u.id = a_client FOR UPDATE;
	o_found := FOUND;
	IF NOT o_found THEN
		RETURN;
	END IF;
	SELECT version INTO o_version FROM counselor_version WHERE id = 1;
	-- Within the buffer of the slot; in two parts like store.Busy, for the
	-- indexes of 0003_read_indexes (the 14400 must match them).
	o_taken := EXISTS (SELECT 1 FROM appointments WHERE counselor_id = a_counselor AND status = 'booked' AND end_at - start_at <= 14400
			AND start_at >= a_start - a_buffer - 14400 AND start_at < a_end + a_buffer AND end_at > a_start - a_buffer)
		OR EXISTS (SELECT 1 FROM appointments WHERE counselor_id = a_counselor AND status = 'booked' AND end_at - start_at > 14400
			AND start_at < a_end + a_buffer AND end_at > a_start - a_buffer);
	o_overlap := EXISTS (SELECT 1 FROM appointments WHERE client_id = a_client AND status = 'booked' AND start_at < a_end AND end_at > a_start);
	SELECT count(*) INTO o_open FROM (SELECT 1 FROM appointments WHERE client_id = a_client AND status = 'booked' AND end_at > a_open_after LIMIT a_max_open) o;
	o_booked := (a_version = 0 OR o_version = a_version) AND NOT o_taken AND NOT o_overlap AND o_open < a_max_open;
	IF o_booked THEN
		INSERT INTO appointments (id, counselor_id, client_id, start_at, end_at, status, created_at)
		VALUES (a_id, a_counselor, a_client, a_start, a_end, 'booked', a_created);
	END IF;
END
$$;
