package service

import "context"

// EnforceRetentionBatch is EnforceRetention reading batch accounts at a
// time, for tests with a few accounts.
func EnforceRetentionBatch(s *Service, ctx context.Context, batch int) (Retention, error) {
	return s.enforceRetention(ctx, batch)
}
