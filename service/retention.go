package service

import (
	"context"
	"errors"
	"time"

	"eyelevel"
	"eyelevel/store"
)

// RetentionNotice is how long before the deletion of an inactive account
// its client is warned.
const RetentionNotice = 30 * 24 * time.Hour

// retentionBatch is how many inactive accounts the job reads at a time,
// and retentionBatches how many batches one run reads at most; the rest
// (more than 10,000 accounts needing action in one hour) wait for the
// next run.
const (
	retentionBatch   = 500
	retentionBatches = 20
)

// Retention is what one run of EnforceRetention did.
type Retention struct {
	Warned, Deleted, Kept int
}

// EnforceRetention applies the retention period (Config.Retention) to
// client accounts: an account without a request (a login), a session or
// its creation for Retention minus RetentionNotice is warned once — a
// banner on its pages and a mail when it has a verified address — and
// deleted with eraseAccount when the notice has passed and it was not
// used meanwhile. Using the account again (signing in, a session booked
// or held) withdraws the warning; an account with a session ahead is
// never deleted. Staff accounts are not touched. Run it every hour, with
// SweepSessions, which deletes expired sessions and links.
func (s *Service) EnforceRetention(ctx context.Context) (Retention, error) {
	return s.enforceRetention(ctx, retentionBatch)
}

// enforceRetention is EnforceRetention reading batch accounts at a time.
// It lists only accounts that need action now (store.InactiveClients), and
// pages on past the ones it leaves (came back meanwhile), so that no
// number of warned accounts still inside their notice, nor of accounts
// it cannot delete, holds up the others.
func (s *Service) enforceRetention(ctx context.Context, batch int) (Retention, error) {
	var out Retention
	n, err := s.db.ClearRetentionWarnings(ctx)
	if err != nil {
		return out, err
	}
	out.Kept = int(n)
	now := s.now().UTC()
	defer func() {
		if out.Deleted > 0 {
			s.shred(ctx)
		}
	}()
	var after store.InactiveClient
	for range retentionBatches {
		list, err := s.db.InactiveClients(ctx, now.Add(-(s.cfg.Retention - RetentionNotice)), now.Add(-RetentionNotice), after, batch)
		if err != nil {
			return out, err
		}
		for _, c := range list {
			switch {
			case c.WarnedAt.IsZero():
				if err := s.warnRetention(ctx, c.ID, now); err != nil {
					return out, err
				}
				out.Warned++
			case !now.Before(c.WarnedAt.Add(RetentionNotice)) && !c.LastSeen.After(now.Add(-s.cfg.Retention)):
				err := s.eraseAccountTx(ctx, c.ID, "retention")
				if errors.Is(err, errStillActive) {
					continue
				} else if err != nil {
					return out, err
				}
				out.Deleted++
			}
		}
		if len(list) < batch {
			break
		}
		after = list[len(list)-1]
	}
	return out, nil
}

// warnRetention records the warning to client and mails it when they
// have a verified address, in one transaction.
func (s *Service) warnRetention(ctx context.Context, client eyelevel.UserID, now time.Time) error {
	return s.db.InTx(ctx, func(ctx context.Context) error {
		if err := s.db.WarnRetention(ctx, client, now); err != nil {
			return err
		}
		u, err := s.db.UserByID(ctx, client)
		if err != nil {
			return err
		}
		when := s.mailTime(u.Language, now.Add(RetentionNotice), zoneOf(u.TimeZone))
		return s.mailUser(ctx, client, "", Mail{
			Kind:    "retention",
			Subject: Line{Key: "retention.mail_subject"},
			Lines: []Line{
				{Key: "retention.mail_body", Args: []any{"months", s.retentionMonths(), "date", when}},
				{Key: "retention.mail_keep"},
			},
			Button: &Button{Label: Line{Key: "retention.mail_button"}, URL: s.Link("/login")},
		})
	})
}

// retentionMonths is Config.Retention in whole months, for people.
func (s *Service) retentionMonths() int {
	return int((s.cfg.Retention + 12*time.Hour) / (30*24*time.Hour + 12*time.Hour))
}

// RetentionWarning is what a client's pages say about the retention
// period: nothing (Warned zero), or that the account was to be deleted at
// Due because it was unused, and stays now that they are back.
type RetentionWarning struct {
	Warned, Due time.Time
	Months      int
}

// RetentionWarning returns the actor's retention warning; the zero value
// for everyone but warned clients. Errors: only internal ones.
func (s *Service) RetentionWarning(ctx context.Context, a eyelevel.Actor) (RetentionWarning, error) {
	if a.Role != eyelevel.RoleClient || a.Anonymous() {
		return RetentionWarning{}, nil
	}
	at, err := s.db.RetentionWarnedAt(ctx, a.UserID)
	if err != nil || at.IsZero() {
		return RetentionWarning{}, err
	}
	return RetentionWarning{Warned: at, Due: at.Add(RetentionNotice), Months: s.retentionMonths()}, nil
}
