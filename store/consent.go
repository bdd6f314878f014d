package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// Consent is one consent to the processing of health data (GDPR
// Art. 9(2)(a)): who gave it, when, to which version of the text, and who
// recorded it ("" for the client themselves, else the care-point staff
// member before whom the client agreed).
type Consent struct {
	UserID     string
	Version    string
	GivenAt    time.Time
	RecordedBy string
}

// AddConsent records c.
func (db *DB) AddConsent(ctx context.Context, c Consent) error {
	_, err := db.wq(ctx).ExecContext(ctx, `INSERT INTO consents (user_id, version, given_at, recorded_by) VALUES ($1, $2, $3, $4)`,
		c.UserID, c.Version, unix(c.GivenAt), c.RecordedBy)
	return db.wrap(err, "insert consent")
}

// LatestConsent returns the user's latest consent; ok is false when they
// never gave one.
func (db *DB) LatestConsent(ctx context.Context, userID string) (c Consent, ok bool, err error) {
	var at int64
	err = db.rq(ctx).QueryRowContext(ctx, `SELECT user_id, version, given_at, recorded_by FROM consents WHERE user_id = $1 ORDER BY given_at DESC, version DESC LIMIT 1`, userID).
		Scan(&c.UserID, &c.Version, &at, &c.RecordedBy)
	if errors.Is(err, sql.ErrNoRows) {
		return Consent{}, false, nil
	} else if err != nil {
		return Consent{}, false, db.wrap(err, "select consent")
	}
	c.GivenAt = fromUnix(at)
	return c, true, nil
}

// Consents lists the user's consents, oldest first.
func (db *DB) Consents(ctx context.Context, userID string) ([]Consent, error) {
	rows, err := db.rq(ctx).QueryContext(ctx, `SELECT user_id, version, given_at, recorded_by FROM consents WHERE user_id = $1 ORDER BY given_at, version`, userID)
	if err != nil {
		return nil, db.wrap(err, "select consents")
	}
	defer rows.Close()
	var out []Consent
	for rows.Next() {
		var c Consent
		var at int64
		if err := rows.Scan(&c.UserID, &c.Version, &at, &c.RecordedBy); err != nil {
			return nil, db.wrap(err, "scan consent")
		}
		c.GivenAt = fromUnix(at)
		out = append(out, c)
	}
	return out, db.wrap(rows.Err(), "select consents")
}
