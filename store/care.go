package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"eyelevel"
)

// CreateResponse stores a response. With r.Sealed set, the answers, score,
// band and safety flag are stored only sealed (their columns stay empty);
// without, in plain text (seeded data, until service.EncryptLegacy).
func (db *DB) CreateResponse(ctx context.Context, r eyelevel.Response) error {
	answers := joinAnswers(r.Answers)
	if len(r.Sealed) > 0 {
		answers, r.Score, r.Band, r.Safety = "", 0, "", false
	}
	_, err := db.wq(ctx).ExecContext(ctx, `INSERT INTO responses (id, client_id, instrument, language, occasion, answers, score, band, safety, created_at, sealed) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		r.ID, string(r.ClientID), r.Instrument, r.Language, r.Occasion, answers, r.Score, r.Band, r.Safety, unix(r.CreatedAt), nonNil(r.Sealed))
	return db.wrap(err, "insert response")
}

func joinAnswers(as []int) string {
	parts := make([]string, len(as))
	for i, a := range as {
		parts[i] = strconv.Itoa(a)
	}
	return strings.Join(parts, ",")
}

const responseSelect = `SELECT id, client_id, instrument, language, occasion, answers, score, band, safety, created_at, sealed FROM responses`

// Responses lists all of a client's responses, oldest first; instrument ""
// for all. (Charts and the data export need every one; the API pages them
// with ResponsesPage.)
func (db *DB) Responses(ctx context.Context, client eyelevel.UserID, instrument string) ([]eyelevel.Response, error) {
	q, args := responseSelect+` WHERE client_id = $1 ORDER BY created_at, id`, []any{string(client)}
	if instrument != "" {
		q, args = responseSelect+` WHERE client_id = $1 AND instrument = $2 ORDER BY created_at, id`, append(args, instrument)
	}
	return db.queryResponses(ctx, q, args...)
}

func (db *DB) queryResponses(ctx context.Context, q string, args ...any) ([]eyelevel.Response, error) {
	rows, err := db.rq(ctx).QueryContext(ctx, q, args...)
	if err != nil {
		return nil, db.wrap(err, "select responses")
	}
	defer rows.Close()
	var out []eyelevel.Response
	for rows.Next() {
		r, err := scanResponse(rows)
		if err != nil {
			return nil, db.wrap(err, "scan response")
		}
		out = append(out, r)
	}
	return out, db.wrap(rows.Err(), "select responses")
}

// Response returns one response or ENOTFOUND.
func (db *DB) Response(ctx context.Context, id string) (eyelevel.Response, error) {
	r, err := scanResponse(db.rq(ctx).QueryRowContext(ctx, responseSelect+` WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, eyelevel.ErrNotFound()
	}
	return r, db.wrap(err, "select response")
}

func scanResponse(row interface{ Scan(...any) error }) (eyelevel.Response, error) {
	var r eyelevel.Response
	var answers string
	var created int64
	if err := row.Scan(&r.ID, &r.ClientID, &r.Instrument, &r.Language, &r.Occasion, &answers, &r.Score, &r.Band, &r.Safety, &created, &r.Sealed); err != nil {
		return r, err
	}
	r.CreatedAt = fromUnix(created)
	if answers == "" {
		return r, nil // sealed
	}
	for _, p := range strings.Split(answers, ",") {
		n, err := strconv.Atoi(p)
		if err != nil {
			return r, err
		}
		r.Answers = append(r.Answers, n)
	}
	return r, nil
}

// CreateSafetyAlert stores an alert; with a.Sealed set, its source and
// response only sealed.
func (db *DB) CreateSafetyAlert(ctx context.Context, a eyelevel.SafetyAlert) error {
	if len(a.Sealed) > 0 {
		a.Source, a.ResponseID = "", ""
	}
	_, err := db.wq(ctx).ExecContext(ctx, `INSERT INTO safety_alerts (id, client_id, source, response_id, created_at, sealed) VALUES ($1, $2, $3, $4, $5, $6)`,
		a.ID, string(a.ClientID), a.Source, a.ResponseID, unix(a.CreatedAt), nonNil(a.Sealed))
	return db.wrap(err, "insert safety alert")
}

const alertSelect = `SELECT s.id, s.client_id, u.username, s.source, s.response_id, s.created_at, s.acknowledged_at, s.acknowledged_by, s.sealed FROM safety_alerts s JOIN users u ON u.id = s.client_id`

// ClientSafetyAlerts lists all of a client's alerts, oldest first (for the
// client's own data export).
func (db *DB) ClientSafetyAlerts(ctx context.Context, client eyelevel.UserID) ([]eyelevel.SafetyAlert, error) {
	rows, err := db.rq(ctx).QueryContext(ctx, alertSelect+` WHERE s.client_id = $1 ORDER BY s.created_at LIMIT 10000`, string(client))
	if err != nil {
		return nil, db.wrap(err, "select safety alerts")
	}
	return db.scanAlerts(rows)
}

// OpenSafetyAlerts lists the unacknowledged alerts of the counselor's
// clients as of since (see clientsOf), newest first; with counselor ""
// those of one client.
func (db *DB) OpenSafetyAlerts(ctx context.Context, counselor, client eyelevel.UserID, since time.Time) ([]eyelevel.SafetyAlert, error) {
	q, args := alertSelect+` WHERE s.acknowledged_at = 0 AND s.client_id IN (`+clientsOf+`) ORDER BY s.created_at DESC LIMIT 200`, []any{string(counselor), unix(since)}
	if counselor == "" {
		q, args = alertSelect+` WHERE s.acknowledged_at = 0 AND s.client_id = $1 ORDER BY s.created_at DESC LIMIT 200`, []any{string(client)}
	}
	rows, err := db.rq(ctx).QueryContext(ctx, q, args...)
	if err != nil {
		return nil, db.wrap(err, "select safety alerts")
	}
	return db.scanAlerts(rows)
}

func (db *DB) scanAlerts(rows *sql.Rows) ([]eyelevel.SafetyAlert, error) {
	defer rows.Close()
	var out []eyelevel.SafetyAlert
	for rows.Next() {
		var a eyelevel.SafetyAlert
		var created, acked int64
		if err := rows.Scan(&a.ID, &a.ClientID, &a.ClientUsername, &a.Source, &a.ResponseID, &created, &acked, &a.AcknowledgedBy, &a.Sealed); err != nil {
			return nil, db.wrap(err, "scan safety alert")
		}
		a.CreatedAt, a.AcknowledgedAt = fromUnix(created), fromUnix(acked)
		out = append(out, a)
	}
	return out, db.wrap(rows.Err(), "select safety alerts")
}

// SafetyAlert returns one alert or ENOTFOUND.
func (db *DB) SafetyAlert(ctx context.Context, id string) (eyelevel.SafetyAlert, error) {
	var a eyelevel.SafetyAlert
	var created, acked int64
	err := db.rq(ctx).QueryRowContext(ctx, alertSelect+` WHERE s.id = $1`, id).Scan(&a.ID, &a.ClientID, &a.ClientUsername, &a.Source, &a.ResponseID, &created, &acked, &a.AcknowledgedBy, &a.Sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return a, eyelevel.ErrNotFound()
	}
	a.CreatedAt, a.AcknowledgedAt = fromUnix(created), fromUnix(acked)
	return a, db.wrap(err, "select safety alert")
}

// AcknowledgeSafetyAlert records that a counselor has seen an alert.
func (db *DB) AcknowledgeSafetyAlert(ctx context.Context, id string, by eyelevel.UserID, at time.Time) error {
	_, err := db.wq(ctx).ExecContext(ctx, `UPDATE safety_alerts SET acknowledged_at = $2, acknowledged_by = $3 WHERE id = $1 AND acknowledged_at = 0`, id, unix(at), string(by))
	return db.wrap(err, "update safety alert")
}

// clientsOf selects the ids of counselor $1's clients as of $2, the start of
// the care window: those with a session with them that ends after it (or is
// upcoming) — booked, or cancelled by the counselor (an absence must not cut
// the client off: they can still write and be handed over) — and those who
// accepted a hand-over to them after it. It is the one home of "their
// client": IsClientOf, the safety alerts a counselor sees and the caseload
// all use it; counselorsOf is the same rule from the client's side.
const clientsOf = `SELECT client_id FROM appointments WHERE counselor_id = $1 AND (status = 'booked' OR cancelled_by = $1) AND end_at > $2
	UNION SELECT client_id FROM handovers WHERE to_counselor_id = $1 AND status = 'accepted' AND decided_at > $2`

// counselorsOf is clientsOf turned around: SQL selecting the ids of the
// counselors of client (an SQL expression: a parameter or an outer
// column) as of since, by exactly the same rule. ClientCounselors and
// the escalation of alerts of clients without a counselor use it; change
// the two together.
func counselorsOf(client, since string) string {
	return `SELECT counselor_id FROM appointments WHERE client_id = ` + client + ` AND (status = 'booked' OR cancelled_by = counselor_id) AND end_at > ` + since + `
	UNION SELECT to_counselor_id FROM handovers WHERE client_id = ` + client + ` AND status = 'accepted' AND decided_at > ` + since
}

// IsClientOf reports whether the client is the counselor's client as of
// since (see clientsOf): a session with them ending after since, booked or
// cancelled by the counselor, or a hand-over to them accepted after since.
func (db *DB) IsClientOf(ctx context.Context, counselor, client eyelevel.UserID, since time.Time) (bool, error) {
	var n int
	err := db.rq(ctx).QueryRowContext(ctx, `SELECT count(*) FROM (`+clientsOf+`) c WHERE c.client_id = $3`, string(counselor), unix(since), string(client)).Scan(&n)
	return n > 0, db.wrap(err, "select clients")
}
