package store

import (
	"context"
	"time"

	"eyelevel"
)

// WaitlistEntry is a client waiting for capacity in a language.
type WaitlistEntry struct {
	ClientID   eyelevel.UserID
	Language   string
	Gender     eyelevel.Gender // "" for any
	CreatedAt  time.Time
	NotifiedAt time.Time // zero until capacity appeared
}

// AddToWaitlist adds or renews (un-notifies) the client's entry for a language.
func (db *DB) AddToWaitlist(ctx context.Context, e WaitlistEntry) error {
	return db.InTx(ctx, func(ctx context.Context) error {
		if _, err := db.wq(ctx).ExecContext(ctx, `DELETE FROM waitlist WHERE client_id = $1 AND language = $2`, string(e.ClientID), e.Language); err != nil {
			return db.wrap(err, "delete waitlist")
		}
		_, err := db.wq(ctx).ExecContext(ctx, `INSERT INTO waitlist (client_id, language, gender, created_at, notified_at) VALUES ($1, $2, $3, $4, 0)`,
			string(e.ClientID), e.Language, string(e.Gender), unix(e.CreatedAt))
		return db.wrap(err, "insert waitlist")
	})
}

// RemoveFromWaitlist deletes the client's entry for a language; removing a
// missing entry is no error.
func (db *DB) RemoveFromWaitlist(ctx context.Context, client eyelevel.UserID, language string) error {
	_, err := db.wq(ctx).ExecContext(ctx, `DELETE FROM waitlist WHERE client_id = $1 AND language = $2`, string(client), language)
	return db.wrap(err, "delete waitlist")
}

// Waitlist returns one client's entries, or with client "" every entry not
// yet notified (for the job that looks for capacity).
func (db *DB) Waitlist(ctx context.Context, client eyelevel.UserID) ([]WaitlistEntry, error) {
	q, args := `SELECT client_id, language, gender, created_at, notified_at FROM waitlist WHERE client_id = $1 ORDER BY created_at`, []any{string(client)}
	if client == "" {
		q, args = `SELECT client_id, language, gender, created_at, notified_at FROM waitlist WHERE notified_at = 0 ORDER BY language, created_at LIMIT 10000`, nil
	}
	rows, err := db.rq(ctx).QueryContext(ctx, q, args...)
	if err != nil {
		return nil, db.wrap(err, "select waitlist")
	}
	defer rows.Close()
	var out []WaitlistEntry
	for rows.Next() {
		var e WaitlistEntry
		var created, notified int64
		if err := rows.Scan(&e.ClientID, &e.Language, &e.Gender, &created, &notified); err != nil {
			return nil, db.wrap(err, "scan waitlist")
		}
		e.CreatedAt, e.NotifiedAt = fromUnix(created), fromUnix(notified)
		out = append(out, e)
	}
	return out, db.wrap(rows.Err(), "select waitlist")
}

// MarkWaitlistNotified records that the client was told about capacity.
func (db *DB) MarkWaitlistNotified(ctx context.Context, client eyelevel.UserID, language string, at time.Time) error {
	_, err := db.wq(ctx).ExecContext(ctx, `UPDATE waitlist SET notified_at = $3 WHERE client_id = $1 AND language = $2`, string(client), language, unix(at))
	return db.wrap(err, "update waitlist")
}
