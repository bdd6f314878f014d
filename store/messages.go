package store

import (
	"context"
	"time"

	"eyelevel"
)

// Message is one secure message between a client and a staff member; the
// text is sealed with the client's data key.
type Message struct {
	ID        string
	ClientID  eyelevel.UserID
	StaffID   eyelevel.UserID
	SenderID  eyelevel.UserID
	Sealed    []byte
	CreatedAt time.Time
	ReadAt    time.Time
}

// CreateMessage stores m.
func (db *DB) CreateMessage(ctx context.Context, m Message) error {
	_, err := db.wq(ctx).ExecContext(ctx, `INSERT INTO messages (id, client_id, staff_id, sender_id, sealed, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		m.ID, m.ClientID, m.StaffID, m.SenderID, m.Sealed, unix(m.CreatedAt))
	return db.wrap(err, "insert message")
}

// Messages returns the conversation of client and staff, oldest first.
func (db *DB) Messages(ctx context.Context, client, staff eyelevel.UserID) ([]Message, error) {
	rows, err := db.rq(ctx).QueryContext(ctx, `SELECT id, client_id, staff_id, sender_id, sealed, created_at, read_at FROM messages
		WHERE client_id = $1 AND staff_id = $2 ORDER BY created_at, id`, client, staff)
	if err != nil {
		return nil, db.wrap(err, "select messages")
	}
	defer rows.Close()
	var out []Message
	for rows.Next() {
		var m Message
		var created, read int64
		if err := rows.Scan(&m.ID, &m.ClientID, &m.StaffID, &m.SenderID, &m.Sealed, &created, &read); err != nil {
			return nil, db.wrap(err, "scan message")
		}
		m.CreatedAt, m.ReadAt = fromUnix(created), fromUnix(read)
		out = append(out, m)
	}
	return out, db.wrap(rows.Err(), "select messages")
}
