package store

import (
	"context"
	"slices"
	"time"

	"eyelevel"
)

// Conversation is one pair's messages in summary: who, when last, and how
// many the reader has not read.
type Conversation struct {
	ClientID       eyelevel.UserID
	ClientUsername string
	StaffID        eyelevel.UserID
	StaffRole      eyelevel.Role
	StaffName      string // a counselor's display name; "" for others
	LastAt         time.Time
	Unread         int // messages to the reader not yet read
}

// Conversations lists the conversations user takes part in (on either
// side), the most recent first, at most limit.
func (db *DB) Conversations(ctx context.Context, user eyelevel.UserID, limit int) ([]Conversation, error) {
	rows, err := db.rq(ctx).QueryContext(ctx, `SELECT m.client_id, cu.username, m.staff_id, su.role, COALESCE(c.display_name, ''),
		max(m.created_at), sum(CASE WHEN m.sender_id <> $1 AND m.read_at = 0 THEN 1 ELSE 0 END)
		FROM messages m JOIN users cu ON cu.id = m.client_id JOIN users su ON su.id = m.staff_id LEFT JOIN counselors c ON c.user_id = m.staff_id
		WHERE m.client_id = $2 OR m.staff_id = $3
		GROUP BY m.client_id, cu.username, m.staff_id, su.role, c.display_name
		ORDER BY max(m.created_at) DESC, m.client_id, m.staff_id LIMIT $4`, string(user), string(user), string(user), limit)
	if err != nil {
		return nil, db.wrap(err, "select conversations")
	}
	defer rows.Close()
	var out []Conversation
	for rows.Next() {
		var c Conversation
		var last int64
		if err := rows.Scan(&c.ClientID, &c.ClientUsername, &c.StaffID, &c.StaffRole, &c.StaffName, &last, &c.Unread); err != nil {
			return nil, db.wrap(err, "scan conversation")
		}
		c.LastAt = fromUnix(last)
		out = append(out, c)
	}
	return out, db.wrap(rows.Err(), "select conversations")
}

// RecentMessages returns the last limit messages of the conversation of
// client and staff, oldest first, and whether older ones exist.
func (db *DB) RecentMessages(ctx context.Context, client, staff eyelevel.UserID, limit int) ([]Message, bool, error) {
	rows, err := db.rq(ctx).QueryContext(ctx, `SELECT id, client_id, staff_id, sender_id, sealed, created_at, read_at FROM messages
		WHERE client_id = $1 AND staff_id = $2 ORDER BY created_at DESC, id DESC LIMIT $3`, client, staff, limit+1)
	if err != nil {
		return nil, false, db.wrap(err, "select messages")
	}
	defer rows.Close()
	var out []Message
	for rows.Next() {
		var m Message
		var created, read int64
		if err := rows.Scan(&m.ID, &m.ClientID, &m.StaffID, &m.SenderID, &m.Sealed, &created, &read); err != nil {
			return nil, false, db.wrap(err, "scan message")
		}
		m.CreatedAt, m.ReadAt = fromUnix(created), fromUnix(read)
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, false, db.wrap(err, "select messages")
	}
	more := len(out) > limit
	if more {
		out = out[:limit]
	}
	slices.Reverse(out)
	return out, more, nil
}

// MarkMessagesRead marks the messages of the conversation that reader
// received as read at at.
func (db *DB) MarkMessagesRead(ctx context.Context, client, staff, reader eyelevel.UserID, at time.Time) error {
	_, err := db.wq(ctx).ExecContext(ctx, `UPDATE messages SET read_at = $1 WHERE client_id = $2 AND staff_id = $3 AND sender_id <> $4 AND read_at = 0`,
		unix(at), string(client), string(staff), string(reader))
	return db.wrap(err, "update messages read")
}

// UnreadMessages counts the messages user received and has not read.
func (db *DB) UnreadMessages(ctx context.Context, user eyelevel.UserID) (int, error) {
	var n int
	err := db.rq(ctx).QueryRowContext(ctx, `SELECT count(*) FROM messages WHERE (client_id = $1 OR staff_id = $2) AND sender_id <> $3 AND read_at = 0`,
		string(user), string(user), string(user)).Scan(&n)
	return n, db.wrap(err, "count unread messages")
}
