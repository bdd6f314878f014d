package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"eyelevel"

	"golang.org/x/text/unicode/norm"
)

// UsernameKey is the form in which usernames are compared: NFKC, lower case,
// so that "Anna" and "anna" cannot both exist.
func UsernameKey(username string) string {
	return strings.ToLower(norm.NFKC.String(username))
}

const userColumns = `id, username, role, password_hash, email, language, timezone, created_at, email_verified, notify_off, last_active_at, email_sealed, email_hash`

func scanUser(row interface{ Scan(...any) error }) (eyelevel.User, error) {
	var u eyelevel.User
	var created, active int64
	var verified int
	var off string
	err := row.Scan(&u.ID, &u.Username, &u.Role, &u.PasswordHash, &u.Email, &u.Language, &u.TimeZone, &created, &verified, &off, &active, &u.EmailSealed, &u.EmailHash)
	u.CreatedAt, u.LastActive = fromUnix(created), fromUnix(active)
	u.EmailVerified = verified != 0
	if len(u.EmailSealed) == 0 {
		u.EmailSealed = nil // PostgreSQL gives an empty bytea as []byte{}, SQLite as nil
	}
	if off != "" {
		u.NotifyOff = strings.Split(off, ",")
	}
	return u, err
}

// CreateUser inserts u. It returns ECONFLICT if the username is taken.
// With u.EmailSealed set, the address is stored only sealed.
func (db *DB) CreateUser(ctx context.Context, u eyelevel.User) error {
	if len(u.EmailSealed) > 0 {
		u.Email = ""
	}
	_, err := db.wq(ctx).ExecContext(ctx, `INSERT INTO users (`+userColumns+`, username_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		u.ID, u.Username, u.Role, u.PasswordHash, u.Email, u.Language, u.TimeZone, unix(u.CreatedAt),
		boolInt(u.EmailVerified), strings.Join(u.NotifyOff, ","), unixOrZero(u.LastActive), nonNil(u.EmailSealed), u.EmailHash, UsernameKey(u.Username))
	if isUniqueViolation(err) {
		return eyelevel.Errorf(eyelevel.ECONFLICT, "account.err.username_taken", "This username is taken.")
	}
	return db.wrap(err, "insert user")
}

// UserByID returns the user or ENOTFOUND.
func (db *DB) UserByID(ctx context.Context, id eyelevel.UserID) (eyelevel.User, error) {
	return db.user(ctx, `id = $1`, string(id))
}

// UserByUsername returns the user or ENOTFOUND; the match ignores case.
func (db *DB) UserByUsername(ctx context.Context, username string) (eyelevel.User, error) {
	return db.user(ctx, `username_key = $1`, UsernameKey(username))
}

func (db *DB) user(ctx context.Context, where string, arg any) (eyelevel.User, error) {
	u, err := scanUser(db.rq(ctx).QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return u, eyelevel.ErrNotFound()
	}
	return u, db.wrap(err, "select user")
}

// CountUsers returns how many accounts exist (used to seed demo data only
// into an empty database).
func (db *DB) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := db.rq(ctx).QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n)
	return n, db.wrap(err, "count users")
}

// LockUser serializes transactions that change what a user has booked.
func (db *DB) LockUser(ctx context.Context, id eyelevel.UserID) error {
	return db.lockRow(ctx, "users", "id", string(id))
}

// Session is a login: a browser cookie or an API bearer token. Only the
// SHA-256 hash of the token is stored.
type Session struct {
	TokenHash string
	UserID    eyelevel.UserID
	Kind      string // "web" or "api"
	CreatedAt time.Time
	ExpiresAt time.Time
	// Shared marks a browser session on a shared computer (a care
	// point's): see service.Credentials.Shared.
	Shared bool
}

// CreateSession stores s.
func (db *DB) CreateSession(ctx context.Context, s Session) error {
	_, err := db.wq(ctx).ExecContext(ctx, `INSERT INTO sessions (token_hash, user_id, kind, created_at, expires_at, shared) VALUES ($1, $2, $3, $4, $5, $6)`,
		s.TokenHash, s.UserID, s.Kind, unix(s.CreatedAt), unix(s.ExpiresAt), boolInt(s.Shared))
	return db.wrap(err, "insert session")
}

// SessionUser returns the user of an unexpired session of kind, or ENOTFOUND.
func (db *DB) SessionUser(ctx context.Context, tokenHash, kind string, now time.Time) (eyelevel.User, error) {
	u, err := scanUser(db.rq(ctx).QueryRowContext(ctx, `SELECT u.id, u.username, u.role, u.password_hash, u.email, u.language, u.timezone, u.created_at, u.email_verified, u.notify_off, u.last_active_at, u.email_sealed, u.email_hash
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.kind = $2 AND s.expires_at > $3`, tokenHash, kind, unix(now)))
	if errors.Is(err, sql.ErrNoRows) {
		return u, eyelevel.ErrNotFound()
	}
	return u, db.wrap(err, "select session")
}

// DeleteSession ends a session; deleting one that does not exist is no error.
func (db *DB) DeleteSession(ctx context.Context, tokenHash string) error {
	_, err := db.wq(ctx).ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = $1`, tokenHash)
	return db.wrap(err, "delete session")
}

// DeleteUserSessions ends every session and API token of user.
func (db *DB) DeleteUserSessions(ctx context.Context, user eyelevel.UserID) (int64, error) {
	res, err := db.wq(ctx).ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1`, user)
	if err != nil {
		return 0, db.wrap(err, "delete user sessions")
	}
	return res.RowsAffected()
}

// DeleteExpiredSessions removes sessions that expired before now.
func (db *DB) DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error) {
	res, err := db.wq(ctx).ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= $1`, unix(now))
	if err != nil {
		return 0, db.wrap(err, "delete sessions")
	}
	return res.RowsAffected()
}
