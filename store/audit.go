package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"strconv"
	"time"

	"eyelevel"
)

// AuditDigest is the SHA-256 of an entry's fields (not its chain links).
// The "v1" prefix names the encoding, so it can change without breaking
// old entries' verification; "v2" adds Erases and is used only when it is
// set (a tombstone that erased entries), so v1 entries keep their digests.
func AuditDigest(e eyelevel.AuditEntry) string {
	h := sha256.New()
	fs := []string{"v1", strconv.FormatInt(e.Seq, 10), strconv.FormatInt(e.At.Unix(), 10),
		string(e.ActorID), string(e.ActorRole), string(e.SubjectID), e.What}
	if e.Erases != "" {
		fs[0] = "v2"
		fs = append(fs, e.Erases)
	}
	for _, f := range fs {
		h.Write([]byte(f))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// AuditChain is the chain hash of an entry after prev with digest.
func AuditChain(prev, digest string) string {
	sum := sha256.Sum256([]byte(prev + "\x00" + digest))
	return hex.EncodeToString(sum[:])
}

// AppendAudit appends e (Seq, Digest, Prev and Hash are set here) to the
// access log in ctx's transaction, or in one of its own. Appends are
// serialized: SQLite's write lock, PostgreSQL's row lock on audit_head.
func (db *DB) AppendAudit(ctx context.Context, e eyelevel.AuditEntry) (eyelevel.AuditEntry, error) {
	err := db.InTx(ctx, func(ctx context.Context) error {
		lock := `SELECT seq, hash FROM audit_head WHERE id = 1`
		if db.dialect == Postgres {
			lock += ` FOR UPDATE`
		}
		var seq int64
		var prev string
		if err := db.wq(ctx).QueryRowContext(ctx, lock).Scan(&seq, &prev); err != nil {
			return db.wrap(err, "lock audit head")
		}
		e.Seq, e.Prev = seq+1, prev
		e.At = e.At.UTC().Truncate(time.Second)
		e.Digest = AuditDigest(e)
		e.Hash = AuditChain(e.Prev, e.Digest)
		if _, err := db.wq(ctx).ExecContext(ctx, `INSERT INTO audit_log (seq, at, actor_id, actor_role, subject_id, what, digest, prev, hash, erased)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, e.Seq, unix(e.At), string(e.ActorID), string(e.ActorRole), string(e.SubjectID), e.What, e.Digest, e.Prev, e.Hash, e.Erases); err != nil {
			return db.wrap(err, "insert audit entry")
		}
		_, err := db.wq(ctx).ExecContext(ctx, `UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1`, e.Seq, e.Hash)
		return db.wrap(err, "update audit head")
	})
	return e, err
}

const auditColumns = `seq, at, actor_id, actor_role, subject_id, what, digest, prev, hash, erased`

// AuditAbout returns the entries whose subject is client, newest first,
// at most limit, older than before (0: from the newest).
func (db *DB) AuditAbout(ctx context.Context, client eyelevel.UserID, before int64, limit int) ([]eyelevel.AuditEntry, error) {
	if before <= 0 {
		before = 1<<63 - 1
	}
	rows, err := db.rq(ctx).QueryContext(ctx, `SELECT `+auditColumns+` FROM audit_log WHERE subject_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3`,
		string(client), before, limit)
	if err != nil {
		return nil, db.wrap(err, "select audit entries")
	}
	return db.scanAudit(rows)
}

// AuditAfter returns entries with seq > after in order, at most limit
// (for verifying the chain in batches).
func (db *DB) AuditAfter(ctx context.Context, after int64, limit int) ([]eyelevel.AuditEntry, error) {
	rows, err := db.rq(ctx).QueryContext(ctx, `SELECT `+auditColumns+` FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2`, after, limit)
	if err != nil {
		return nil, db.wrap(err, "select audit entries")
	}
	return db.scanAudit(rows)
}

// AuditHead returns the last appended seq and hash (0, "" when empty).
func (db *DB) AuditHead(ctx context.Context) (int64, string, error) {
	var seq int64
	var hash string
	err := db.rq(ctx).QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&seq, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", nil
	}
	return seq, hash, db.wrap(err, "select audit head")
}

func (db *DB) scanAudit(rows *sql.Rows) ([]eyelevel.AuditEntry, error) {
	defer rows.Close()
	var out []eyelevel.AuditEntry
	for rows.Next() {
		var e eyelevel.AuditEntry
		var at int64
		if err := rows.Scan(&e.Seq, &at, &e.ActorID, &e.ActorRole, &e.SubjectID, &e.What, &e.Digest, &e.Prev, &e.Hash, &e.Erases); err != nil {
			return nil, db.wrap(err, "scan audit entry")
		}
		e.At = fromUnix(at)
		out = append(out, e)
	}
	return out, db.wrap(rows.Err(), "select audit entries")
}
