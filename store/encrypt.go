package store

import (
	"context"

	"eyelevel"
)

// Rows written before encryption at rest (migration 0012) hold health data
// and addresses in plain text. service.EncryptLegacy reads them here a
// batch at a time and writes them back sealed, emptying the plain columns;
// each Legacy* query finds only rows not yet sealed, so it is idempotent
// and resumable.

// LegacyResponses returns up to limit responses still in plain text.
func (db *DB) LegacyResponses(ctx context.Context, limit int) ([]eyelevel.Response, error) {
	return db.queryResponses(ctx, responseSelect+` WHERE answers <> '' ORDER BY id LIMIT $1`, limit)
}

// SealResponse replaces response id's plain answers, score, band and
// safety flag by sealed.
func (db *DB) SealResponse(ctx context.Context, id string, sealed []byte) error {
	_, err := db.wq(ctx).ExecContext(ctx, `UPDATE responses SET sealed = $2, answers = '', score = 0, band = '', safety = $3 WHERE id = $1`, id, sealed, false)
	return db.wrap(err, "seal response")
}

// LegacySafetyAlerts returns up to limit alerts whose source is still in
// plain text.
func (db *DB) LegacySafetyAlerts(ctx context.Context, limit int) ([]eyelevel.SafetyAlert, error) {
	rows, err := db.rq(ctx).QueryContext(ctx, alertSelect+` WHERE s.source <> '' ORDER BY s.id LIMIT $1`, limit)
	if err != nil {
		return nil, db.wrap(err, "select safety alerts")
	}
	return db.scanAlerts(rows)
}

// SealSafetyAlert replaces alert id's plain source and response by sealed.
func (db *DB) SealSafetyAlert(ctx context.Context, id string, sealed []byte) error {
	_, err := db.wq(ctx).ExecContext(ctx, `UPDATE safety_alerts SET sealed = $2, source = '', response_id = '' WHERE id = $1`, id, sealed)
	return db.wrap(err, "seal safety alert")
}

// LegacyRatings returns up to limit ratings whose comment is still in
// plain text.
func (db *DB) LegacyRatings(ctx context.Context, limit int) ([]eyelevel.Rating, error) {
	rows, err := db.rq(ctx).QueryContext(ctx, `SELECT appointment_id, client_id, comment FROM ratings WHERE comment <> '' ORDER BY appointment_id LIMIT $1`, limit)
	if err != nil {
		return nil, db.wrap(err, "select ratings")
	}
	defer rows.Close()
	var out []eyelevel.Rating
	for rows.Next() {
		var r eyelevel.Rating
		if err := rows.Scan(&r.AppointmentID, &r.ClientID, &r.Comment); err != nil {
			return nil, db.wrap(err, "scan rating")
		}
		out = append(out, r)
	}
	return out, db.wrap(rows.Err(), "select ratings")
}

// SealRatingComment replaces the plain comment of the rating of session id
// by sealed.
func (db *DB) SealRatingComment(ctx context.Context, id eyelevel.AppointmentID, sealed []byte) error {
	_, err := db.wq(ctx).ExecContext(ctx, `UPDATE ratings SET comment_sealed = $2, comment = '' WHERE appointment_id = $1`, string(id), sealed)
	return db.wrap(err, "seal rating comment")
}

// LegacyEmailUsers returns up to limit users whose address is still in
// plain text.
func (db *DB) LegacyEmailUsers(ctx context.Context, limit int) ([]eyelevel.User, error) {
	rows, err := db.rq(ctx).QueryContext(ctx, `SELECT `+userColumns+` FROM users WHERE email <> '' ORDER BY id LIMIT $1`, limit)
	if err != nil {
		return nil, db.wrap(err, "select users")
	}
	defer rows.Close()
	var out []eyelevel.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, db.wrap(err, "scan user")
		}
		out = append(out, u)
	}
	return out, db.wrap(rows.Err(), "select users")
}

// SealUserEmail replaces user's plain address by sealed and its lookup
// hash, keeping whether it is verified.
func (db *DB) SealUserEmail(ctx context.Context, user eyelevel.UserID, sealed []byte, hash string) error {
	return db.updateUser(ctx, `email = '', email_sealed = $2, email_hash = $3`, user, sealed, hash)
}

// LegacyTokenEmails returns up to limit verification links whose address
// is still in plain text.
func (db *DB) LegacyTokenEmails(ctx context.Context, limit int) ([]AccountToken, error) {
	rows, err := db.rq(ctx).QueryContext(ctx, `SELECT token_hash, user_id, email FROM account_tokens WHERE email <> '' ORDER BY token_hash LIMIT $1`, limit)
	if err != nil {
		return nil, db.wrap(err, "select account tokens")
	}
	defer rows.Close()
	var out []AccountToken
	for rows.Next() {
		var t AccountToken
		if err := rows.Scan(&t.TokenHash, &t.UserID, &t.Email); err != nil {
			return nil, db.wrap(err, "scan account token")
		}
		out = append(out, t)
	}
	return out, db.wrap(rows.Err(), "select account tokens")
}

// SealTokenEmail replaces a link's plain address by sealed.
func (db *DB) SealTokenEmail(ctx context.Context, tokenHash string, sealed []byte) error {
	_, err := db.wq(ctx).ExecContext(ctx, `UPDATE account_tokens SET email_sealed = $2, email = '' WHERE token_hash = $1`, tokenHash, sealed)
	return db.wrap(err, "seal account token")
}

// SealLegacyOutbox seals up to limit outbox mails still in plain text
// (with the key of SetOutboxKey) and reports how many it sealed.
func (db *DB) SealLegacyOutbox(ctx context.Context, limit int) (int, error) {
	ms, err := db.queryOutbox(ctx, `SELECT `+outboxColumns+` FROM outbox
		WHERE to_addr <> '' OR subject <> '' OR body_text <> '' OR body_html <> '' OR ics <> '' ORDER BY id LIMIT $1`, limit)
	if err != nil {
		return 0, err
	}
	for _, m := range ms {
		head, body, err := db.sealMail(m)
		if err != nil {
			return 0, err
		}
		if m.Text == "" && m.HTML == "" && m.ICS == "" {
			body = []byte{} // sent or erased: nothing to keep
		}
		if _, err := db.wq(ctx).ExecContext(ctx, `UPDATE outbox SET head_sealed = $2, body_sealed = $3, to_addr = '', subject = '', body_text = '', body_html = '', ics = '' WHERE id = $1`,
			m.ID, head, body); err != nil {
			return 0, db.wrap(err, "seal outbox")
		}
	}
	return len(ms), nil
}
