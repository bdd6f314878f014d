package service

import (
	"context"

	"eyelevel"
)

// EscalateOneForTest escalates one alert in its own transaction, as
// EscalateAlerts does for each alert it listed; tests call the steps in
// a racing order with it.
func (s *Service) EscalateOneForTest(ctx context.Context, al eyelevel.SafetyAlert) error {
	return s.db.InTx(ctx, func(ctx context.Context) error { return s.escalate(ctx, al) })
}
