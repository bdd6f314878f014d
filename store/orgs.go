package store

import (
	"context"
	"database/sql"
	"errors"

	"eyelevel"
)

// CreateOrganization inserts o; ECONFLICT if the slug is taken.
func (db *DB) CreateOrganization(ctx context.Context, o eyelevel.Organization) error {
	_, err := db.wq(ctx).ExecContext(ctx, `INSERT INTO organizations (id, name, slug, created_at) VALUES ($1, $2, $3, $4)`,
		o.ID, o.Name, o.Slug, unix(o.CreatedAt))
	if isUniqueViolation(err) {
		e := eyelevel.Errorf(eyelevel.ECONFLICT, "org.err.slug_taken", "This address is taken by another organization.")
		e.Fields = map[string]string{"slug": "org.err.slug_taken"}
		return e
	}
	return db.wrap(err, "insert organization")
}

const orgColumns = `id, name, slug, created_at`

func scanOrganization(row interface{ Scan(...any) error }) (eyelevel.Organization, error) {
	var o eyelevel.Organization
	var created int64
	err := row.Scan(&o.ID, &o.Name, &o.Slug, &created)
	o.CreatedAt = fromUnix(created)
	return o, err
}

// Organization returns one organization or ENOTFOUND.
func (db *DB) Organization(ctx context.Context, id string) (eyelevel.Organization, error) {
	return db.organization(ctx, `id = $1`, id)
}

// OrganizationBySlug returns the organization with this slug or ENOTFOUND.
func (db *DB) OrganizationBySlug(ctx context.Context, slug string) (eyelevel.Organization, error) {
	return db.organization(ctx, `slug = $1`, slug)
}

func (db *DB) organization(ctx context.Context, where, arg string) (eyelevel.Organization, error) {
	o, err := scanOrganization(db.rq(ctx).QueryRowContext(ctx, `SELECT `+orgColumns+` FROM organizations WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return o, eyelevel.ErrNotFound()
	}
	return o, db.wrap(err, "select organization")
}

// Organizations lists all organizations by name.
func (db *DB) Organizations(ctx context.Context) ([]eyelevel.Organization, error) {
	rows, err := db.rq(ctx).QueryContext(ctx, `SELECT `+orgColumns+` FROM organizations ORDER BY name, id`)
	if err != nil {
		return nil, db.wrap(err, "select organizations")
	}
	defer rows.Close()
	var out []eyelevel.Organization
	for rows.Next() {
		o, err := scanOrganization(rows)
		if err != nil {
			return nil, db.wrap(err, "scan organization")
		}
		out = append(out, o)
	}
	return out, db.wrap(rows.Err(), "select organizations")
}

// CreateContract inserts c.
func (db *DB) CreateContract(ctx context.Context, c eyelevel.Contract) error {
	_, err := db.wq(ctx).ExecContext(ctx, `INSERT INTO contracts (id, organization_id, starts, ends, sessions_per_person, pool, grace_days, late_cancel_counts, goals, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		c.ID, c.OrganizationID, c.Starts, c.Ends, c.SessionsPerPerson, c.Pool, c.GraceDays, boolInt(c.LateCancelCounts), c.Goals, unix(c.CreatedAt))
	return db.wrap(err, "insert contract")
}

const contractSelect = `SELECT k.id, k.organization_id, o.name, k.starts, k.ends, k.sessions_per_person, k.pool, k.pool_used, k.grace_days,
	k.late_cancel_counts, k.goals, k.closed_at, k.created_at FROM contracts k JOIN organizations o ON o.id = k.organization_id`

func scanContract(row interface{ Scan(...any) error }) (eyelevel.Contract, error) {
	var c eyelevel.Contract
	var late, closed, created int64
	err := row.Scan(&c.ID, &c.OrganizationID, &c.OrganizationName, &c.Starts, &c.Ends, &c.SessionsPerPerson, &c.Pool, &c.PoolUsed, &c.GraceDays,
		&late, &c.Goals, &closed, &created)
	c.LateCancelCounts, c.ClosedAt, c.CreatedAt = late != 0, fromUnix(closed), fromUnix(created)
	return c, err
}

// Contract returns one contract or ENOTFOUND.
func (db *DB) Contract(ctx context.Context, id string) (eyelevel.Contract, error) {
	c, err := scanContract(db.rq(ctx).QueryRowContext(ctx, contractSelect+` WHERE k.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, eyelevel.ErrNotFound()
	}
	return c, db.wrap(err, "select contract")
}

// Contracts lists an organization's contracts, latest start first.
func (db *DB) Contracts(ctx context.Context, org string) ([]eyelevel.Contract, error) {
	return db.queryContracts(ctx, contractSelect+` WHERE k.organization_id = $1 ORDER BY k.starts DESC, k.id`, org)
}

func (db *DB) queryContracts(ctx context.Context, q string, args ...any) ([]eyelevel.Contract, error) {
	rows, err := db.rq(ctx).QueryContext(ctx, q, args...)
	if err != nil {
		return nil, db.wrap(err, "select contracts")
	}
	defer rows.Close()
	var out []eyelevel.Contract
	for rows.Next() {
		c, err := scanContract(rows)
		if err != nil {
			return nil, db.wrap(err, "scan contract")
		}
		out = append(out, c)
	}
	return out, db.wrap(rows.Err(), "select contracts")
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
