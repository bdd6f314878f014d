package store

import (
	"context"
	"strings"
)

// eraseOutbox deletes the outbox mails addressed to email, or whose
// subject or body names any of needles (a username, an account id in a
// link), and returns how many. Mails are sealed (encrypt_outbox.go), so
// SQL cannot search them: every row still holding a sealed part is opened
// here. The outbox keeps a month of mail at most, and a sent mail only its
// head, so this reads little. Rows that do not open (another master key)
// are left alone rather than failing the deletion.
func (db *DB) eraseOutbox(ctx context.Context, email string, needles ...string) (int64, error) {
	rows, err := db.wq(ctx).QueryContext(ctx, `SELECT id, to_addr, subject, body_text, body_html, ics, head_sealed, body_sealed FROM outbox`)
	if err != nil {
		return 0, db.wrap(err, "select outbox to erase")
	}
	var doomed []string
	for rows.Next() {
		var m OutboxMail
		var head, body []byte
		if err := rows.Scan(&m.ID, &m.To, &m.Subject, &m.Text, &m.HTML, &m.ICS, &head, &body); err != nil {
			rows.Close()
			return 0, db.wrap(err, "scan outbox to erase")
		}
		if db.openMail(&m, head, body) != nil {
			continue
		}
		if mailConcerns(m, email, needles) {
			doomed = append(doomed, m.ID)
		}
	}
	if err := rows.Close(); err != nil {
		return 0, db.wrap(err, "select outbox to erase")
	}
	if err := rows.Err(); err != nil {
		return 0, db.wrap(err, "select outbox to erase")
	}
	for _, id := range doomed {
		if _, err := db.wq(ctx).ExecContext(ctx, `DELETE FROM outbox WHERE id = $1`, id); err != nil {
			return 0, db.wrap(err, "erase outbox")
		}
	}
	return int64(len(doomed)), nil
}

func mailConcerns(m OutboxMail, email string, needles []string) bool {
	if email != "" && strings.EqualFold(m.To, email) {
		return true
	}
	for _, n := range needles {
		if n == "" {
			continue
		}
		for _, f := range []string{m.Subject, m.Text, m.HTML, m.ICS} {
			if strings.Contains(f, n) {
				return true
			}
		}
	}
	return false
}
