package store

import (
	"context"
	"time"
)

// OutboxMail is one rendered mail waiting in (or done with) the outbox.
type OutboxMail struct {
	ID        string
	Kind      string // what the mail is about (booking, reminder, …), for logs and the admin page
	To        string
	Language  string
	Subject   string
	Text      string
	HTML      string
	ICS       string
	CreatedAt time.Time
	NextAt    time.Time // when the worker tries (again)
	Attempts  int
	SentAt    time.Time
	FailedAt  time.Time // given up
	LastError string
	// RetriedAt is when an admin last asked to try the mail again after
	// the worker gave up; the day of retries counts from it.
	RetriedAt time.Time
}

// QueueMail adds m to the outbox; call it inside the transaction of the
// change the mail is about, so both happen or neither.
// The mail is stored sealed (see SetOutboxKey); EUNAVAILABLE without a
// key.
func (db *DB) QueueMail(ctx context.Context, m OutboxMail) error {
	head, body, err := db.sealMail(m)
	if err != nil {
		return err
	}
	_, err = db.wq(ctx).ExecContext(ctx, `INSERT INTO outbox (id, kind, to_addr, language, subject, body_text, body_html, ics, created_at, next_at, head_sealed, body_sealed)
		VALUES ($1, $2, '', $3, '', '', '', '', $4, $5, $6, $7)`,
		m.ID, m.Kind, m.Language, unix(m.CreatedAt), unix(m.NextAt), head, body)
	return db.wrap(err, "queue mail")
}

const outboxColumns = `id, kind, to_addr, language, subject, body_text, body_html, ics, created_at, next_at, attempts, sent_at, failed_at, last_error, retried_at, head_sealed, body_sealed`

func (db *DB) scanOutbox(row interface{ Scan(...any) error }) (OutboxMail, error) {
	var m OutboxMail
	var created, next, sent, failed, retried int64
	var head, body []byte
	err := row.Scan(&m.ID, &m.Kind, &m.To, &m.Language, &m.Subject, &m.Text, &m.HTML, &m.ICS, &created, &next, &m.Attempts, &sent, &failed, &m.LastError, &retried, &head, &body)
	m.CreatedAt, m.NextAt, m.SentAt, m.FailedAt = fromUnix(created), fromUnix(next), fromUnix(sent), fromUnix(failed)
	m.RetriedAt = fromUnix(retried)
	if err != nil {
		return m, err
	}
	return m, db.openMail(&m, head, body)
}

// DueMail returns up to limit unsent mails whose time has come, oldest first.
func (db *DB) DueMail(ctx context.Context, now time.Time, limit int) ([]OutboxMail, error) {
	return db.queryOutbox(ctx, `SELECT `+outboxColumns+` FROM outbox
		WHERE sent_at = 0 AND failed_at = 0 AND next_at <= $1 ORDER BY next_at, id LIMIT $2`, unix(now), limit)
}

// Outbox returns mails of the outbox for tests and the admin page: all of
// kind ("" for any), newest first, at most limit.
func (db *DB) Outbox(ctx context.Context, kind string, limit int) ([]OutboxMail, error) {
	return db.queryOutbox(ctx, `SELECT `+outboxColumns+` FROM outbox
		WHERE ($1 = '' OR kind = $1) ORDER BY created_at DESC, id DESC LIMIT $2`, kind, limit)
}

func (db *DB) queryOutbox(ctx context.Context, q string, args ...any) ([]OutboxMail, error) {
	rows, err := db.rq(ctx).QueryContext(ctx, q, args...)
	if err != nil {
		return nil, db.wrap(err, "select outbox")
	}
	defer rows.Close()
	var out []OutboxMail
	for rows.Next() {
		m, err := db.scanOutbox(rows)
		if err != nil {
			return nil, db.wrap(err, "scan outbox")
		}
		out = append(out, m)
	}
	return out, db.wrap(rows.Err(), "select outbox")
}

// MarkMailSent records that id was delivered and forgets its body, whose
// links are secrets. It reports false when the mail was already marked
// (another worker sent it).
func (db *DB) MarkMailSent(ctx context.Context, id string, at time.Time) (bool, error) {
	res, err := db.wq(ctx).ExecContext(ctx, `UPDATE outbox SET sent_at = $2, attempts = attempts + 1, body_text = '', body_html = '', ics = '', body_sealed = $3, last_error = ''
		WHERE id = $1 AND sent_at = 0`, id, unix(at), []byte{})
	if err != nil {
		return false, db.wrap(err, "mark mail sent")
	}
	n, err := res.RowsAffected()
	return n == 1, db.wrap(err, "mark mail sent")
}

// MarkMailRetry records a failed attempt and when to try again; with
// giveUp the mail is not tried again and shows as failed to the admin.
func (db *DB) MarkMailRetry(ctx context.Context, id string, next time.Time, errText string, giveUp bool, at time.Time) error {
	failed := int64(0)
	if giveUp {
		failed = unix(at)
	}
	_, err := db.wq(ctx).ExecContext(ctx, `UPDATE outbox SET attempts = attempts + 1, next_at = $2, last_error = $3, failed_at = $4
		WHERE id = $1 AND sent_at = 0`, id, unix(next), errText, failed)
	return db.wrap(err, "mark mail retry")
}

// OutboxStats counts the mails waiting, sent since since, and given up on.
type OutboxStats struct{ Waiting, Sent, Failed int }

// OutboxStats counts the outbox for the admin page.
func (db *DB) OutboxStats(ctx context.Context, since time.Time) (OutboxStats, error) {
	var s OutboxStats
	err := db.rq(ctx).QueryRowContext(ctx, `SELECT
		COALESCE(SUM(CASE WHEN sent_at = 0 AND failed_at = 0 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN sent_at >= $1 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN failed_at > 0 THEN 1 ELSE 0 END), 0) FROM outbox`, unix(since)).Scan(&s.Waiting, &s.Sent, &s.Failed)
	return s, db.wrap(err, "count outbox")
}
