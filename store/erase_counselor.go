package store

import (
	"context"
	"time"

	"eyelevel"
)

// EraseCounselor empties counselor id's account in the transaction ctx
// carries, after the caller cancelled their upcoming sessions: their
// logins, links, calendar feed, hours, languages, absences and proposed
// handovers, second factors, passkeys and the account's data key are
// deleted, outbox mails to email too; the users row gets
// username (a random placeholder) and passwordHash (of a password nobody
// knows) and loses its email and recovery code; the profile loses its
// text. The rows stay so that clients' past appointments, messages and
// notes keep their other side (the display name stays for that); the
// account is listed in deleted_accounts, which lists leave out.
func (db *DB) EraseCounselor(ctx context.Context, id eyelevel.UserID, username, passwordHash, email string, now time.Time) error {
	q := db.wq(ctx)
	uid := string(id)
	if email != "" {
		if _, err := db.eraseOutbox(ctx, email); err != nil {
			return err
		}
	}
	steps := []struct {
		what, stmt string
		args       []any
	}{
		{"sessions", `DELETE FROM sessions WHERE user_id = $1`, []any{uid}},
		{"account tokens", `DELETE FROM account_tokens WHERE user_id = $1`, []any{uid}},
		{"calendar feed", `DELETE FROM calendar_feeds WHERE counselor_id = $1`, []any{uid}},
		{"weekly hours", `DELETE FROM availability_weekly WHERE counselor_id = $1`, []any{uid}},
		{"exceptions", `DELETE FROM availability_exceptions WHERE counselor_id = $1`, []any{uid}},
		{"languages", `DELETE FROM counselor_languages WHERE counselor_id = $1`, []any{uid}},
		{"absences", `DELETE FROM absences WHERE counselor_id = $1`, []any{uid}},
		{"handovers", `DELETE FROM handovers WHERE status = 'proposed' AND (from_counselor_id = $1 OR to_counselor_id = $1)`, []any{uid}},
		{"second factor", `DELETE FROM second_factors WHERE user_id = $1`, []any{uid}},
		{"recovery codes", `DELETE FROM second_factor_codes WHERE user_id = $1`, []any{uid}},
		{"passkeys", `DELETE FROM passkeys WHERE user_id = $1`, []any{uid}},
		{"passkey challenges", `DELETE FROM passkey_challenges WHERE user_id = $1`, []any{uid}},
		{"consents", `DELETE FROM consents WHERE user_id = $1`, []any{uid}},
		// The account's own data key sealed its address and TOTP secret;
		// clients' notes and messages are under the clients' keys.
		{"data key", `DELETE FROM client_keys WHERE client_id = $1`, []any{uid}},
		{"profile", `UPDATE counselors SET bio = '', qualifications = '' WHERE user_id = $1`, []any{uid}},
		{"account", `UPDATE users SET username = $2, username_key = $3, password_hash = $4, email = '', email_sealed = $5, email_hash = '', email_verified = 0, recovery_hash = '', notify_off = '' WHERE id = $1`,
			[]any{uid, username, UsernameKey(username), passwordHash, []byte{}}},
		{"tombstone", `INSERT INTO deleted_accounts (user_id, deleted_at) VALUES ($1, $2)`, []any{uid, unix(now)}},
	}
	for _, s := range steps {
		if _, err := q.ExecContext(ctx, s.stmt, s.args...); err != nil {
			return db.wrap(err, "erase counselor: "+s.what)
		}
	}
	return nil
}

// Deleted reports whether user's account was deleted by an admin (see
// EraseCounselor).
func (db *DB) Deleted(ctx context.Context, user eyelevel.UserID) (bool, error) {
	var n int
	err := db.rq(ctx).QueryRowContext(ctx, `SELECT count(*) FROM deleted_accounts WHERE user_id = $1`, string(user)).Scan(&n)
	return n > 0, db.wrap(err, "select deleted account")
}
