package service

import (
	"context"

	"eyelevel"
)

// eraseAccount deletes the account id and everything personal about it
// (issue 12, point 3); why ("self", "retention", "consent", "admin") goes
// into the access log's tombstone. Consent withdrawal and retention call
// it. (Filled in by the deletion work; until then it refuses.)
func (s *Service) eraseAccount(ctx context.Context, id eyelevel.UserID, why string) error {
	_, _ = ctx, id
	return eyelevel.Errorf(eyelevel.EUNAVAILABLE, "error.unavailable", "Account deletion is not available yet (%s).", why)
}
