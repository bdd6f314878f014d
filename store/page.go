package store

import (
	"context"
	"strconv"
	"time"

	"eyelevel"
)

// After is a position in a list ordered by a time and an id: a page
// continues with the items after it (before it, for lists newest first).
// The zero After is the start of the list.
type After struct {
	At time.Time
	ID string
}

// ResponsesPage lists up to limit of a client's responses to instrument
// ("" for all), oldest first, after a.
func (db *DB) ResponsesPage(ctx context.Context, client eyelevel.UserID, instrument string, a After, limit int) ([]eyelevel.Response, error) {
	q, args := responseSelect+` WHERE client_id = $1`, []any{string(client)}
	if instrument != "" {
		args = append(args, instrument)
		q += ` AND instrument = $2`
	}
	if a.ID != "" {
		n := len(args)
		q += ` AND (created_at > $` + strconv.Itoa(n+1) + ` OR (created_at = $` + strconv.Itoa(n+1) + ` AND id > $` + strconv.Itoa(n+2) + `))`
		args = append(args, unix(a.At), a.ID)
	}
	q += ` ORDER BY created_at, id LIMIT $` + strconv.Itoa(len(args)+1)
	return db.queryResponses(ctx, q, append(args, limit)...)
}

// OpenSafetyAlertsPage is OpenSafetyAlerts of a counselor, a page at a
// time: up to limit alerts, newest first, before a.
func (db *DB) OpenSafetyAlertsPage(ctx context.Context, counselor eyelevel.UserID, since time.Time, a After, limit int) ([]eyelevel.SafetyAlert, error) {
	q := alertSelect + ` WHERE s.acknowledged_at = 0 AND s.client_id IN (` + clientsOf + `)`
	args := []any{string(counselor), unix(since)}
	if a.ID != "" {
		q += ` AND (s.created_at < $3 OR (s.created_at = $3 AND s.id < $4))`
		args = append(args, unix(a.At), a.ID)
	}
	q += ` ORDER BY s.created_at DESC, s.id DESC LIMIT $` + strconv.Itoa(len(args)+1)
	rows, err := db.rq(ctx).QueryContext(ctx, q, append(args, limit)...)
	if err != nil {
		return nil, db.wrap(err, "select safety alerts")
	}
	return db.scanAlerts(rows)
}

// UnratedSessionsPage is UnratedSessions a page at a time: up to limit
// sessions, the latest ended first, before a (whose At is an end time).
func (db *DB) UnratedSessionsPage(ctx context.Context, client eyelevel.UserID, since, until time.Time, a After, limit int) ([]eyelevel.Appointment, error) {
	q := appointmentSelect + ` WHERE a.client_id = $1 AND a.status = 'booked' AND a.end_at > $2 AND a.end_at <= $3
		AND NOT EXISTS (SELECT 1 FROM ratings r WHERE r.appointment_id = a.id)`
	args := []any{string(client), unix(since), unix(until)}
	if a.ID != "" {
		q += ` AND (a.end_at < $4 OR (a.end_at = $4 AND a.id < $5))`
		args = append(args, unix(a.At), a.ID)
	}
	q += ` ORDER BY a.end_at DESC, a.id DESC LIMIT $` + strconv.Itoa(len(args)+1)
	return db.queryAppointments(ctx, q, append(args, limit)...)
}
