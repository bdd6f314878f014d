package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"eyelevel"
)

// GrantCredit inserts a client's credit. A second credit of the same
// contract for the same client is ECONFLICT.
func (db *DB) GrantCredit(ctx context.Context, c eyelevel.Credit) error {
	var contract, purchase any
	if c.ContractID != "" {
		contract = c.ContractID
	}
	if c.PurchaseID != "" {
		purchase = c.PurchaseID
	}
	_, err := db.wq(ctx).ExecContext(ctx, `INSERT INTO credits (id, client_id, source, contract_id, purchase_id, granted, used, started, expires_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		c.ID, string(c.ClientID), c.Source, contract, purchase, c.Granted, c.Used, boolInt(c.Started), unix(c.ExpiresAt), unix(c.CreatedAt))
	if isUniqueViolation(err) {
		return eyelevel.Errorf(eyelevel.ECONFLICT, "code.err.already_held", "You already hold the sessions of this organization's contract.")
	}
	return db.wrap(err, "insert credit")
}

const creditSelect = `SELECT r.id, r.client_id, r.source, coalesce(r.contract_id, ''), coalesce(r.purchase_id, ''), r.granted, r.used, r.started,
	r.expires_at, r.created_at, coalesce(o.name, ''), coalesce(k.ends, ''), coalesce(k.pool, 0), coalesce(k.pool_used, 0)
	FROM credits r LEFT JOIN contracts k ON k.id = r.contract_id LEFT JOIN organizations o ON o.id = k.organization_id`

func scanCredit(row interface{ Scan(...any) error }) (eyelevel.Credit, error) {
	var c eyelevel.Credit
	var started, expires, created int64
	var ends string
	var pool, poolUsed int
	err := row.Scan(&c.ID, &c.ClientID, &c.Source, &c.ContractID, &c.PurchaseID, &c.Granted, &c.Used, &started, &expires, &created,
		&c.Organization, &ends, &pool, &poolUsed)
	c.Started, c.ExpiresAt, c.CreatedAt = started != 0, fromUnix(expires), fromUnix(created)
	c.PoolLeft = eyelevel.Contract{Pool: pool, PoolUsed: poolUsed}.PoolLeft()
	if ends != "" {
		c.ContractEnd = eyelevel.Contract{Ends: ends}.EndTime()
	}
	return c, err
}

// ClientCredits lists a client's credits that have not expired at now (and
// those with sessions still in use), organization credits first, then by
// expiry: the order in which booking draws them.
func (db *DB) ClientCredits(ctx context.Context, client eyelevel.UserID, now time.Time) ([]eyelevel.Credit, error) {
	rows, err := db.rq(ctx).QueryContext(ctx, creditSelect+` WHERE r.client_id = $1 AND (r.expires_at > $2 OR r.used > 0)
		ORDER BY CASE r.source WHEN 'organization' THEN 0 ELSE 1 END, r.expires_at, r.id`, string(client), unix(now))
	if err != nil {
		return nil, db.wrap(err, "select credits")
	}
	defer rows.Close()
	var out []eyelevel.Credit
	for rows.Next() {
		c, err := scanCredit(rows)
		if err != nil {
			return nil, db.wrap(err, "scan credit")
		}
		out = append(out, c)
	}
	return out, db.wrap(rows.Err(), "select credits")
}

// Credit returns one credit or ENOTFOUND.
func (db *DB) Credit(ctx context.Context, id string) (eyelevel.Credit, error) {
	c, err := scanCredit(db.rq(ctx).QueryRowContext(ctx, creditSelect+` WHERE r.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, eyelevel.ErrNotFound()
	}
	return c, db.wrap(err, "select credit")
}

// DrawCredit takes one session from credit id and, for an organization's
// credit, from its contract's pool, and marks the course started. Each is
// one conditional update, so that racing bookings never overdraw either:
// PostgreSQL re-checks the condition on the row a concurrent transaction
// changed, SQLite has one writer. It reports false, and changes nothing,
// when either is used up; call it inside the booking's transaction. The
// pool goes first and is given back by hand when the credit is used up:
// inside the caller's transaction a returned error rolls nothing back.
func (db *DB) DrawCredit(ctx context.Context, id, contract string) (bool, error) {
	ok := false
	err := db.InTx(ctx, func(ctx context.Context) error {
		if contract != "" {
			res, err := db.wq(ctx).ExecContext(ctx, `UPDATE contracts SET pool_used = pool_used + 1 WHERE id = $1 AND (pool = 0 OR pool_used < pool)`, contract)
			if n, err := affected(res, err); err != nil || n == 0 {
				return db.wrap(err, "draw credit")
			}
		}
		res, err := db.wq(ctx).ExecContext(ctx, `UPDATE credits SET used = used + 1, started = 1 WHERE id = $1 AND used < granted`, id)
		if n, err := affected(res, err); err != nil || n == 0 {
			if err == nil && contract != "" {
				_, err = db.wq(ctx).ExecContext(ctx, `UPDATE contracts SET pool_used = pool_used - 1 WHERE id = $1`, contract)
			}
			return db.wrap(err, "draw credit")
		}
		ok = true
		return nil
	})
	return ok, err
}

// ReturnCredit gives one session back to credit id and its contract's pool
// (a cancellation in time, a counselor's cancellation or no-show).
func (db *DB) ReturnCredit(ctx context.Context, id, contract string) error {
	return db.InTx(ctx, func(ctx context.Context) error {
		if _, err := db.wq(ctx).ExecContext(ctx, `UPDATE credits SET used = used - 1 WHERE id = $1 AND used > 0`, id); err != nil {
			return db.wrap(err, "return credit")
		}
		if contract == "" {
			return nil
		}
		_, err := db.wq(ctx).ExecContext(ctx, `UPDATE contracts SET pool_used = pool_used - 1 WHERE id = $1 AND pool_used > 0`, contract)
		return db.wrap(err, "return credit")
	})
}

func affected(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// Pricing returns the operator's prices; without a row, sessions are free.
func (db *DB) Pricing(ctx context.Context) (eyelevel.Pricing, error) {
	var p eyelevel.Pricing
	var packages string
	err := db.rq(ctx).QueryRowContext(ctx, `SELECT currency, session_price, packages FROM pricing WHERE id = 1`).Scan(&p.Currency, &p.SessionPrice, &packages)
	if errors.Is(err, sql.ErrNoRows) {
		return eyelevel.Pricing{Currency: "EUR"}, nil
	} else if err != nil {
		return p, db.wrap(err, "select pricing")
	}
	for f := range strings.SplitSeq(packages, ",") {
		if n, err := strconv.Atoi(f); err == nil {
			p.Packages = append(p.Packages, n)
		}
	}
	return p, nil
}

// SetPricing stores the operator's prices.
func (db *DB) SetPricing(ctx context.Context, p eyelevel.Pricing, now time.Time) error {
	sizes := make([]string, len(p.Packages))
	for i, n := range p.Packages {
		sizes[i] = strconv.Itoa(n)
	}
	_, err := db.wq(ctx).ExecContext(ctx, `INSERT INTO pricing (id, currency, session_price, packages, updated_at) VALUES (1, $1, $2, $3, $4)
		ON CONFLICT (id) DO UPDATE SET currency = excluded.currency, session_price = excluded.session_price, packages = excluded.packages, updated_at = excluded.updated_at`,
		p.Currency, p.SessionPrice, strings.Join(sizes, ","), unix(now))
	return db.wrap(err, "set pricing")
}

// AddStaff records that user belongs to organization org (roles carepoint
// and orgadmin).
func (db *DB) AddStaff(ctx context.Context, user eyelevel.UserID, org, displayName string) error {
	_, err := db.wq(ctx).ExecContext(ctx, `INSERT INTO organization_staff (user_id, organization_id, display_name) VALUES ($1, $2, $3)`,
		string(user), org, displayName)
	return db.wrap(err, "insert staff")
}

// StaffOrganization returns the organization a staff member belongs to,
// or ENOTFOUND.
func (db *DB) StaffOrganization(ctx context.Context, user eyelevel.UserID) (string, error) {
	var org string
	err := db.rq(ctx).QueryRowContext(ctx, `SELECT organization_id FROM organization_staff WHERE user_id = $1`, string(user)).Scan(&org)
	if errors.Is(err, sql.ErrNoRows) {
		return "", eyelevel.ErrNotFound()
	}
	return org, db.wrap(err, "select staff")
}

// CarePointLink is a client registered by a care point, with the
// client's recorded consent.
type CarePointLink struct {
	ClientID       eyelevel.UserID
	StaffID        eyelevel.UserID
	OrganizationID string
	ContractID     string
	ConsentVersion string
	ConsentAt      time.Time
}

// CreateCarePointLink records that a care point registered a client.
func (db *DB) CreateCarePointLink(ctx context.Context, l CarePointLink) error {
	_, err := db.wq(ctx).ExecContext(ctx, `INSERT INTO carepoint_clients (client_id, staff_id, organization_id, contract_id, consent_version, consent_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, string(l.ClientID), string(l.StaffID), l.OrganizationID, l.ContractID, l.ConsentVersion, unix(l.ConsentAt))
	return db.wrap(err, "insert care-point link")
}

// CarePointLinkOf returns the care-point link of a client, or ENOTFOUND
// when no care point acts for the client (any more).
func (db *DB) CarePointLinkOf(ctx context.Context, client eyelevel.UserID) (CarePointLink, error) {
	var l CarePointLink
	var at int64
	err := db.rq(ctx).QueryRowContext(ctx, `SELECT client_id, staff_id, organization_id, contract_id, consent_version, consent_at FROM carepoint_clients WHERE client_id = $1`,
		string(client)).Scan(&l.ClientID, &l.StaffID, &l.OrganizationID, &l.ContractID, &l.ConsentVersion, &at)
	l.ConsentAt = fromUnix(at)
	if errors.Is(err, sql.ErrNoRows) {
		return l, eyelevel.ErrNotFound()
	}
	return l, db.wrap(err, "select care-point link")
}
