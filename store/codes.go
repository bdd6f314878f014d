package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"eyelevel"
)

// AccessCode is a stored access code. Only its hash is kept, except for a
// contract's shared code, which is kept readable to be shown again. It
// records how often it was redeemed, never by whom.
type AccessCode struct {
	Hash       string // hex SHA-256 of the normalized code
	ContractID string
	Shared     bool
	Code       string // the shared code as issued; "" for single-use codes
	Redeemed   int
	CreatedAt  time.Time
}

// InsertCodes stores single-use codes of contract by their hashes.
func (db *DB) InsertCodes(ctx context.Context, contract string, hashes []string, now time.Time) error {
	return db.InTx(ctx, func(ctx context.Context) error {
		for _, h := range hashes {
			if _, err := db.wq(ctx).ExecContext(ctx, `INSERT INTO access_codes (code_hash, contract_id, shared, code, redeemed, created_at) VALUES ($1, $2, 0, '', 0, $3)`,
				h, contract, unix(now)); err != nil {
				return db.wrap(err, "insert code")
			}
		}
		return nil
	})
}

// InsertSharedCode stores the shared code of contract; ECONFLICT when the
// contract has one already.
func (db *DB) InsertSharedCode(ctx context.Context, contract, hash, code string, now time.Time) error {
	_, err := db.wq(ctx).ExecContext(ctx, `INSERT INTO access_codes (code_hash, contract_id, shared, code, redeemed, created_at) VALUES ($1, $2, 1, $3, 0, $4)`,
		hash, contract, code, unix(now))
	return db.wrap(err, "insert shared code")
}

const codeSelect = `SELECT code_hash, contract_id, shared, code, redeemed, created_at FROM access_codes`

func scanCode(row interface{ Scan(...any) error }) (AccessCode, error) {
	var c AccessCode
	var shared, created int64
	err := row.Scan(&c.Hash, &c.ContractID, &shared, &c.Code, &c.Redeemed, &created)
	c.Shared, c.CreatedAt = shared != 0, fromUnix(created)
	if errors.Is(err, sql.ErrNoRows) {
		return c, eyelevel.ErrNotFound()
	}
	return c, err
}

// CodeByHash returns the code with this hash or ENOTFOUND.
func (db *DB) CodeByHash(ctx context.Context, hash string) (AccessCode, error) {
	c, err := scanCode(db.rq(ctx).QueryRowContext(ctx, codeSelect+` WHERE code_hash = $1`, hash))
	if eyelevel.ErrorCode(err) == eyelevel.ENOTFOUND {
		return c, err
	}
	return c, db.wrap(err, "select code")
}

// SharedCode returns the shared code of contract or ENOTFOUND.
func (db *DB) SharedCode(ctx context.Context, contract string) (AccessCode, error) {
	c, err := scanCode(db.rq(ctx).QueryRowContext(ctx, codeSelect+` WHERE contract_id = $1 AND shared = 1`, contract))
	if eyelevel.ErrorCode(err) == eyelevel.ENOTFOUND {
		return c, err
	}
	return c, db.wrap(err, "select shared code")
}

// RedeemSingle marks a single-use code redeemed and reports whether this
// call did: a conditional update, so of two racing redemptions only one
// wins (PostgreSQL re-checks the condition on the row the other changed,
// SQLite has one writer). Call it in the redemption's transaction.
func (db *DB) RedeemSingle(ctx context.Context, hash string) (bool, error) {
	res, err := db.wq(ctx).ExecContext(ctx, `UPDATE access_codes SET redeemed = 1 WHERE code_hash = $1 AND shared = 0 AND redeemed = 0`, hash)
	n, err := affected(res, err)
	return n == 1, db.wrap(err, "redeem code")
}

// RedeemShared counts one redemption of a shared code if it has been
// redeemed fewer than limit times (limit < 0: no limit), and reports
// whether it did; conditional like RedeemSingle.
func (db *DB) RedeemShared(ctx context.Context, hash string, limit int) (bool, error) {
	res, err := db.wq(ctx).ExecContext(ctx, `UPDATE access_codes SET redeemed = redeemed + 1 WHERE code_hash = $1 AND shared = 1 AND ($2 < 0 OR redeemed < $2)`,
		hash, limit)
	n, err := affected(res, err)
	return n == 1, db.wrap(err, "redeem shared code")
}

// CodeCounts are a contract's access codes in figures: single-use codes
// issued, and redemptions of all its codes (single-use and shared).
type CodeCounts struct {
	Issued   int
	Redeemed int
}

// CodeCounts counts the codes of contract.
func (db *DB) CodeCounts(ctx context.Context, contract string) (CodeCounts, error) {
	var c CodeCounts
	err := db.rq(ctx).QueryRowContext(ctx, `SELECT coalesce(sum(1 - shared), 0), coalesce(sum(redeemed), 0) FROM access_codes WHERE contract_id = $1`,
		contract).Scan(&c.Issued, &c.Redeemed)
	return c, db.wrap(err, "count codes")
}
