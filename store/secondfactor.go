package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"eyelevel"
)

// SecondFactor is an account's TOTP enrolment. Secret is sealed by the
// service; Confirmed is zero until a first code confirmed it.
type SecondFactor struct {
	UserID    eyelevel.UserID
	Secret    []byte
	Confirmed time.Time
	LastStep  int64
	CreatedAt time.Time
}

// PutSecondFactor stores a new, unconfirmed enrolment of f.UserID,
// replacing an unconfirmed one; a confirmed one stays and the call
// returns ECONFLICT.
func (db *DB) PutSecondFactor(ctx context.Context, f SecondFactor) error {
	res, err := db.wq(ctx).ExecContext(ctx, `UPDATE second_factors SET secret = $1, last_step = 0, created_at = $2 WHERE user_id = $3 AND confirmed_at = 0`,
		f.Secret, unix(f.CreatedAt), f.UserID)
	if err != nil {
		return db.wrap(err, "update second factor")
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	_, err = db.wq(ctx).ExecContext(ctx, `INSERT INTO second_factors (user_id, secret, created_at) VALUES ($1, $2, $3)`,
		f.UserID, f.Secret, unix(f.CreatedAt))
	return db.wrap(err, "insert second factor")
}

// SecondFactorOf returns user's enrolment (confirmed or not), or ENOTFOUND.
func (db *DB) SecondFactorOf(ctx context.Context, user eyelevel.UserID) (SecondFactor, error) {
	f := SecondFactor{UserID: user}
	var confirmed, created int64
	err := db.rq(ctx).QueryRowContext(ctx, `SELECT secret, confirmed_at, last_step, created_at FROM second_factors WHERE user_id = $1`, user).
		Scan(&f.Secret, &confirmed, &f.LastStep, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return f, eyelevel.ErrNotFound()
	} else if err != nil {
		return f, db.wrap(err, "select second factor")
	}
	if confirmed != 0 {
		f.Confirmed = fromUnix(confirmed)
	}
	f.CreatedAt = fromUnix(created)
	return f, nil
}

// HasSecondFactor reports whether user has a confirmed second factor.
func (db *DB) HasSecondFactor(ctx context.Context, user eyelevel.UserID) (bool, error) {
	var n int
	err := db.rq(ctx).QueryRowContext(ctx, `SELECT count(*) FROM second_factors WHERE user_id = $1 AND confirmed_at <> 0`, user).Scan(&n)
	return n > 0, db.wrap(err, "count second factors")
}

// AcceptStep records step as user's last accepted TOTP time step if it is
// strictly later than the one stored, in one conditional UPDATE, and
// reports whether it was: of two logins with the same code only one wins.
func (db *DB) AcceptStep(ctx context.Context, user eyelevel.UserID, step int64) (bool, error) {
	res, err := db.wq(ctx).ExecContext(ctx, `UPDATE second_factors SET last_step = $1 WHERE user_id = $2 AND last_step < $1`, step, user)
	if err != nil {
		return false, db.wrap(err, "accept step")
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ConfirmSecondFactor marks user's enrolment confirmed at and replaces
// their recovery codes with codeHashes.
func (db *DB) ConfirmSecondFactor(ctx context.Context, user eyelevel.UserID, at time.Time, codeHashes []string) error {
	return db.InTx(ctx, func(ctx context.Context) error {
		if _, err := db.wq(ctx).ExecContext(ctx, `UPDATE second_factors SET confirmed_at = $1 WHERE user_id = $2`, unix(at), user); err != nil {
			return db.wrap(err, "confirm second factor")
		}
		if _, err := db.wq(ctx).ExecContext(ctx, `DELETE FROM second_factor_codes WHERE user_id = $1`, user); err != nil {
			return db.wrap(err, "delete recovery codes")
		}
		for _, h := range codeHashes {
			if _, err := db.wq(ctx).ExecContext(ctx, `INSERT INTO second_factor_codes (user_id, code_hash) VALUES ($1, $2)`, user, h); err != nil {
				return db.wrap(err, "insert recovery code")
			}
		}
		return nil
	})
}

// UseRecoveryCode deletes user's recovery code of hash and reports whether
// there was one; a code is used once, even by two concurrent logins.
func (db *DB) UseRecoveryCode(ctx context.Context, user eyelevel.UserID, hash string) (bool, error) {
	res, err := db.wq(ctx).ExecContext(ctx, `DELETE FROM second_factor_codes WHERE user_id = $1 AND code_hash = $2`, user, hash)
	if err != nil {
		return false, db.wrap(err, "use recovery code")
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// RecoveryCodesLeft counts user's unused recovery codes.
func (db *DB) RecoveryCodesLeft(ctx context.Context, user eyelevel.UserID) (int, error) {
	var n int
	err := db.rq(ctx).QueryRowContext(ctx, `SELECT count(*) FROM second_factor_codes WHERE user_id = $1`, user).Scan(&n)
	return n, db.wrap(err, "count recovery codes")
}

// DeleteSecondFactor removes user's enrolment and recovery codes and
// reports whether there was an enrolment.
func (db *DB) DeleteSecondFactor(ctx context.Context, user eyelevel.UserID) (bool, error) {
	var n int64
	err := db.InTx(ctx, func(ctx context.Context) error {
		if _, err := db.wq(ctx).ExecContext(ctx, `DELETE FROM second_factor_codes WHERE user_id = $1`, user); err != nil {
			return db.wrap(err, "delete recovery codes")
		}
		res, err := db.wq(ctx).ExecContext(ctx, `DELETE FROM second_factors WHERE user_id = $1`, user)
		if err != nil {
			return db.wrap(err, "delete second factor")
		}
		n, err = res.RowsAffected()
		return err
	})
	return n > 0, err
}

// CreateSessionFactor stores s, marking whether it was started with the
// second factor (or by an account that needs none).
func (db *DB) CreateSessionFactor(ctx context.Context, s Session, secondFactor bool) error {
	_, err := db.wq(ctx).ExecContext(ctx, `INSERT INTO sessions (token_hash, user_id, kind, created_at, expires_at, shared, second_factor) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		s.TokenHash, s.UserID, s.Kind, unix(s.CreatedAt), unix(s.ExpiresAt), boolInt(s.Shared), boolInt(secondFactor))
	return db.wrap(err, "insert session")
}

// SessionSecondFactor reports whether the session of tokenHash was
// started with the second factor; a missing session has not.
func (db *DB) SessionSecondFactor(ctx context.Context, tokenHash string) (bool, error) {
	var sf int
	err := db.rq(ctx).QueryRowContext(ctx, `SELECT second_factor FROM sessions WHERE token_hash = $1`, tokenHash).Scan(&sf)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return sf != 0, db.wrap(err, "select session factor")
}

// DeleteLimitedSessions ends user's sessions and API tokens started
// without the second factor and returns how many there were.
func (db *DB) DeleteLimitedSessions(ctx context.Context, user eyelevel.UserID) (int64, error) {
	res, err := db.wq(ctx).ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1 AND second_factor = 0`, user)
	if err != nil {
		return 0, db.wrap(err, "delete limited sessions")
	}
	return res.RowsAffected()
}
