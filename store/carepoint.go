package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"

	"eyelevel"
)

// CarePointClient is a client a care-point staff member registered: only
// what the care point may see.
type CarePointClient struct {
	CarePointLink
	Username string
	Language string
}

// MaxCarePointClients is how many clients CarePointClients lists at most.
const MaxCarePointClients = 500

// carePointClientIDs selects the ids of the clients CarePointClients lists
// for staff $1.
var carePointClientIDs = `SELECT cl.client_id FROM carepoint_clients cl JOIN users cu ON cu.id = cl.client_id
	WHERE cl.staff_id = $1 ORDER BY cu.username_key, cu.id LIMIT ` + strconv.Itoa(MaxCarePointClients)

// CarePointClients lists the clients staff registered whose link still
// exists, by username, at most MaxCarePointClients of them.
func (db *DB) CarePointClients(ctx context.Context, staff eyelevel.UserID) ([]CarePointClient, error) {
	rows, err := db.rq(ctx).QueryContext(ctx, `SELECT l.client_id, l.staff_id, l.organization_id, l.contract_id, l.consent_version, l.consent_at, u.username, u.language
		FROM carepoint_clients l JOIN users u ON u.id = l.client_id WHERE l.staff_id = $1 ORDER BY u.username_key, u.id LIMIT $2`, string(staff), MaxCarePointClients)
	if err != nil {
		return nil, db.wrap(err, "select care-point clients")
	}
	defer rows.Close()
	var out []CarePointClient
	for rows.Next() {
		var c CarePointClient
		var at int64
		if err := rows.Scan(&c.ClientID, &c.StaffID, &c.OrganizationID, &c.ContractID, &c.ConsentVersion, &at, &c.Username, &c.Language); err != nil {
			return nil, db.wrap(err, "scan care-point client")
		}
		c.ConsentAt = fromUnix(at)
		out = append(out, c)
	}
	return out, db.wrap(rows.Err(), "select care-point clients")
}

// CarePointUpcoming lists the booked appointments ending after now of the
// clients CarePointClients lists for staff, by start time, in one query.
func (db *DB) CarePointUpcoming(ctx context.Context, staff eyelevel.UserID, now time.Time) ([]eyelevel.Appointment, error) {
	return db.queryAppointments(ctx, appointmentSelect+` WHERE a.client_id IN (`+carePointClientIDs+`) AND a.end_at > $2 AND a.status = 'booked'
		ORDER BY a.start_at, a.id`, string(staff), unix(now))
}

// CarePointCredits lists the credits that the clients CarePointClients
// lists for staff hold from the contract they were registered under, in
// one query (a package a client bought is not the care point's business).
func (db *DB) CarePointCredits(ctx context.Context, staff eyelevel.UserID) ([]eyelevel.Credit, error) {
	rows, err := db.rq(ctx).QueryContext(ctx, creditSelect+` JOIN carepoint_clients l ON l.client_id = r.client_id AND l.contract_id = r.contract_id
		WHERE l.staff_id = $1 AND r.client_id IN (`+carePointClientIDs+`)`, string(staff))
	if err != nil {
		return nil, db.wrap(err, "select care-point credits")
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
	return out, db.wrap(rows.Err(), "select care-point credits")
}

// DeleteCarePointLink ends a care point's access to a client. It reports
// whether there was a link.
func (db *DB) DeleteCarePointLink(ctx context.Context, client eyelevel.UserID) (bool, error) {
	res, err := db.wq(ctx).ExecContext(ctx, `DELETE FROM carepoint_clients WHERE client_id = $1`, string(client))
	n, err := affected(res, err)
	return n > 0, db.wrap(err, "delete care-point link")
}

// StaffMember is an organization's care-point worker or manager.
type StaffMember struct {
	UserID         eyelevel.UserID
	Username       string
	Role           eyelevel.Role
	DisplayName    string
	OrganizationID string
}

// OrganizationStaff lists an organization's staff by display name.
func (db *DB) OrganizationStaff(ctx context.Context, org string) ([]StaffMember, error) {
	rows, err := db.rq(ctx).QueryContext(ctx, `SELECT u.id, u.username, u.role, s.display_name, s.organization_id
		FROM organization_staff s JOIN users u ON u.id = s.user_id WHERE s.organization_id = $1 ORDER BY s.display_name, u.id`, org)
	if err != nil {
		return nil, db.wrap(err, "select staff")
	}
	defer rows.Close()
	var out []StaffMember
	for rows.Next() {
		var m StaffMember
		if err := rows.Scan(&m.UserID, &m.Username, &m.Role, &m.DisplayName, &m.OrganizationID); err != nil {
			return nil, db.wrap(err, "scan staff")
		}
		out = append(out, m)
	}
	return out, db.wrap(rows.Err(), "select staff")
}

// SessionShared reports whether the unexpired session was started on a
// shared computer; an unknown session is ENOTFOUND.
func (db *DB) SessionShared(ctx context.Context, tokenHash string, now time.Time) (bool, error) {
	var shared int
	err := db.rq(ctx).QueryRowContext(ctx, `SELECT shared FROM sessions WHERE token_hash = $1 AND expires_at > $2`, tokenHash, unix(now)).Scan(&shared)
	if errors.Is(err, sql.ErrNoRows) {
		return false, eyelevel.ErrNotFound()
	}
	return shared != 0, db.wrap(err, "select session")
}
