package store

import (
	"context"

	"eyelevel"
)

// SetVerifiedEmail gives user the email address email, verified (serve
// --demo gives its accounts example addresses this way, so that a demo
// with --smtp sends real mail).
func (db *DB) SetVerifiedEmail(ctx context.Context, user eyelevel.UserID, email string) error {
	res, err := db.wq(ctx).ExecContext(ctx, `UPDATE users SET email = $2, email_verified = 1 WHERE id = $1`, user, email)
	if err != nil {
		return db.wrap(err, "set email")
	}
	if n, err := res.RowsAffected(); err != nil {
		return db.wrap(err, "set email")
	} else if n == 0 {
		return eyelevel.ErrNotFound()
	}
	return nil
}
