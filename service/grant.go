package service

import (
	"context"
	"time"

	"eyelevel"
)

// grantContract gives client the allowance of contract k: the one rule
// of what redeeming a code, or being registered by a care point, grants.
// The contract must be running (EEXPIRED otherwise) and its pool must not
// be used up (ECONFLICT); a client holds one credit per contract
// (ECONFLICT). The credit can be booked with until the contract's end,
// and once a course has started, until the end of its grace period
// (eyelevel.Credit.Expires). Call it in the action's transaction.
func (s *Service) grantContract(ctx context.Context, client eyelevel.UserID, k eyelevel.Contract, now time.Time) (eyelevel.Credit, error) {
	if !k.Running(now) || !k.ClosedAt.IsZero() {
		if now.Before(k.StartTime()) {
			return eyelevel.Credit{}, eyelevel.Errorf(eyelevel.EEXPIRED, "code.err.not_started", "This organization's offer has not started yet.")
		}
		return eyelevel.Credit{}, eyelevel.Errorf(eyelevel.EEXPIRED, "code.err.expired", "This organization's offer has ended.")
	}
	if k.PoolLeft() == 0 {
		return eyelevel.Credit{}, eyelevel.Errorf(eyelevel.ECONFLICT, "code.err.pool_used", "All sessions this organization pays for have been used.")
	}
	c := eyelevel.Credit{
		ID: eyelevel.NewID(), ClientID: client, Source: eyelevel.SourceOrganization, ContractID: k.ID,
		Granted: k.SessionsPerPerson, ExpiresAt: k.GraceEnd(), CreatedAt: now,
		Organization: k.OrganizationName, ContractEnd: k.EndTime(), PoolLeft: k.PoolLeft(),
	}
	if err := s.db.GrantCredit(ctx, c); err != nil {
		return eyelevel.Credit{}, err
	}
	return c, nil
}

// staffOrganization returns the organization a carepoint or orgadmin
// actor belongs to; for anyone else ENOTFOUND.
func (s *Service) staffOrganization(ctx context.Context, a eyelevel.Actor) (string, error) {
	if !a.Role.OfOrganization() {
		return "", eyelevel.ErrNotFound()
	}
	return s.db.StaffOrganization(ctx, a.UserID)
}
