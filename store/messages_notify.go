package store

import (
	"context"
	"time"

	"eyelevel"
)

// PendingMail is a conversation with unread messages to Recipient that
// nobody has mailed them about yet.
type PendingMail struct {
	ClientID, StaffID, Recipient eyelevel.UserID
}

// recipientOf is the other side of a message's sender, in SQL.
const recipientOf = `CASE WHEN m.sender_id = m.client_id THEN m.staff_id ELSE m.client_id END`

// PendingMessageMails lists conversations with unread, unmailed messages
// whose recipient has not been active since activeBefore and got no
// message mail for the conversation since mailedAfter; at most limit.
func (db *DB) PendingMessageMails(ctx context.Context, activeBefore, mailedAfter time.Time, limit int) ([]PendingMail, error) {
	rows, err := db.rq(ctx).QueryContext(ctx, `SELECT DISTINCT m.client_id, m.staff_id, u.id FROM messages m JOIN users u ON u.id = `+recipientOf+`
		WHERE m.read_at = 0 AND m.mailed = 0 AND u.last_active_at < $1
		AND NOT EXISTS (SELECT 1 FROM message_mails n WHERE n.client_id = m.client_id AND n.staff_id = m.staff_id AND n.recipient_id = u.id AND n.mailed_at > $2)
		ORDER BY m.client_id, m.staff_id LIMIT $3`, unix(activeBefore), unix(mailedAfter), limit)
	if err != nil {
		return nil, db.wrap(err, "select pending message mails")
	}
	defer rows.Close()
	var out []PendingMail
	for rows.Next() {
		var p PendingMail
		if err := rows.Scan(&p.ClientID, &p.StaffID, &p.Recipient); err != nil {
			return nil, db.wrap(err, "scan pending message mail")
		}
		out = append(out, p)
	}
	return out, db.wrap(rows.Err(), "select pending message mails")
}

// ClaimMessageMail records a message mail to recipient about the
// conversation at now, unless one was recorded after mailedAfter; it
// reports whether it did. Concurrent callers cannot both succeed.
func (db *DB) ClaimMessageMail(ctx context.Context, client, staff, recipient eyelevel.UserID, now, mailedAfter time.Time) (bool, error) {
	res, err := db.wq(ctx).ExecContext(ctx, `INSERT INTO message_mails (client_id, staff_id, recipient_id, mailed_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (client_id, staff_id, recipient_id) DO UPDATE SET mailed_at = excluded.mailed_at WHERE message_mails.mailed_at <= $5`,
		string(client), string(staff), string(recipient), unix(now), unix(mailedAfter))
	if err != nil {
		return false, db.wrap(err, "claim message mail")
	}
	n, err := res.RowsAffected()
	return n == 1, db.wrap(err, "claim message mail")
}

// MarkMessagesMailed marks the unread messages to recipient in the
// conversation as dealt with by mail.
func (db *DB) MarkMessagesMailed(ctx context.Context, client, staff, recipient eyelevel.UserID) error {
	_, err := db.wq(ctx).ExecContext(ctx, `UPDATE messages SET mailed = 1 WHERE client_id = $1 AND staff_id = $2 AND sender_id <> $3 AND read_at = 0 AND mailed = 0`,
		string(client), string(staff), string(recipient))
	return db.wrap(err, "update messages mailed")
}

// HasUnmailedMessages reports whether the conversation holds unread
// messages to recipient that nobody mailed them about yet.
func (db *DB) HasUnmailedMessages(ctx context.Context, client, staff, recipient eyelevel.UserID) (bool, error) {
	var n int
	err := db.rq(ctx).QueryRowContext(ctx, `SELECT count(*) FROM messages WHERE client_id = $1 AND staff_id = $2 AND sender_id <> $3 AND read_at = 0 AND mailed = 0`,
		string(client), string(staff), string(recipient)).Scan(&n)
	return n > 0, db.wrap(err, "select unmailed messages")
}

// TouchUser records that user was active at at.
func (db *DB) TouchUser(ctx context.Context, user eyelevel.UserID, at time.Time) error {
	_, err := db.wq(ctx).ExecContext(ctx, `UPDATE users SET last_active_at = $1 WHERE id = $2`, unix(at), string(user))
	return db.wrap(err, "update user activity")
}
