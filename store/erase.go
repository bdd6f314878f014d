package store

import (
	"context"
	"time"

	"eyelevel"
)

// ErasedClient says what EraseClient deleted, for the log: counts only.
type ErasedClient struct {
	Appointments int64
	Messages     int64
	Outbox       int64
}

// clientAppointments selects the ids of a client's appointments ($1).
const clientAppointments = `SELECT id FROM appointments WHERE client_id = $1`

// EraseClient deletes client id's account and every row about them, in
// the transaction ctx carries: their appointments (past and future) with
// the notes, ratings, reminders and room events of each, questionnaire
// responses, safety alerts, reflections, their data key (which shreds
// anything still sealed with it), messages in both directions, handovers,
// the waitlist, care-point link, credits, purchases, links and sessions,
// the retention warning, and outbox mails addressed to email or naming
// username. Access-log entries about them are the caller's
// (EraseAuditOf); entries the client made themselves are blanked here.
// The caller cancels upcoming sessions first (their mails, credits).
func (db *DB) EraseClient(ctx context.Context, id eyelevel.UserID, username, email string) (ErasedClient, error) {
	var out ErasedClient
	q := db.wq(ctx)
	run := func(what, stmt string, args ...any) (int64, error) {
		res, err := q.ExecContext(ctx, stmt, args...)
		if err != nil {
			return 0, db.wrap(err, "erase "+what)
		}
		n, err := res.RowsAffected()
		return n, db.wrap(err, "erase "+what)
	}
	uid := string(id)
	steps := []struct{ what, stmt string }{
		{"session notes", `DELETE FROM session_notes WHERE appointment_id IN (` + clientAppointments + `)`},
		{"reminders", `DELETE FROM reminders_sent WHERE appointment_id IN (` + clientAppointments + `)`},
		{"ratings", `DELETE FROM ratings WHERE client_id = $1 OR appointment_id IN (` + clientAppointments + `)`},
		{"room events", `DELETE FROM room_events WHERE user_id = $1 OR appointment_id IN (` + clientAppointments + `)`},
		{"responses", `DELETE FROM responses WHERE client_id = $1`},
		{"safety alerts", `DELETE FROM safety_alerts WHERE client_id = $1`},
		{"reflections", `DELETE FROM reflections WHERE client_id = $1`},
		{"client key", `DELETE FROM client_keys WHERE client_id = $1`},
		{"message mails", `DELETE FROM message_mails WHERE client_id = $1 OR staff_id = $1 OR recipient_id = $1`},
		{"handovers", `DELETE FROM handovers WHERE client_id = $1`},
		{"waitlist", `DELETE FROM waitlist WHERE client_id = $1`},
		{"care-point link", `DELETE FROM carepoint_clients WHERE client_id = $1`},
		{"credits", `DELETE FROM credits WHERE client_id = $1`},
		{"purchases", `DELETE FROM purchases WHERE client_id = $1`},
		{"account tokens", `DELETE FROM account_tokens WHERE user_id = $1`},
		{"sessions", `DELETE FROM sessions WHERE user_id = $1`},
		{"calendar feed", `DELETE FROM calendar_feeds WHERE counselor_id = $1`},
		{"retention warning", `DELETE FROM retention_warnings WHERE user_id = $1`},
	}
	for _, s := range steps {
		if _, err := run(s.what, s.stmt, uid); err != nil {
			return out, err
		}
	}
	var err error
	if out.Messages, err = run("messages", `DELETE FROM messages WHERE client_id = $1 OR staff_id = $1 OR sender_id = $1`, uid); err != nil {
		return out, err
	}
	if out.Appointments, err = run("appointments", `DELETE FROM appointments WHERE client_id = $1`, uid); err != nil {
		return out, err
	}
	// Mails to them, and mails to others that name them or link to their pages.
	n, err := db.eraseOutbox(ctx, email, username, uid)
	if err != nil {
		return out, err
	}
	out.Outbox += n
	n, err = run("user", `DELETE FROM users WHERE id = $1`, uid)
	if err != nil {
		return out, err
	}
	if n == 0 {
		return out, eyelevel.ErrNotFound()
	}
	return out, nil
}

// Shred makes deleted rows' bytes unreadable in the database files, after
// a deletion has committed. SQLite overwrites deleted content
// (secure_delete, set on every connection in Open); here the write-ahead
// log, which still holds the old pages, is checkpointed and truncated.
// PostgreSQL keeps deleted rows as dead tuples until VACUUM: tables are
// vacuumed (VACUUM cannot run in a transaction; call this outside one).
func (db *DB) Shred(ctx context.Context, tables ...string) error {
	if db.dialect == SQLite {
		err := db.ck.truncate(ctx, db.w)
		return db.wrap(err, "checkpoint")
	}
	for _, t := range tables {
		if _, err := db.w.ExecContext(ctx, `VACUUM `+t); err != nil {
			return db.wrap(err, "vacuum "+t)
		}
	}
	return nil
}

// ErasedTables are the tables EraseClient and EraseCounselor delete from,
// for Shred.
var ErasedTables = []string{"session_notes", "reminders_sent", "ratings", "room_events", "responses", "safety_alerts",
	"reflections", "client_keys", "message_mails", "handovers", "waitlist", "carepoint_clients", "credits", "purchases",
	"account_tokens", "sessions", "calendar_feeds", "retention_warnings", "audit_log", "messages", "appointments",
	"outbox", "users", "counselors", "counselor_languages", "availability_weekly", "availability_exceptions", "absences",
	"consents", "second_factors", "second_factor_codes", "passkeys", "passkey_challenges"}

// UpcomingBooked lists the booked appointments of user (client or
// counselor) that have not started at now, by start.
func (db *DB) UpcomingBooked(ctx context.Context, user eyelevel.UserID, now time.Time) ([]eyelevel.Appointment, error) {
	return db.queryAppointments(ctx, appointmentSelect+` WHERE (a.client_id = $1 OR a.counselor_id = $1) AND a.status = 'booked' AND a.start_at > $2 ORDER BY a.start_at, a.id`,
		string(user), unix(now))
}
