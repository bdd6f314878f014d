package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"eyelevel"
)

// Bulk loading, for benchmarks and load tests that need millions of rows in
// minutes. The Seed methods write rows as they are, with no checks beyond the
// schema's, in multi-row INSERTs of seedRowsPerStatement rows and one
// transaction per seedRowsPerTx rows (or in the transaction ctx carries).
// They are no part of the application's use cases.

const (
	seedRowsPerStatement = 500
	seedRowsPerTx        = 50_000
)

// SeedSchedule is one counselor's availability for SeedAvailability.
type SeedSchedule struct {
	CounselorID eyelevel.UserID
	eyelevel.Availability
}

// BeginBulkLoad tunes the database for loading lots of rows and returns a
// function that undoes it. On SQLite it turns off syncing
// (PRAGMA synchronous=OFF: a crash may corrupt the database, which is only
// acceptable for a database that can be seeded again) and gives the writing
// connection a 256 MiB page cache, so that index pages of millions of rows
// stay in memory. On PostgreSQL every seeding transaction sets
// synchronous_commit off for itself instead (a crash may lose the last
// transactions, never corrupt anything), so there is nothing to do here.
// Call it before seeding, without a transaction in ctx.
func (db *DB) BeginBulkLoad(ctx context.Context) (end func(context.Context) error, err error) {
	if db.dialect != SQLite {
		return func(context.Context) error { return nil }, nil
	}
	var cache int64
	if err := db.w.QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&cache); err != nil {
		return nil, db.wrap(err, "read cache size")
	}
	// The writer pool holds one connection, so the pragmas stick to it.
	if _, err := db.w.ExecContext(ctx, `PRAGMA synchronous = OFF`); err != nil {
		return nil, db.wrap(err, "bulk load pragmas")
	}
	if _, err := db.w.ExecContext(ctx, `PRAGMA cache_size = -262144`); err != nil {
		return nil, db.wrap(err, "bulk load pragmas")
	}
	return func(ctx context.Context) error {
		_, err := db.w.ExecContext(ctx, `PRAGMA synchronous = NORMAL`)
		if err == nil {
			_, err = db.w.ExecContext(ctx, `PRAGMA cache_size = `+strconv.FormatInt(cache, 10))
		}
		if err == nil {
			err = db.ck.truncate(ctx, db.w)
		}
		return db.wrap(err, "end bulk load")
	}, nil
}

// FinishBulkLoad brings the planner's statistics and, on PostgreSQL, the
// visibility map up to date after seeding, as autovacuum would do on its own
// some minutes later (VACUUM ANALYZE). SQLite gathers no statistics unless
// told to and the application never tells it, so there it does nothing:
// queries are planned as they would be in production.
func (db *DB) FinishBulkLoad(ctx context.Context) error {
	if db.dialect != Postgres {
		return nil
	}
	_, err := db.w.ExecContext(ctx, `VACUUM (ANALYZE) users, counselors, counselor_languages, availability_weekly, availability_exceptions, appointments`)
	return db.wrap(err, "vacuum analyze")
}

// Exec runs a statement, in the transaction ctx carries if any, and returns
// the number of rows it affected. It is for benchmarks and tools that need a
// statement of their own (a scratch table, a consistency check).
func (db *DB) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := db.wq(ctx).ExecContext(ctx, query, args...)
	if err != nil {
		return 0, db.wrap(err, "exec")
	}
	n, err := res.RowsAffected()
	return n, db.wrap(err, "exec")
}

// QueryInt runs a query that returns one integer, such as a count.
func (db *DB) QueryInt(ctx context.Context, query string, args ...any) (int64, error) {
	var n int64
	err := db.rq(ctx).QueryRowContext(ctx, query, args...).Scan(&n)
	return n, db.wrap(err, "query")
}

// SeedUsers inserts accounts with their password hashes as given.
func (db *DB) SeedUsers(ctx context.Context, us []eyelevel.User) error {
	return db.seed(ctx, "users (id, username, role, password_hash, email, language, timezone, created_at, username_key, email_verified)", 10, len(us),
		func(i int, row []any) {
			u := us[i]
			row[0], row[1], row[2], row[3], row[4] = string(u.ID), u.Username, string(u.Role), u.PasswordHash, u.Email
			row[5], row[6], row[7], row[8], row[9] = u.Language, u.TimeZone, unix(u.CreatedAt), UsernameKey(u.Username), boolInt(u.EmailVerified)
		})
}

// SeedCounselors inserts the profiles and languages of counselors whose
// accounts exist.
func (db *DB) SeedCounselors(ctx context.Context, cs []eyelevel.Counselor) error {
	return db.InTx(ctx, func(ctx context.Context) error {
		err := db.seed(ctx, "counselors (user_id, display_name, gender, timezone, bio, qualifications)", 6, len(cs),
			func(i int, row []any) {
				c := cs[i]
				row[0], row[1], row[2], row[3], row[4], row[5] = string(c.ID), c.DisplayName, string(c.Gender), c.TimeZone, c.Bio, c.Qualifications
			})
		if err != nil {
			return err
		}
		type lang struct {
			id eyelevel.UserID
			l  eyelevel.LanguageSkill
		}
		var ls []lang
		for _, c := range cs {
			for _, l := range c.Languages {
				ls = append(ls, lang{c.ID, l})
			}
		}
		return db.seed(ctx, "counselor_languages (counselor_id, code, native)", 3, len(ls), func(i int, row []any) {
			row[0], row[1], row[2] = string(ls[i].id), ls[i].l.Code, ls[i].l.Native
		})
	})
}

// SeedAvailability inserts weekly windows and exceptions of counselors who
// have none yet.
func (db *DB) SeedAvailability(ctx context.Context, ss []SeedSchedule) error {
	type weekly struct {
		id eyelevel.UserID
		w  eyelevel.WeeklyWindow
	}
	type exception struct {
		id eyelevel.UserID
		e  eyelevel.Exception
	}
	var ws []weekly
	var es []exception
	for _, s := range ss {
		for _, w := range s.Weekly {
			ws = append(ws, weekly{s.CounselorID, w})
		}
		for _, e := range s.Exceptions {
			es = append(es, exception{s.CounselorID, e})
		}
	}
	return db.InTx(ctx, func(ctx context.Context) error {
		err := db.seed(ctx, "availability_weekly (counselor_id, weekday, start_min, end_min)", 4, len(ws), func(i int, row []any) {
			row[0], row[1], row[2], row[3] = string(ws[i].id), int(ws[i].w.Weekday), ws[i].w.Start, ws[i].w.End
		})
		if err != nil {
			return err
		}
		return db.seed(ctx, "availability_exceptions (counselor_id, date, available, start_min, end_min)", 5, len(es), func(i int, row []any) {
			e := es[i].e
			row[0], row[1], row[2], row[3], row[4] = string(es[i].id), e.Date, e.Available, e.Start, e.End
		})
	})
}

// SeedAppointments inserts appointments, booked or cancelled, as given. The
// unique index still refuses two booked ones of a counselor at one start.
func (db *DB) SeedAppointments(ctx context.Context, as []eyelevel.Appointment) error {
	return db.seed(ctx, "appointments (id, counselor_id, client_id, start_at, end_at, status, created_at, cancelled_at, cancelled_by)", 9, len(as),
		func(i int, row []any) {
			a := as[i]
			row[0], row[1], row[2], row[3], row[4] = string(a.ID), string(a.CounselorID), string(a.ClientID), unix(a.Start), unix(a.End)
			row[5], row[6], row[7], row[8] = string(a.Status), unix(a.CreatedAt), unixOrZero(a.CancelledAt), string(a.CancelledBy)
		})
}

// unixOrZero stores the zero time as 0, as the schema's defaults do.
func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// seed inserts n rows of cols columns into table (with its column list),
// filling each row's values with fill, in statements of
// seedRowsPerStatement rows and transactions of seedRowsPerTx rows.
func (db *DB) seed(ctx context.Context, table string, cols, n int, fill func(i int, row []any)) error {
	if n == 0 {
		return nil
	}
	stmts := map[int]string{} // by rows per statement: at most two shapes per call
	args := make([]any, 0, seedRowsPerStatement*cols)
	for lo := 0; lo < n; lo += seedRowsPerTx {
		hi := min(lo+seedRowsPerTx, n)
		err := db.InTx(ctx, func(ctx context.Context) error {
			if db.dialect == Postgres {
				if _, err := db.wq(ctx).ExecContext(ctx, `SET LOCAL synchronous_commit = off`); err != nil {
					return db.wrap(err, "seed "+table)
				}
			}
			for s := lo; s < hi; s += seedRowsPerStatement {
				e := min(s+seedRowsPerStatement, hi)
				args = args[:(e-s)*cols]
				for i := s; i < e; i++ {
					fill(i, args[(i-s)*cols:(i-s+1)*cols])
				}
				q, ok := stmts[e-s]
				if !ok {
					q = db.insertRows(table, cols, e-s)
					stmts[e-s] = q
				}
				if _, err := db.wq(ctx).ExecContext(ctx, q, args...); err != nil {
					return db.wrap(err, "seed "+table)
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("rows %d–%d: %w", lo, hi, err)
		}
	}
	return nil
}

// insertRows returns "INSERT INTO table VALUES ($1, …), (…), …" for rows rows.
func (db *DB) insertRows(table string, cols, rows int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO ")
	b.WriteString(table)
	b.WriteString(" VALUES ")
	for r := 0; r < rows; r++ {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		b.WriteString(db.placeholders(cols, r*cols+1))
		b.WriteByte(')')
	}
	return b.String()
}
