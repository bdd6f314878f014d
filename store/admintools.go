package store

import (
	"context"
	"strings"
	"time"

	"eyelevel"
)

// AccountHit is an account found by an admin's search: the pseudonym and
// bookkeeping, nothing else.
type AccountHit struct {
	ID         eyelevel.UserID
	Username   string
	Role       eyelevel.Role
	CreatedAt  time.Time
	LastActive time.Time
	// Deactivated is when a counselor was deactivated; zero otherwise.
	Deactivated time.Time
	// Enrolled: a confirmed TOTP secret or a passkey.
	Enrolled bool
}

// FindAccounts returns up to limit accounts whose username contains query
// (compared as UsernameKey: case and width do not matter), by username.
func (db *DB) FindAccounts(ctx context.Context, query string, limit int) ([]AccountHit, error) {
	esc := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(UsernameKey(query))
	rows, err := db.rq(ctx).QueryContext(ctx, `SELECT u.id, u.username, u.role, u.created_at, u.last_active_at, COALESCE(c.deactivated_at, 0),
		EXISTS (SELECT 1 FROM second_factors f WHERE f.user_id = u.id AND f.confirmed_at > 0) OR EXISTS (SELECT 1 FROM passkeys p WHERE p.user_id = u.id)
		FROM users u LEFT JOIN counselors c ON c.user_id = u.id
		WHERE u.username_key LIKE $1 ESCAPE '\' ORDER BY u.username_key, u.id LIMIT $2`, "%"+esc+"%", limit)
	if err != nil {
		return nil, db.wrap(err, "find accounts")
	}
	defer rows.Close()
	var out []AccountHit
	for rows.Next() {
		var h AccountHit
		var created, active, off int64
		if err := rows.Scan(&h.ID, &h.Username, &h.Role, &created, &active, &off, &h.Enrolled); err != nil {
			return nil, db.wrap(err, "scan account")
		}
		h.CreatedAt, h.LastActive, h.Deactivated = fromUnix(created), fromUnix(active), fromUnix(off)
		out = append(out, h)
	}
	return out, db.wrap(rows.Err(), "find accounts")
}

// SetCounselorDeactivated marks counselor id deactivated at at, or active
// again when at is zero. ENOTFOUND when id is no counselor. The directory
// of every instance reloads (counselor_version, migration 0006).
func (db *DB) SetCounselorDeactivated(ctx context.Context, id eyelevel.UserID, at time.Time) error {
	res, err := db.wq(ctx).ExecContext(ctx, `UPDATE counselors SET deactivated_at = $1 WHERE user_id = $2`, unixOrZero(at), string(id))
	if err != nil {
		return db.wrap(err, "deactivate counselor")
	}
	if n, err := res.RowsAffected(); err != nil {
		return db.wrap(err, "deactivate counselor")
	} else if n == 0 {
		return eyelevel.ErrNotFound()
	}
	return nil
}

// CounselorListed reports whether counselor id is one the directory lists
// (Directory): neither deactivated nor erased. Booking asks it inside its
// transaction when the directory it checked against was outdated.
func (db *DB) CounselorListed(ctx context.Context, id eyelevel.UserID) (bool, error) {
	var n int
	err := db.rq(ctx).QueryRowContext(ctx, `SELECT count(*) FROM counselors c WHERE c.user_id = $1 AND c.deactivated_at = 0
		AND NOT EXISTS (SELECT 1 FROM deleted_accounts d WHERE d.user_id = c.user_id)`, string(id)).Scan(&n)
	return n > 0, db.wrap(err, "select listed counselor")
}

// DeactivatedCounselors returns the deactivated counselors and since when.
func (db *DB) DeactivatedCounselors(ctx context.Context) (map[eyelevel.UserID]time.Time, error) {
	rows, err := db.rq(ctx).QueryContext(ctx, `SELECT user_id, deactivated_at FROM counselors WHERE deactivated_at > 0`)
	if err != nil {
		return nil, db.wrap(err, "select deactivated counselors")
	}
	defer rows.Close()
	out := map[eyelevel.UserID]time.Time{}
	for rows.Next() {
		var id eyelevel.UserID
		var at int64
		if err := rows.Scan(&id, &at); err != nil {
			return nil, db.wrap(err, "scan deactivated counselor")
		}
		out[id] = fromUnix(at)
	}
	return out, db.wrap(rows.Err(), "select deactivated counselors")
}

// SessionFact is one appointment reduced to what counting needs: whose,
// when, and how it went; no client, no content.
type SessionFact struct {
	CounselorID eyelevel.UserID
	Start, End  time.Time
	Cancelled   bool
	Attendance  string // "", "held", "no_show_client", "no_show_counselor"
}

// SessionFacts lists the appointments that start at or after from.
func (db *DB) SessionFacts(ctx context.Context, from time.Time) ([]SessionFact, error) {
	rows, err := db.rq(ctx).QueryContext(ctx, `SELECT counselor_id, start_at, end_at, status, attendance FROM appointments WHERE start_at >= $1`, unix(from))
	if err != nil {
		return nil, db.wrap(err, "select session facts")
	}
	defer rows.Close()
	var out []SessionFact
	for rows.Next() {
		var f SessionFact
		var start, end int64
		var status string
		if err := rows.Scan(&f.CounselorID, &start, &end, &status, &f.Attendance); err != nil {
			return nil, db.wrap(err, "scan session fact")
		}
		f.Start, f.End, f.Cancelled = fromUnix(start), fromUnix(end), status == "cancelled"
		out = append(out, f)
	}
	return out, db.wrap(rows.Err(), "select session facts")
}
