package store

import (
	"context"
	"time"
)

// ClaimMail takes m (as DueMail returned it) for this worker until until:
// it moves next_at there, but only while next_at is still what m saw, so
// of two workers that saw the same row only one claims it. A worker that
// dies with a claim leaves the mail to be tried again after until.
func (db *DB) ClaimMail(ctx context.Context, m OutboxMail, until time.Time) (bool, error) {
	res, err := db.wq(ctx).ExecContext(ctx, `UPDATE outbox SET next_at = $3
		WHERE id = $1 AND next_at = $2 AND sent_at = 0 AND failed_at = 0`, m.ID, unix(m.NextAt), unix(until))
	if err != nil {
		return false, db.wrap(err, "claim mail")
	}
	n, err := res.RowsAffected()
	return n == 1, db.wrap(err, "claim mail")
}

// TroubledMail returns the unsent mails that failed at least once (still
// retrying or given up), newest first, at most limit: the admin page.
func (db *DB) TroubledMail(ctx context.Context, limit int) ([]OutboxMail, error) {
	return db.queryOutbox(ctx, `SELECT `+outboxColumns+` FROM outbox
		WHERE sent_at = 0 AND (failed_at > 0 OR attempts > 0) ORDER BY created_at DESC, id DESC LIMIT $1`, limit)
}

// RetryMail makes the given-up mail id due again at at, with another day
// of retries. It reports false when id is not a given-up mail, or its
// body is gone (see PruneOutbox).
func (db *DB) RetryMail(ctx context.Context, id string, at time.Time) (bool, error) {
	res, err := db.wq(ctx).ExecContext(ctx, `UPDATE outbox SET failed_at = 0, next_at = $2, retried_at = $2
		WHERE id = $1 AND sent_at = 0 AND failed_at > 0 AND (body_text <> '' OR body_html <> '' OR length(body_sealed) > 0)`, id, unix(at))
	if err != nil {
		return false, db.wrap(err, "retry mail")
	}
	n, err := res.RowsAffected()
	return n == 1, db.wrap(err, "retry mail")
}
