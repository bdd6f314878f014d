package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"eyelevel"
)

// Passkey is a registered WebAuthn credential of an account. Credential is
// the service's serialized credential record; the other fields are kept in
// their own columns to be listed, counted and updated.
type Passkey struct {
	ID         []byte // the credential id
	UserID     eyelevel.UserID
	Name       string
	PublicKey  []byte
	SignCount  uint32
	AAGUID     []byte
	Credential []byte
	CreatedAt  time.Time
	LastUsedAt time.Time // zero: never used to log in
}

// PutPasskey stores a new passkey; a credential id registered before (by
// anyone) is ECONFLICT.
func (db *DB) PutPasskey(ctx context.Context, p Passkey) error {
	var n int
	if err := db.rq(ctx).QueryRowContext(ctx, `SELECT count(*) FROM passkeys WHERE id = $1`, p.ID).Scan(&n); err != nil {
		return db.wrap(err, "find passkey")
	}
	if n > 0 {
		return eyelevel.Errorf(eyelevel.ECONFLICT, "passkey.err.known", "This passkey is already registered.")
	}
	_, err := db.wq(ctx).ExecContext(ctx, `INSERT INTO passkeys (id, user_id, name, public_key, sign_count, aaguid, credential, created_at, last_used_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0)`,
		p.ID, p.UserID, p.Name, p.PublicKey, int64(p.SignCount), nonNil(p.AAGUID), p.Credential, unix(p.CreatedAt))
	return db.wrap(err, "insert passkey")
}

// PasskeysOf returns user's passkeys, oldest first.
func (db *DB) PasskeysOf(ctx context.Context, user eyelevel.UserID) ([]Passkey, error) {
	rows, err := db.rq(ctx).QueryContext(ctx, `SELECT id, name, public_key, sign_count, aaguid, credential, created_at, last_used_at FROM passkeys WHERE user_id = $1 ORDER BY created_at, id`, user)
	if err != nil {
		return nil, db.wrap(err, "select passkeys")
	}
	defer rows.Close()
	var out []Passkey
	for rows.Next() {
		p := Passkey{UserID: user}
		var count, created, used int64
		if err := rows.Scan(&p.ID, &p.Name, &p.PublicKey, &count, &p.AAGUID, &p.Credential, &created, &used); err != nil {
			return nil, db.wrap(err, "scan passkey")
		}
		p.SignCount, p.CreatedAt = uint32(count), fromUnix(created)
		if used != 0 {
			p.LastUsedAt = fromUnix(used)
		}
		out = append(out, p)
	}
	return out, db.wrap(rows.Err(), "select passkeys")
}

// CountPasskeys counts user's passkeys.
func (db *DB) CountPasskeys(ctx context.Context, user eyelevel.UserID) (int, error) {
	var n int
	err := db.rq(ctx).QueryRowContext(ctx, `SELECT count(*) FROM passkeys WHERE user_id = $1`, user).Scan(&n)
	return n, db.wrap(err, "count passkeys")
}

// UsePasskey records a login with user's passkey id: its new signature
// counter and credential record, and the time. The update is conditional
// on the counter still being old, so of two logins that read the same
// counter only one succeeds; it reports whether this one did.
func (db *DB) UsePasskey(ctx context.Context, user eyelevel.UserID, id []byte, old, count uint32, credential []byte, at time.Time) (bool, error) {
	res, err := db.wq(ctx).ExecContext(ctx, `UPDATE passkeys SET sign_count = $1, credential = $2, last_used_at = $3 WHERE id = $4 AND user_id = $5 AND sign_count = $6`,
		int64(count), credential, unix(at), id, user, int64(old))
	if err != nil {
		return false, db.wrap(err, "update passkey")
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// DeletePasskey removes user's passkey id and reports whether there was one.
func (db *DB) DeletePasskey(ctx context.Context, user eyelevel.UserID, id []byte) (bool, error) {
	res, err := db.wq(ctx).ExecContext(ctx, `DELETE FROM passkeys WHERE user_id = $1 AND id = $2`, user, id)
	if err != nil {
		return false, db.wrap(err, "delete passkey")
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// DeleteUserPasskeys removes all of user's passkeys and started ceremonies
// and returns how many passkeys there were.
func (db *DB) DeleteUserPasskeys(ctx context.Context, user eyelevel.UserID) (int64, error) {
	var n int64
	err := db.InTx(ctx, func(ctx context.Context) error {
		if _, err := db.wq(ctx).ExecContext(ctx, `DELETE FROM passkey_challenges WHERE user_id = $1`, user); err != nil {
			return db.wrap(err, "delete passkey challenges")
		}
		res, err := db.wq(ctx).ExecContext(ctx, `DELETE FROM passkeys WHERE user_id = $1`, user)
		if err != nil {
			return db.wrap(err, "delete passkeys")
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

// PasskeyChallenge is a started WebAuthn ceremony (see the migration).
type PasskeyChallenge struct {
	Challenge string
	UserID    eyelevel.UserID
	Purpose   string // "register" or "login"
	Binding   string
	Session   []byte
	Expires   time.Time
}

// PutPasskeyChallenge stores c and removes ceremonies that expired before
// now.
func (db *DB) PutPasskeyChallenge(ctx context.Context, c PasskeyChallenge, now time.Time) error {
	return db.InTx(ctx, func(ctx context.Context) error {
		if _, err := db.wq(ctx).ExecContext(ctx, `DELETE FROM passkey_challenges WHERE expires_at <= $1`, unix(now)); err != nil {
			return db.wrap(err, "delete expired passkey challenges")
		}
		_, err := db.wq(ctx).ExecContext(ctx, `INSERT INTO passkey_challenges (challenge, user_id, purpose, binding, session, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			c.Challenge, c.UserID, c.Purpose, c.Binding, c.Session, unix(c.Expires))
		return db.wrap(err, "insert passkey challenge")
	})
}

// TakePasskeyChallenge deletes the ceremony of challenge if it belongs to
// user, purpose and binding, and returns its session data if it had not
// expired at now. ENOTFOUND otherwise, and for the second of two requests
// taking the same ceremony.
func (db *DB) TakePasskeyChallenge(ctx context.Context, challenge string, user eyelevel.UserID, purpose, binding string, now time.Time) ([]byte, error) {
	var session []byte
	err := db.InTx(ctx, func(ctx context.Context) error {
		var exp int64
		err := db.rq(ctx).QueryRowContext(ctx, `SELECT session, expires_at FROM passkey_challenges WHERE challenge = $1 AND user_id = $2 AND purpose = $3 AND binding = $4`,
			challenge, user, purpose, binding).Scan(&session, &exp)
		if errors.Is(err, sql.ErrNoRows) {
			return eyelevel.ErrNotFound()
		} else if err != nil {
			return db.wrap(err, "select passkey challenge")
		}
		res, err := db.wq(ctx).ExecContext(ctx, `DELETE FROM passkey_challenges WHERE challenge = $1`, challenge)
		if err != nil {
			return db.wrap(err, "delete passkey challenge")
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 || exp <= unix(now) {
			return eyelevel.ErrNotFound()
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return session, nil
}

// AddRecoveryCodes stores codeHashes as user's recovery codes (beside any
// left), for an account that got its first factor without TOTP.
func (db *DB) AddRecoveryCodes(ctx context.Context, user eyelevel.UserID, codeHashes []string) error {
	return db.InTx(ctx, func(ctx context.Context) error {
		for _, h := range codeHashes {
			if _, err := db.wq(ctx).ExecContext(ctx, `INSERT INTO second_factor_codes (user_id, code_hash) VALUES ($1, $2)`, user, h); err != nil {
				return db.wrap(err, "insert recovery code")
			}
		}
		return nil
	})
}
