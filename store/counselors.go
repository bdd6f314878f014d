package store

import (
	"context"
	"strconv"
	"strings"
	"time"

	"eyelevel"
)

// CreateCounselor stores the profile of an existing counselor account.
func (db *DB) CreateCounselor(ctx context.Context, c eyelevel.Counselor) error {
	return db.InTx(ctx, func(ctx context.Context) error {
		_, err := db.wq(ctx).ExecContext(ctx, `INSERT INTO counselors (user_id, display_name, gender, timezone, bio, qualifications, reply_days) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			c.ID, c.DisplayName, c.Gender, c.TimeZone, c.Bio, c.Qualifications, c.ReplyDays)
		if err != nil {
			return db.wrap(err, "insert counselor")
		}
		for _, l := range c.Languages {
			if _, err := db.wq(ctx).ExecContext(ctx, `INSERT INTO counselor_languages (counselor_id, code, native) VALUES ($1, $2, $3)`, c.ID, l.Code, l.Native); err != nil {
				return db.wrap(err, "insert counselor language")
			}
		}
		return nil
	})
}

// UpdateCounselor replaces a counselor's profile and languages; the
// account takes the profile's time zone.
func (db *DB) UpdateCounselor(ctx context.Context, c eyelevel.Counselor) error {
	return db.InTx(ctx, func(ctx context.Context) error {
		res, err := db.wq(ctx).ExecContext(ctx, `UPDATE counselors SET display_name = $2, gender = $3, timezone = $4, bio = $5, qualifications = $6, reply_days = $7 WHERE user_id = $1`,
			c.ID, c.DisplayName, c.Gender, c.TimeZone, c.Bio, c.Qualifications, c.ReplyDays)
		if err != nil {
			return db.wrap(err, "update counselor")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return eyelevel.ErrNotFound()
		}
		if _, err := db.wq(ctx).ExecContext(ctx, `UPDATE users SET timezone = $2 WHERE id = $1`, c.ID, c.TimeZone); err != nil {
			return db.wrap(err, "update user zone")
		}
		if _, err := db.wq(ctx).ExecContext(ctx, `DELETE FROM counselor_languages WHERE counselor_id = $1`, c.ID); err != nil {
			return db.wrap(err, "delete counselor languages")
		}
		for _, l := range c.Languages {
			if _, err := db.wq(ctx).ExecContext(ctx, `INSERT INTO counselor_languages (counselor_id, code, native) VALUES ($1, $2, $3)`, c.ID, l.Code, l.Native); err != nil {
				return db.wrap(err, "insert counselor language")
			}
		}
		return nil
	})
}

const counselorSelect = `SELECT c.user_id, u.username, c.display_name, c.gender, c.timezone, c.bio, c.qualifications, c.reply_days FROM counselors c JOIN users u ON u.id = c.user_id`

// Counselor returns one counselor's profile or ENOTFOUND.
func (db *DB) Counselor(ctx context.Context, id eyelevel.UserID) (eyelevel.Counselor, error) {
	cs, err := db.counselors(ctx, counselorSelect+` WHERE c.user_id = $1`, string(id))
	if err != nil {
		return eyelevel.Counselor{}, err
	} else if len(cs) == 0 {
		return eyelevel.Counselor{}, eyelevel.ErrNotFound()
	}
	return cs[0], nil
}

// Counselors lists all counselors by display name, less those whose
// account was deleted (EraseCounselor).
func (db *DB) Counselors(ctx context.Context) ([]eyelevel.Counselor, error) {
	return db.counselors(ctx, counselorSelect+` WHERE NOT EXISTS (SELECT 1 FROM deleted_accounts d WHERE d.user_id = c.user_id) ORDER BY c.display_name, c.user_id`)
}

// CounselorsByLanguage lists the counselors who speak code, optionally only
// those of one gender. The order is unspecified; callers rank them.
func (db *DB) CounselorsByLanguage(ctx context.Context, code string, gender eyelevel.Gender) ([]eyelevel.Counselor, error) {
	q := counselorSelect + ` JOIN counselor_languages l ON l.counselor_id = c.user_id WHERE l.code = $1`
	args := []any{code}
	if gender != "" {
		q += ` AND c.gender = $2`
		args = append(args, gender)
	}
	return db.counselors(ctx, q, args...)
}

// LockCounselor serializes bookings of one counselor.
func (db *DB) LockCounselor(ctx context.Context, id eyelevel.UserID) error {
	return db.lockRow(ctx, "counselors", "user_id", string(id))
}

func (db *DB) counselors(ctx context.Context, q string, args ...any) ([]eyelevel.Counselor, error) {
	rows, err := db.rq(ctx).QueryContext(ctx, q, args...)
	if err != nil {
		return nil, db.wrap(err, "select counselors")
	}
	defer rows.Close()
	var cs []eyelevel.Counselor
	index := map[eyelevel.UserID]int{}
	for rows.Next() {
		var c eyelevel.Counselor
		if err := rows.Scan(&c.ID, &c.Username, &c.DisplayName, &c.Gender, &c.TimeZone, &c.Bio, &c.Qualifications, &c.ReplyDays); err != nil {
			return nil, db.wrap(err, "scan counselor")
		}
		index[c.ID] = len(cs)
		cs = append(cs, c)
	}
	if err := rows.Err(); err != nil {
		return nil, db.wrap(err, "select counselors")
	}
	if len(cs) == 0 {
		return cs, nil
	}
	// One query for all their languages rather than one per counselor.
	ids := make([]any, 0, len(cs))
	for _, c := range cs {
		ids = append(ids, string(c.ID))
	}
	lrows, err := db.rq(ctx).QueryContext(ctx, `SELECT counselor_id, code, native FROM counselor_languages WHERE counselor_id IN (`+db.placeholders(len(ids), 1)+`) ORDER BY native DESC, code`, ids...)
	if err != nil {
		return nil, db.wrap(err, "select languages")
	}
	defer lrows.Close()
	for lrows.Next() {
		var id eyelevel.UserID
		var l eyelevel.LanguageSkill
		if err := lrows.Scan(&id, &l.Code, &l.Native); err != nil {
			return nil, db.wrap(err, "scan language")
		}
		i := index[id]
		cs[i].Languages = append(cs[i].Languages, l)
	}
	return cs, db.wrap(lrows.Err(), "select languages")
}

// placeholders returns n placeholders for the parameters first, first+1, …:
// "$first, …" on PostgreSQL and "?, ?, …" on SQLite. SQLite numbers "?" by
// position, while it looks every numbered or named parameter up in a list
// when binding, which makes a statement with hundreds of them (an IN list of
// all the counselors who speak German, a multi-row INSERT) quadratic. So a
// statement built with placeholders must use each parameter once, in order.
func (db *DB) placeholders(n, first int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		if db.dialect == SQLite {
			b.WriteByte('?')
		} else {
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(first + i))
		}
	}
	return b.String()
}

// Availability returns a counselor's schedule (empty if none is set).
func (db *DB) Availability(ctx context.Context, id eyelevel.UserID) (eyelevel.Availability, error) {
	m, err := db.AvailabilityOf(ctx, []eyelevel.UserID{id})
	return m[id], err
}

// AvailabilityOf returns the schedules of several counselors in two queries.
func (db *DB) AvailabilityOf(ctx context.Context, ids []eyelevel.UserID) (map[eyelevel.UserID]eyelevel.Availability, error) {
	return db.availabilityOf(ctx, ids, "")
}

// AvailabilityFrom is AvailabilityOf as far as it matters for slots from the
// instant from on: it leaves out exceptions dated more than two days before
// from's UTC date. Exceptions are dated in the counselor's zone, whose date
// is never more than a day behind UTC, and slot computation starts a day
// before that; the third day is slack. Past exceptions pile up over the
// years, and reading them made a search read more exceptions than bookings.
// The counselors' absences are added as whole days off (see absenceDays).
func (db *DB) AvailabilityFrom(ctx context.Context, ids []eyelevel.UserID, from time.Time) (map[eyelevel.UserID]eyelevel.Availability, error) {
	return db.availabilityOf(ctx, ids, exceptionsSince(from))
}

// exceptionsSince is the date of the first exception AvailabilityFrom reads.
func exceptionsSince(from time.Time) string {
	return from.UTC().AddDate(0, 0, -3).Format(time.DateOnly)
}

// availabilityOf reads schedules; a non-empty fromDate (YYYY-MM-DD) leaves
// out exceptions dated before it.
func (db *DB) availabilityOf(ctx context.Context, ids []eyelevel.UserID, fromDate string) (map[eyelevel.UserID]eyelevel.Availability, error) {
	out := make(map[eyelevel.UserID]eyelevel.Availability, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = string(id)
	}
	in := db.placeholders(len(args), 1)
	rows, err := db.rq(ctx).QueryContext(ctx, `SELECT counselor_id, weekday, start_min, end_min FROM availability_weekly WHERE counselor_id IN (`+in+`) ORDER BY counselor_id, weekday, start_min`, args...)
	if err != nil {
		return nil, db.wrap(err, "select weekly")
	}
	for rows.Next() {
		var id eyelevel.UserID
		var w eyelevel.WeeklyWindow
		if err := rows.Scan(&id, &w.Weekday, &w.Start, &w.End); err != nil {
			rows.Close()
			return nil, db.wrap(err, "scan weekly")
		}
		av := out[id]
		av.Weekly = append(av.Weekly, w)
		out[id] = av
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, db.wrap(err, "select weekly")
	}
	since := ""
	if fromDate != "" {
		args = append(args, fromDate)
		since = ` AND date >= ` + db.placeholders(1, len(args))
	}
	rows, err = db.rq(ctx).QueryContext(ctx, `SELECT counselor_id, date, available, start_min, end_min FROM availability_exceptions WHERE counselor_id IN (`+in+`)`+since+` ORDER BY counselor_id, date, start_min`, args...)
	if err != nil {
		return nil, db.wrap(err, "select exceptions")
	}
	defer rows.Close()
	for rows.Next() {
		var id eyelevel.UserID
		var e eyelevel.Exception
		if err := rows.Scan(&id, &e.Date, &e.Available, &e.Start, &e.End); err != nil {
			return nil, db.wrap(err, "scan exception")
		}
		av := out[id]
		av.Exceptions = append(av.Exceptions, e)
		out[id] = av
	}
	if err := rows.Err(); err != nil {
		return nil, db.wrap(err, "select exceptions")
	}
	if fromDate != "" { // for slots: absences are days off
		if err := db.absenceDays(ctx, ids, fromDate, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// SetAvailability replaces a counselor's whole schedule.
func (db *DB) SetAvailability(ctx context.Context, id eyelevel.UserID, av eyelevel.Availability) error {
	return db.InTx(ctx, func(ctx context.Context) error {
		if err := db.LockCounselor(ctx, id); err != nil {
			return err
		}
		q := db.wq(ctx)
		if _, err := q.ExecContext(ctx, `DELETE FROM availability_weekly WHERE counselor_id = $1`, id); err != nil {
			return db.wrap(err, "delete weekly")
		}
		if _, err := q.ExecContext(ctx, `DELETE FROM availability_exceptions WHERE counselor_id = $1`, id); err != nil {
			return db.wrap(err, "delete exceptions")
		}
		for _, w := range av.Weekly {
			if _, err := q.ExecContext(ctx, `INSERT INTO availability_weekly (counselor_id, weekday, start_min, end_min) VALUES ($1, $2, $3, $4)`, id, int(w.Weekday), w.Start, w.End); err != nil {
				return db.wrap(err, "insert weekly")
			}
		}
		for _, e := range av.Exceptions {
			if _, err := q.ExecContext(ctx, `INSERT INTO availability_exceptions (counselor_id, date, available, start_min, end_min) VALUES ($1, $2, $3, $4, $5)`, id, e.Date, e.Available, e.Start, e.End); err != nil {
				return db.wrap(err, "insert exception")
			}
		}
		return nil
	})
}
