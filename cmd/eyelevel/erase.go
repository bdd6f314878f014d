package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"eyelevel/service"
)

// retentionJob warns and deletes inactive client accounts (the retention
// period) and stores the figures of report periods that have closed;
// the janitor runs it every hour, after sweeping expired sessions and
// links.
func retentionJob(ctx context.Context, svc *service.Service, log *slog.Logger) error {
	var errs []error
	if r, err := svc.EnforceRetention(ctx); err != nil {
		errs = append(errs, fmt.Errorf("retention: %w", err))
	} else if r.Warned+r.Deleted+r.Kept > 0 {
		log.Info("retention", "warned", r.Warned, "deleted", r.Deleted, "kept", r.Kept)
	}
	if _, err := svc.SnapshotReports(ctx); err != nil {
		errs = append(errs, fmt.Errorf("storing report snapshots: %w", err))
	}
	return errors.Join(errs...)
}

// warnShortRetention warns at start when --retention deletes inactive
// accounts after less than six months: clients who come back after a
// break (a common pattern in counseling) would find their history gone.
func warnShortRetention(t trustConfig, log *slog.Logger) {
	if t.retention < 6 {
		log.Warn("--retention is shorter than 6 months: clients who pause for longer lose their account and history", "retention", t.retention.String())
	}
}
