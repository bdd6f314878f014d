// Package store keeps eyelevel's data in SQLite (embedded, the default) or
// PostgreSQL. Both speak the same SQL through database/sql; the few
// differences live in the migrations and in lock statements.
//
// Transactions travel in the context: InTx puts one there and every method
// called with that context joins it, so the service layer can compose store
// calls into one transaction per user action.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"eyelevel"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations
var migrations embed.FS

// Dialects.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// DB is the store. It is safe for concurrent use.
type DB struct {
	dialect string
	w       *sql.DB    // writes and transactions
	r       *sql.DB    // reads outside transactions
	ws, rs  *stmtCache // SQLite's prepared statements on w and r (see stmtcache.go)
	dir     directoryCache
	health  writeHealth
	outbox  outboxKey // seals recipients (encrypt_outbox.go)
	ck      *checkpointer
}

// Open opens the database named by dsn — a postgres:// URL, or "" for SQLite
// in dataDir (created if missing) — and applies pending migrations.
func Open(ctx context.Context, dsn, dataDir string) (*DB, error) {
	db := &DB{}
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		pool, err := sql.Open("pgx", dsn)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		pool.SetMaxOpenConns(32)
		pool.SetMaxIdleConns(32)
		pool.SetConnMaxIdleTime(5 * time.Minute)
		// A connection broken by a database restart is not handed out
		// again: pgx pings one that has been idle for over a second before
		// reuse and answers driver.ErrBadConn, so database/sql takes another
		// or dials anew (TestDatabaseOutageKeepsSessions in web).
		db.dialect, db.w, db.r = Postgres, pool, pool
	} else if dsn != "" {
		return nil, fmt.Errorf("unsupported database URL (want postgres://…, or none for SQLite)")
	} else {
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			return nil, fmt.Errorf("create data directory: %w", err)
		}
		path := filepath.Join(dataDir, "eyelevel.db")
		// SQLite would create the file 0644; clients' data is nobody
		// else's business. Its -wal and -shm files take the same mode.
		if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
			f.Close()
		} else if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("create database file: %w", err)
		}
		// mmap_size lets connections read pages from the OS page cache
		// without a pread each: every connection's own page cache is only
		// 2 MB, and a search reads more than that.
		// secure_delete overwrites deleted content with zeros, so that a
		// deleted account does not linger in free pages (see Shred).
		const pragmas = "_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)&_pragma=mmap_size(1073741824)&_pragma=secure_delete(1)"
		// The writer leaves checkpoints to the checkpointer (checkpointer.go).
		w, err := sql.Open("sqlite", "file:"+path+"?"+pragmas+"&_pragma=wal_autocheckpoint(0)&_txlock=immediate")
		if err != nil {
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		// SQLite has one writer at a time; one connection queues writers in
		// Go instead of letting them spin on SQLITE_BUSY.
		w.SetMaxOpenConns(1)
		r, err := sql.Open("sqlite", "file:"+path+"?"+pragmas+"&_pragma=query_only(1)")
		if err != nil {
			w.Close()
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		r.SetMaxOpenConns(8)
		r.SetMaxIdleConns(8)
		ck, err := sql.Open("sqlite", "file:"+path+"?"+pragmas)
		if err != nil {
			w.Close()
			r.Close()
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		db.dialect, db.w, db.r = SQLite, w, r
		db.ws, db.rs = newStmtCache(w), newStmtCache(r)
		db.ck = startCheckpointer(ck, func(err error) { db.wrap(err, "checkpoint") })
	}
	if err := db.w.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// Close closes the database.
func (db *DB) Close() error {
	// The checkpoints stop first: they must not outlive the database.
	err := db.ck.close()
	if db.ws != nil {
		err = errors.Join(err, db.ws.close(), db.rs.close())
	}
	err = errors.Join(err, db.w.Close())
	if db.r != db.w {
		err = errors.Join(err, db.r.Close())
	}
	return err
}

// Dialect returns SQLite or Postgres.
func (db *DB) Dialect() string { return db.dialect }

// Ping reports whether the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.r.PingContext(ctx) }

type txKey struct{}

type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// InTx runs fn in a transaction carried by the context passed to fn. If ctx
// already carries one, fn joins it. The transaction commits when fn returns
// nil and rolls back otherwise.
func (db *DB) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if _, ok := ctx.Value(txKey{}).(*sql.Tx); ok {
		return fn(ctx)
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		db.health.record(err)
		return fmt.Errorf("begin: %w", err)
	}
	if db.ws != nil {
		// Deferred first so that it runs last, after the rollback below,
		// once the transaction has let go of the connection.
		defer func() {
			if db.ws.hasPending() {
				db.ws.preparePending(context.WithoutCancel(ctx))
			}
		}()
	}
	defer tx.Rollback()
	hooks := &afterCommit{}
	if err := fn(context.WithValue(context.WithValue(ctx, txKey{}, tx), afterCommitKey{}, hooks)); err != nil {
		db.health.record(err)
		return err
	}
	err = tx.Commit()
	db.health.record(err)
	if err == nil {
		hooks.run()
	}
	return db.wrap(err, "commit")
}

// rq returns the transaction in ctx or the read pool.
func (db *DB) rq(ctx context.Context) querier {
	tx, _ := ctx.Value(txKey{}).(*sql.Tx)
	if db.ws != nil {
		if tx != nil {
			return cachedQuerier{db.w, tx, db.ws}
		}
		return cachedQuerier{db.r, nil, db.rs}
	}
	if tx != nil {
		return tx
	}
	return db.r
}

// wq returns the transaction in ctx or the write pool.
func (db *DB) wq(ctx context.Context) querier {
	tx, _ := ctx.Value(txKey{}).(*sql.Tx)
	if db.ws != nil {
		return cachedQuerier{db.w, tx, db.ws}
	}
	if tx != nil {
		return tx
	}
	return db.w
}

// wrap turns driver errors into eyelevel errors by their codes: unique
// violations become ECONFLICT, everything else stays internal.
func (db *DB) wrap(err error, what string) error {
	if err == nil {
		return nil
	}
	if isUniqueViolation(err) {
		return eyelevel.Errorf(eyelevel.ECONFLICT, "error.conflict", "That already exists.")
	}
	if isStorageFailure(err) {
		db.health.record(err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

func isUniqueViolation(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// migrate applies the embedded migrations of the dialect that have not run
// yet, each in its own transaction, and records them.
func (db *DB) migrate(ctx context.Context) error {
	dir := "migrations/" + db.dialect
	entries, err := fs.ReadDir(migrations, dir)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	err = db.InTx(ctx, func(ctx context.Context) error {
		// Under the lock too: PostgreSQL's CREATE TABLE IF NOT EXISTS is not
		// safe against a concurrent create of the same table.
		if err := db.lockMigrations(ctx); err != nil {
			return err
		}
		_, err := db.wq(ctx).ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)`)
		return err
	})
	if err != nil {
		return fmt.Errorf("create migrations table: %w", err)
	}
	for _, name := range names {
		body, err := migrations.ReadFile(dir + "/" + name)
		if err != nil {
			return err
		}
		// A SQLite migration that rebuilds a table others refer to runs
		// with foreign keys off (they cannot change inside a transaction)
		// and checks them before committing: SQLite's documented way.
		fkOff := db.dialect == SQLite && strings.HasPrefix(string(body), "-- foreign_keys: off")
		if fkOff {
			if _, err := db.w.ExecContext(ctx, `PRAGMA foreign_keys = OFF`); err != nil {
				return fmt.Errorf("migration %s: %w", name, err)
			}
		}
		err = db.InTx(ctx, func(ctx context.Context) error {
			if err := db.lockMigrations(ctx); err != nil {
				return err
			}
			var n int
			if err := db.wq(ctx).QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE name = $1`, name).Scan(&n); err != nil {
				return err
			} else if n > 0 {
				return nil
			}
			// Constants defined in Go, by name (see longAppointment).
			text := strings.ReplaceAll(string(body), "{{longAppointment}}", longSQL)
			if _, err := db.wq(ctx).ExecContext(ctx, text); err != nil {
				return err
			}
			if fkOff {
				if err := db.foreignKeyCheck(ctx); err != nil {
					return err
				}
			}
			_, err = db.wq(ctx).ExecContext(ctx, `INSERT INTO schema_migrations (name, applied_at) VALUES ($1, $2)`, name, time.Now().Unix())
			return err
		})
		if fkOff {
			if _, err2 := db.w.ExecContext(ctx, `PRAGMA foreign_keys = ON`); err2 != nil && err == nil {
				err = err2
			}
		}
		if err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
	}
	return nil
}

// foreignKeyCheck fails if any row refers to a row that does not exist.
func (db *DB) foreignKeyCheck(ctx context.Context) error {
	rows, err := db.wq(ctx).QueryContext(ctx, `PRAGMA foreign_key_check`)
	if err != nil {
		return err
	}
	defer rows.Close()
	if rows.Next() {
		return fmt.Errorf("foreign key check failed")
	}
	return rows.Err()
}

// lockMigrations serializes migrating transactions on PostgreSQL, so that
// several instances starting at once apply each migration once. SQLite's
// write transactions are serialized already.
func (db *DB) lockMigrations(ctx context.Context) error {
	if db.dialect != Postgres {
		return nil
	}
	_, err := db.wq(ctx).ExecContext(ctx, `SELECT pg_advisory_xact_lock(7261)`)
	return err
}

// lockRow takes a row lock on PostgreSQL so that concurrent transactions on
// the same counselor or client run one after another. SQLite needs none:
// every write transaction begins IMMEDIATE and so holds the database's one
// write lock from its first statement.
func (db *DB) lockRow(ctx context.Context, table, column, id string) error {
	if db.dialect != Postgres {
		return nil
	}
	var got string
	err := db.wq(ctx).QueryRowContext(ctx, `SELECT `+column+` FROM `+table+` WHERE `+column+` = $1 FOR UPDATE`, id).Scan(&got)
	if errors.Is(err, sql.ErrNoRows) {
		return eyelevel.ErrNotFound()
	}
	return db.wrap(err, "lock "+table)
}

func unix(t time.Time) int64 { return t.Unix() }

func fromUnix(s int64) time.Time {
	if s == 0 {
		return time.Time{}
	}
	return time.Unix(s, 0).UTC()
}
