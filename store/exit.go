package store

import (
	"context"
	"time"

	"eyelevel"
)

// OpenContracts lists the contracts whose exit has not been carried out
// yet (closed_at 0), for the job that carries it out.
func (db *DB) OpenContracts(ctx context.Context) ([]eyelevel.Contract, error) {
	return db.queryContracts(ctx, contractSelect+` WHERE k.closed_at = 0 ORDER BY k.ends, k.id`)
}

// UnlinkContract deletes an organization's link to its people through
// contract: the appointments forget their credit and contract, the
// credits and the care-point links of the contract are deleted, and the
// contract is marked closed at now. Clients keep their accounts and
// appointments. It reports false, changing nothing, when the contract was
// closed already. Call it in the exit's transaction, after the snapshots.
func (db *DB) UnlinkContract(ctx context.Context, contract string, now time.Time) (bool, error) {
	closed := false
	err := db.InTx(ctx, func(ctx context.Context) error {
		res, err := db.wq(ctx).ExecContext(ctx, `UPDATE contracts SET closed_at = $2 WHERE id = $1 AND closed_at = 0`, contract, unix(now))
		if n, err := affected(res, err); err != nil || n == 0 {
			return db.wrap(err, "close contract")
		}
		for _, q := range []string{
			`UPDATE appointments SET credit_id = '' WHERE credit_id IN (SELECT id FROM credits WHERE contract_id = $1)`,
			`UPDATE appointments SET contract_id = '' WHERE contract_id = $1 AND contract_id <> ''`,
			`DELETE FROM credits WHERE contract_id = $1`,
			`DELETE FROM carepoint_clients WHERE contract_id = $1`,
		} {
			if _, err := db.wq(ctx).ExecContext(ctx, q, contract); err != nil {
				return db.wrap(err, "unlink contract")
			}
		}
		closed = true
		return nil
	})
	return closed, err
}
