package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"eyelevel"
)

// Purposes of account tokens.
const (
	TokenReset  = "reset"  // a password-reset link
	TokenVerify = "verify" // an email-verification link
)

// AccountToken is a single-use link sent by mail. Only the SHA-256 of the
// token is stored. UserID "" marks a decoy (see CreateAccountToken).
type AccountToken struct {
	TokenHash string
	Purpose   string
	UserID    eyelevel.UserID
	Email     string // the address a verify token verifies
	CreatedAt time.Time
	ExpiresAt time.Time
	// EmailSealed is Email at rest (sealed with the user's data key);
	// with it set, Email is not stored.
	EmailSealed []byte
}

// CreateAccountToken stores t. A token with UserID "" is a decoy that no
// lookup returns: it keeps a reset asked for an unknown account as costly
// as one for a known account.
func (db *DB) CreateAccountToken(ctx context.Context, t AccountToken) error {
	if len(t.EmailSealed) > 0 {
		t.Email = ""
	}
	_, err := db.wq(ctx).ExecContext(ctx, `INSERT INTO account_tokens (token_hash, purpose, user_id, email, created_at, expires_at, email_sealed) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		t.TokenHash, t.Purpose, string(t.UserID), t.Email, unix(t.CreatedAt), unix(t.ExpiresAt), nonNil(t.EmailSealed))
	return db.wrap(err, "insert account token")
}

// AccountTokenOf returns the unexpired token of purpose with tokenHash, or
// ENOTFOUND (also for decoys).
func (db *DB) AccountTokenOf(ctx context.Context, tokenHash, purpose string, now time.Time) (AccountToken, error) {
	var t AccountToken
	var created, expires int64
	err := db.rq(ctx).QueryRowContext(ctx, `SELECT token_hash, purpose, user_id, email, created_at, expires_at, email_sealed FROM account_tokens
		WHERE token_hash = $1 AND purpose = $2 AND expires_at > $3 AND user_id <> ''`, tokenHash, purpose, unix(now)).
		Scan(&t.TokenHash, &t.Purpose, &t.UserID, &t.Email, &created, &expires, &t.EmailSealed)
	if errors.Is(err, sql.ErrNoRows) {
		return t, eyelevel.ErrNotFound()
	}
	t.CreatedAt, t.ExpiresAt = fromUnix(created), fromUnix(expires)
	return t, db.wrap(err, "select account token")
}

// ConsumeAccountToken deletes the token, so that it works once; it returns
// ENOTFOUND when another request used it first. Call it in the transaction
// of the change the token allows.
func (db *DB) ConsumeAccountToken(ctx context.Context, tokenHash string) error {
	res, err := db.wq(ctx).ExecContext(ctx, `DELETE FROM account_tokens WHERE token_hash = $1`, tokenHash)
	if err != nil {
		return db.wrap(err, "delete account token")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return eyelevel.ErrNotFound()
	}
	return nil
}

// DeleteAccountTokens deletes every token of purpose of user.
func (db *DB) DeleteAccountTokens(ctx context.Context, user eyelevel.UserID, purpose string) error {
	_, err := db.wq(ctx).ExecContext(ctx, `DELETE FROM account_tokens WHERE user_id = $1 AND purpose = $2`, string(user), purpose)
	return db.wrap(err, "delete account tokens")
}

// DeleteExpiredAccountTokens removes tokens that expired before now.
func (db *DB) DeleteExpiredAccountTokens(ctx context.Context, now time.Time) (int64, error) {
	res, err := db.wq(ctx).ExecContext(ctx, `DELETE FROM account_tokens WHERE expires_at <= $1`, unix(now))
	if err != nil {
		return 0, db.wrap(err, "delete expired account tokens")
	}
	return res.RowsAffected()
}

// CountAccountTokens returns how many tokens of purpose exist, decoys
// included (tests compare the work of known and unknown accounts).
func (db *DB) CountAccountTokens(ctx context.Context, purpose string) (int, error) {
	var n int
	err := db.rq(ctx).QueryRowContext(ctx, `SELECT count(*) FROM account_tokens WHERE purpose = $1`, purpose).Scan(&n)
	return n, db.wrap(err, "count account tokens")
}

// PendingEmail returns the address of user's newest unexpired
// verification link — in plain text (written before encryption) or sealed —
// or "" and nil.
func (db *DB) PendingEmail(ctx context.Context, user eyelevel.UserID, now time.Time) (string, []byte, error) {
	var email string
	var sealed []byte
	err := db.rq(ctx).QueryRowContext(ctx, `SELECT email, email_sealed FROM account_tokens WHERE user_id = $1 AND purpose = $2 AND expires_at > $3
		ORDER BY created_at DESC LIMIT 1`, string(user), TokenVerify, unix(now)).Scan(&email, &sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil, nil
	}
	return email, sealed, db.wrap(err, "select pending email")
}

// UsersByVerifiedEmail returns up to limit accounts whose verified address
// has the lookup hash hash (service.emailHash: of the lower-cased address).
func (db *DB) UsersByVerifiedEmail(ctx context.Context, hash string, limit int) ([]eyelevel.User, error) {
	rows, err := db.rq(ctx).QueryContext(ctx, `SELECT `+userColumns+` FROM users WHERE email_hash = $1 AND email_hash <> '' AND email_verified = 1
		ORDER BY id LIMIT $2`, hash, limit)
	if err != nil {
		return nil, db.wrap(err, "select users by email")
	}
	defer rows.Close()
	var out []eyelevel.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, db.wrap(err, "scan user")
		}
		out = append(out, u)
	}
	return out, db.wrap(rows.Err(), "select users by email")
}

// SetPassword replaces user's password hash.
func (db *DB) SetPassword(ctx context.Context, user eyelevel.UserID, hash string) error {
	return db.updateUser(ctx, `password_hash = $2`, user, hash)
}

// SetRecoveryHash replaces the hash of user's recovery code ("" for none).
func (db *DB) SetRecoveryHash(ctx context.Context, user eyelevel.UserID, hash string) error {
	return db.updateUser(ctx, `recovery_hash = $2`, user, hash)
}

// RecoveryHash returns the hash of user's recovery code, "" when they have
// none, or ENOTFOUND.
func (db *DB) RecoveryHash(ctx context.Context, user eyelevel.UserID) (string, error) {
	var h string
	err := db.rq(ctx).QueryRowContext(ctx, `SELECT recovery_hash FROM users WHERE id = $1`, string(user)).Scan(&h)
	if errors.Is(err, sql.ErrNoRows) {
		return "", eyelevel.ErrNotFound()
	}
	return h, db.wrap(err, "select recovery hash")
}

// SetEmail sets user's address — sealed, with its lookup hash; nil and ""
// for none — and whether it is verified. The plain-text column is emptied.
func (db *DB) SetEmail(ctx context.Context, user eyelevel.UserID, sealed []byte, hash string, verified bool) error {
	return db.updateUser(ctx, `email = '', email_sealed = $2, email_hash = $3, email_verified = $4`, user, nonNil(sealed), hash, boolInt(verified))
}

// SetPreferences sets user's language, time zone and switched-off
// notification kinds.
func (db *DB) SetPreferences(ctx context.Context, user eyelevel.UserID, language, timezone string, notifyOff []string) error {
	return db.updateUser(ctx, `language = $2, timezone = $3, notify_off = $4`, user, language, timezone, strings.Join(notifyOff, ","))
}

func (db *DB) updateUser(ctx context.Context, set string, user eyelevel.UserID, args ...any) error {
	res, err := db.wq(ctx).ExecContext(ctx, `UPDATE users SET `+set+` WHERE id = $1`, append([]any{string(user)}, args...)...)
	if err != nil {
		return db.wrap(err, "update user")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return eyelevel.ErrNotFound()
	}
	return nil
}

// DeleteUserSessionsExcept ends every session and API token of user but
// the one with keepHash.
func (db *DB) DeleteUserSessionsExcept(ctx context.Context, user eyelevel.UserID, keepHash string) (int64, error) {
	res, err := db.wq(ctx).ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2`, string(user), keepHash)
	if err != nil {
		return 0, db.wrap(err, "delete other sessions")
	}
	return res.RowsAffected()
}
