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

// NotifyMessageForTest runs the job's step for one conversation in its
// own transaction, as MailMessages does for each one it listed.
func (s *Service) NotifyMessageForTest(ctx context.Context, client, staff, recipient eyelevel.UserID) error {
	return s.db.InTx(ctx, func(ctx context.Context) error { return s.notifyMessage(ctx, client, staff, recipient) })
}
