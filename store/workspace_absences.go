package store

import (
	"context"
	"time"

	"eyelevel"
)

// Absence is a counselor's absence: whole days From..To (inclusive,
// YYYY-MM-DD in the counselor's zone).
type Absence struct {
	ID          string
	CounselorID eyelevel.UserID
	From, To    string
	Message     string
	CreatedAt   time.Time
}

// bumpCounselorVersion makes every cached directory outdated: absences
// change slots as availability does (see directory.go).
func (db *DB) bumpCounselorVersion(ctx context.Context) error {
	_, err := db.wq(ctx).ExecContext(ctx, `UPDATE counselor_version SET version = version + 1 WHERE id = 1`)
	return db.wrap(err, "bump counselor version")
}

// CreateAbsence stores an absence under the counselor's lock and outdates
// the directory, in one transaction.
func (db *DB) CreateAbsence(ctx context.Context, a Absence) error {
	return db.InTx(ctx, func(ctx context.Context) error {
		if err := db.LockCounselor(ctx, a.CounselorID); err != nil {
			return err
		}
		if _, err := db.wq(ctx).ExecContext(ctx, `INSERT INTO absences (id, counselor_id, from_date, to_date, message, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			a.ID, string(a.CounselorID), a.From, a.To, a.Message, unix(a.CreatedAt)); err != nil {
			return db.wrap(err, "insert absence")
		}
		return db.bumpCounselorVersion(ctx)
	})
}

// DeleteAbsence removes an absence (ENOTFOUND if there is none) and
// outdates the directory, in one transaction.
func (db *DB) DeleteAbsence(ctx context.Context, counselor eyelevel.UserID, id string) error {
	return db.InTx(ctx, func(ctx context.Context) error {
		if err := db.LockCounselor(ctx, counselor); err != nil {
			return err
		}
		res, err := db.wq(ctx).ExecContext(ctx, `DELETE FROM absences WHERE id = $1 AND counselor_id = $2`, id, string(counselor))
		if err != nil {
			return db.wrap(err, "delete absence")
		}
		if n, err := res.RowsAffected(); err != nil {
			return db.wrap(err, "delete absence")
		} else if n == 0 {
			return eyelevel.ErrNotFound()
		}
		return db.bumpCounselorVersion(ctx)
	})
}

const absenceSelect = `SELECT id, counselor_id, from_date, to_date, message, created_at FROM absences`

// AbsenceByID returns one absence or ENOTFOUND.
func (db *DB) AbsenceByID(ctx context.Context, id string) (Absence, error) {
	as, err := db.queryAbsences(ctx, absenceSelect+` WHERE id = $1`, id)
	if err != nil {
		return Absence{}, err
	} else if len(as) == 0 {
		return Absence{}, eyelevel.ErrNotFound()
	}
	return as[0], nil
}

// Absences lists the counselor's absences that end on or after the date
// since (YYYY-MM-DD), by start date (at most 500).
func (db *DB) Absences(ctx context.Context, counselor eyelevel.UserID, since string) ([]Absence, error) {
	return db.queryAbsences(ctx, absenceSelect+` WHERE counselor_id = $1 AND to_date >= $2 ORDER BY from_date, id LIMIT 500`, string(counselor), since)
}

func (db *DB) queryAbsences(ctx context.Context, q string, args ...any) ([]Absence, error) {
	rows, err := db.rq(ctx).QueryContext(ctx, q, args...)
	if err != nil {
		return nil, db.wrap(err, "select absences")
	}
	defer rows.Close()
	var out []Absence
	for rows.Next() {
		var a Absence
		var at int64
		if err := rows.Scan(&a.ID, &a.CounselorID, &a.From, &a.To, &a.Message, &at); err != nil {
			return nil, db.wrap(err, "scan absence")
		}
		a.CreatedAt = fromUnix(at)
		out = append(out, a)
	}
	return out, db.wrap(rows.Err(), "select absences")
}

// absenceDays adds the absences of the counselors ids that end on or after
// fromDate to their schedules as whole days off, so that every slot
// computation (search, slots, booking) leaves those days out.
func (db *DB) absenceDays(ctx context.Context, ids []eyelevel.UserID, fromDate string, out map[eyelevel.UserID]eyelevel.Availability) error {
	args := make([]any, 0, len(ids)+1)
	for _, id := range ids {
		args = append(args, string(id))
	}
	args = append(args, fromDate)
	rows, err := db.rq(ctx).QueryContext(ctx, `SELECT counselor_id, from_date, to_date FROM absences WHERE counselor_id IN (`+db.placeholders(len(ids), 1)+`) AND to_date >= `+db.placeholders(1, len(ids)+1), args...)
	if err != nil {
		return db.wrap(err, "select absences")
	}
	defer rows.Close()
	for rows.Next() {
		var id eyelevel.UserID
		var from, to string
		if err := rows.Scan(&id, &from, &to); err != nil {
			return db.wrap(err, "scan absence")
		}
		f, err1 := time.Parse(time.DateOnly, max(from, fromDate))
		t, err2 := time.Parse(time.DateOnly, to)
		if err1 != nil || err2 != nil {
			continue // the service writes only valid dates
		}
		av := out[id]
		for d := f; !d.After(t); d = d.AddDate(0, 0, 1) {
			av.Exceptions = append(av.Exceptions, eyelevel.Exception{Date: d.Format(time.DateOnly)})
		}
		out[id] = av
	}
	return db.wrap(rows.Err(), "select absences")
}

// Handover is a counselor's proposal of a colleague to one of their clients.
type Handover struct {
	ID              string
	ClientID        eyelevel.UserID
	ClientUsername  string
	FromCounselorID eyelevel.UserID
	FromName        string
	ToCounselorID   eyelevel.UserID
	ToName          string
	SealedNote      []byte
	Status          string // proposed, accepted, declined
	CreatedAt       time.Time
	DecidedAt       time.Time
}

// Hand-over states.
const (
	HandoverProposed = "proposed"
	HandoverAccepted = "accepted"
	HandoverDeclined = "declined"
)

// CreateHandover stores a proposal.
func (db *DB) CreateHandover(ctx context.Context, h Handover) error {
	_, err := db.wq(ctx).ExecContext(ctx, `INSERT INTO handovers (id, client_id, from_counselor_id, to_counselor_id, sealed_note, status, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		h.ID, string(h.ClientID), string(h.FromCounselorID), string(h.ToCounselorID), h.SealedNote, HandoverProposed, unix(h.CreatedAt))
	return db.wrap(err, "insert handover")
}

// DecideHandover sets a proposed hand-over's status; it reports false when
// it was no longer proposed.
func (db *DB) DecideHandover(ctx context.Context, id, status string, at time.Time) (bool, error) {
	res, err := db.wq(ctx).ExecContext(ctx, `UPDATE handovers SET status = $2, decided_at = $3 WHERE id = $1 AND status = 'proposed'`, id, status, unix(at))
	if err != nil {
		return false, db.wrap(err, "update handover")
	}
	n, err := res.RowsAffected()
	return n == 1, db.wrap(err, "update handover")
}

const handoverSelect = `SELECT h.id, h.client_id, u.username, h.from_counselor_id, f.display_name, h.to_counselor_id, t.display_name, h.sealed_note, h.status, h.created_at, h.decided_at
	FROM handovers h JOIN users u ON u.id = h.client_id JOIN counselors f ON f.user_id = h.from_counselor_id JOIN counselors t ON t.user_id = h.to_counselor_id`

// HandoverByID returns one hand-over or ENOTFOUND.
func (db *DB) HandoverByID(ctx context.Context, id string) (Handover, error) {
	hs, err := db.queryHandovers(ctx, handoverSelect+` WHERE h.id = $1`, id)
	if err != nil {
		return Handover{}, err
	} else if len(hs) == 0 {
		return Handover{}, eyelevel.ErrNotFound()
	}
	return hs[0], nil
}

// ClientHandovers lists the hand-overs proposed to a client, newest first.
func (db *DB) ClientHandovers(ctx context.Context, client eyelevel.UserID) ([]Handover, error) {
	return db.queryHandovers(ctx, handoverSelect+` WHERE h.client_id = $1 ORDER BY h.created_at DESC, h.id LIMIT 200`, string(client))
}

// CounselorHandovers lists the hand-overs a counselor proposed, and those
// to them that their client accepted, newest first; client "" for all
// clients.
func (db *DB) CounselorHandovers(ctx context.Context, counselor, client eyelevel.UserID) ([]Handover, error) {
	q := handoverSelect + ` WHERE (h.from_counselor_id = $1 OR (h.to_counselor_id = $1 AND h.status = 'accepted'))`
	args := []any{string(counselor)}
	if client != "" {
		q += ` AND h.client_id = $2`
		args = append(args, string(client))
	}
	return db.queryHandovers(ctx, q+` ORDER BY h.created_at DESC, h.id LIMIT 200`, args...)
}

// OpenHandoverExists reports whether a proposal of to for client is open.
func (db *DB) OpenHandoverExists(ctx context.Context, client, to eyelevel.UserID) (bool, error) {
	var n int
	err := db.rq(ctx).QueryRowContext(ctx, `SELECT count(*) FROM handovers WHERE client_id = $1 AND to_counselor_id = $2 AND status = 'proposed'`, string(client), string(to)).Scan(&n)
	return n > 0, db.wrap(err, "select handovers")
}

func (db *DB) queryHandovers(ctx context.Context, q string, args ...any) ([]Handover, error) {
	rows, err := db.rq(ctx).QueryContext(ctx, q, args...)
	if err != nil {
		return nil, db.wrap(err, "select handovers")
	}
	defer rows.Close()
	var out []Handover
	for rows.Next() {
		var h Handover
		var created, decided int64
		if err := rows.Scan(&h.ID, &h.ClientID, &h.ClientUsername, &h.FromCounselorID, &h.FromName, &h.ToCounselorID, &h.ToName, &h.SealedNote, &h.Status, &created, &decided); err != nil {
			return nil, db.wrap(err, "scan handover")
		}
		h.CreatedAt, h.DecidedAt = fromUnix(created), fromUnix(decided)
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, db.wrap(err, "select handovers")
	}
	return out, nil
}
