-- The booking rule gained a course rule: at most so many sessions per
-- client and calendar day (slots.Limits.PerDay), so the facts gained the
-- client's bookings starting on the slot's day [a_day_lo, a_day_hi) in the
-- client's zone, counted up to a_max_day, the same as store.bookingFacts.
-- The function inserts only if the client holds at most e_day of them
-- (fewer never makes a slot unbookable). It also records who booked on the
-- client's behalf (a care point), a_booked_by, '' for the client. Everything
-- else is as in 0007_booking_rule_in_go.
DROP FUNCTION book_if_unchanged(text, text, text, bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, text[], boolean, bigint);
CREATE FUNCTION book_if_unchanged(
	a_id text, a_counselor text, a_client text, a_start bigint, a_end bigint, a_created bigint,
	a_lo bigint, a_hi bigint, a_open_after bigint, a_max_open bigint,
	e_version bigint, e_near text[], e_overlap boolean, e_open bigint,
	a_day_lo bigint, a_day_hi bigint, a_max_day bigint, e_day bigint, a_booked_by text,
	OUT o_found boolean, OUT o_booked boolean, OUT o_version bigint, OUT o_near text[], OUT o_starts bigint[],
	OUT o_ends bigint[], OUT o_own boolean[], OUT o_overlap boolean, OUT o_open bigint, OUT o_day bigint)
LANGUAGE plpgsql AS $$
BEGIN
	o_booked := false;
	PERFORM 1 FROM counselors c, users u WHERE c.user_id = a_counselor AND u.id = a_client FOR UPDATE;
	o_found := FOUND;
	IF NOT o_found THEN
		RETURN;
	END IF;
	SELECT version INTO o_version FROM counselor_version WHERE id = 1;
	-- Mostly there is none: then the arrays stay empty without an aggregate.
	o_near := '{}'; o_starts := '{}'; o_ends := '{}'; o_own := '{}';
	IF EXISTS (SELECT 1 FROM appointments WHERE counselor_id = a_counselor AND status = 'booked' AND end_at - start_at <= {{longAppointment}}
			AND start_at >= a_lo - {{longAppointment}} AND start_at < a_hi AND end_at > a_lo)
		OR EXISTS (SELECT 1 FROM appointments WHERE counselor_id = a_counselor AND status = 'booked' AND end_at - start_at > {{longAppointment}}
			AND start_at < a_hi AND end_at > a_lo) THEN
		SELECT array_agg(n.id), array_agg(n.start_at), array_agg(n.end_at), array_agg(n.own)
			INTO o_near, o_starts, o_ends, o_own
			FROM (SELECT u.* FROM (SELECT id, start_at, end_at, client_id = a_client AS own FROM appointments
						WHERE counselor_id = a_counselor AND status = 'booked' AND end_at - start_at <= {{longAppointment}}
						AND start_at >= a_lo - {{longAppointment}} AND start_at < a_hi AND end_at > a_lo
					UNION ALL
					SELECT id, start_at, end_at, client_id = a_client FROM appointments
						WHERE counselor_id = a_counselor AND status = 'booked' AND end_at - start_at > {{longAppointment}}
						AND start_at < a_hi AND end_at > a_lo) u
				ORDER BY u.id COLLATE "C") n;
	END IF;
	o_overlap := EXISTS (SELECT 1 FROM appointments WHERE client_id = a_client AND status = 'booked' AND start_at < a_end AND end_at > a_start);
	SELECT count(*) INTO o_open FROM (SELECT 1 FROM appointments WHERE client_id = a_client AND status = 'booked' AND end_at > a_open_after LIMIT a_max_open) o;
	SELECT count(*) INTO o_day FROM (SELECT 1 FROM appointments WHERE client_id = a_client AND status = 'booked' AND start_at >= a_day_lo AND start_at < a_day_hi LIMIT a_max_day) d;
	IF o_version = e_version AND o_near = e_near AND o_overlap = e_overlap AND o_open <= e_open AND o_day <= e_day THEN
		INSERT INTO appointments (id, counselor_id, client_id, start_at, end_at, status, created_at, booked_by)
		VALUES (a_id, a_counselor, a_client, a_start, a_end, 'booked', a_created, a_booked_by);
		o_booked := true;
	END IF;
END
$$;
