package service

import (
	"context"
	"encoding/json"
	"time"

	"eyelevel"
)

// Statement is one contract's month for invoicing. Its counts are of
// sessions, not of people, and name no one, so nothing in it is suppressed:
// the organization pays for each session, and the operator must be able
// to bill it.
type Statement struct {
	ContractID        string
	Organization      string
	Month             string // "2026-11"
	SessionsHeld      int
	LateCancellations int // late cancellations that used a credit (the contract's late_cancel_counts)
	NoShows           int // the client's no-shows that used a credit
	Billable          int // the sum of the three
	// Set when the operator charges for sessions (pricing).
	Currency  string
	UnitPrice int64 // minor units
	Amount    int64 // Billable × UnitPrice
}

// Statement returns contract id's statement of one closed calendar month
// (month: any time in it). A closed contract's statements come from the
// snapshots frozen at its exit. Errors: ENOTFOUND (no such contract, not
// the actor's, or a closed contract's month without a snapshot), EINVALID
// (a month not over yet).
func (s *Service) Statement(ctx context.Context, a eyelevel.Actor, id string, month time.Time) (Statement, error) {
	k, err := s.reportContract(ctx, a, id)
	if err != nil {
		return Statement{}, err
	}
	p := monthPeriod(monthStart(month.UTC()))
	if p.To.After(s.now().UTC()) {
		return Statement{}, fieldErr("month", "report.err.open", "Reports cover only periods that are over.")
	}
	if k.ClosedAt.IsZero() {
		return s.statement(ctx, k, p)
	}
	var st Statement
	body, err := s.db.Snapshot(ctx, k.ID, statementKey(p))
	if eyelevel.ErrorCode(err) == eyelevel.ENOTFOUND {
		return st, eyelevel.Errorf(eyelevel.ENOTFOUND, "buyer_report.err.no_snapshot", "This contract is closed; there is no report of that period.")
	} else if err != nil {
		return st, err
	}
	return st, json.Unmarshal(body, &st)
}

// statementKey is the snapshot period of a month's statement.
func statementKey(p period) string { return "statement-" + p.Name }

func (s *Service) statement(ctx context.Context, k eyelevel.Contract, p period) (Statement, error) {
	st := Statement{ContractID: k.ID, Organization: k.OrganizationName, Month: p.Name}
	act, err := s.db.ContractActivity(ctx, k.ID, p.From, p.To)
	if err != nil {
		return st, err
	}
	st.SessionsHeld = act.Held
	if k.LateCancelCounts {
		st.LateCancellations, st.NoShows = act.LateCancels, act.NoShows
	}
	st.Billable = st.SessionsHeld + st.LateCancellations + st.NoShows
	pr, err := s.db.Pricing(ctx)
	if err != nil {
		return st, err
	}
	if pr.Charging() {
		st.Currency, st.UnitPrice, st.Amount = pr.Currency, pr.SessionPrice, pr.SessionPrice*int64(st.Billable)
	}
	return st, nil
}
