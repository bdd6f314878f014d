package service

import (
	"context"
	"errors"
)

var errNoKeys = errors.New("no master key configured")

// legacyBatch is how many rows EncryptLegacy seals per transaction.
const legacyBatch = 200

// EncryptLegacy seals the health data and addresses that were stored in
// plain text before encryption at rest (migration 0012): responses, safety
// alerts, rating comments, users' and verification links' addresses, and
// outbox recipients. It works in batches of legacyBatch rows, one
// transaction each, and empties the plain columns as it goes, so it can be
// stopped at any point and run again; with nothing left it only looks.
// serve calls it once at start. It returns how many rows it sealed.
// Errors: EUNAVAILABLE (no master key).
func (s *Service) EncryptLegacy(ctx context.Context) (int, error) {
	if s.cfg.Keys == nil {
		return 0, s.keyUnavailable(errNoKeys)
	}
	total := 0
	for _, step := range []func(ctx context.Context) (int, error){
		s.sealLegacyResponses, s.sealLegacyAlerts, s.sealLegacyRatings, s.sealLegacyEmails, s.sealLegacyTokens,
		func(ctx context.Context) (int, error) { return s.db.SealLegacyOutbox(ctx, legacyBatch) },
	} {
		for {
			var n int
			err := s.db.InTx(ctx, func(ctx context.Context) error {
				var err error
				n, err = step(ctx)
				return err
			})
			if err != nil {
				return total, err
			}
			total += n
			if n < legacyBatch {
				break
			}
		}
	}
	if total > 0 {
		s.log.Info("sealed data stored before encryption at rest", "rows", total)
		// The plain versions must not linger in the files: SQLite
		// overwrote them (secure_delete) and checkpoints its log here;
		// PostgreSQL vacuums the dead rows away.
		if err := s.db.Shred(ctx, "responses", "safety_alerts", "ratings", "users", "account_tokens", "outbox"); err != nil {
			return total, err
		}
	}
	return total, nil
}

func (s *Service) sealLegacyResponses(ctx context.Context) (int, error) {
	rs, err := s.db.LegacyResponses(ctx, legacyBatch)
	if err != nil {
		return 0, err
	}
	ks := s.keys()
	for _, r := range rs {
		if err := ks.sealResponse(ctx, &r); err != nil {
			return 0, err
		}
		if err := s.db.SealResponse(ctx, r.ID, r.Sealed); err != nil {
			return 0, err
		}
	}
	return len(rs), nil
}

func (s *Service) sealLegacyAlerts(ctx context.Context) (int, error) {
	as, err := s.db.LegacySafetyAlerts(ctx, legacyBatch)
	if err != nil {
		return 0, err
	}
	ks := s.keys()
	for _, a := range as {
		if err := ks.sealAlert(ctx, &a); err != nil {
			return 0, err
		}
		if err := s.db.SealSafetyAlert(ctx, a.ID, a.Sealed); err != nil {
			return 0, err
		}
	}
	return len(as), nil
}

func (s *Service) sealLegacyRatings(ctx context.Context) (int, error) {
	rs, err := s.db.LegacyRatings(ctx, legacyBatch)
	if err != nil {
		return 0, err
	}
	ks := s.keys()
	for _, r := range rs {
		if err := ks.sealComment(ctx, &r); err != nil {
			return 0, err
		}
		if err := s.db.SealRatingComment(ctx, r.AppointmentID, r.CommentSealed); err != nil {
			return 0, err
		}
	}
	return len(rs), nil
}

func (s *Service) sealLegacyEmails(ctx context.Context) (int, error) {
	us, err := s.db.LegacyEmailUsers(ctx, legacyBatch)
	if err != nil {
		return 0, err
	}
	for _, u := range us {
		sealed, hash, err := s.sealEmail(ctx, u.ID, u.Email)
		if err != nil {
			return 0, err
		}
		if err := s.db.SealUserEmail(ctx, u.ID, sealed, hash); err != nil {
			return 0, err
		}
	}
	return len(us), nil
}

func (s *Service) sealLegacyTokens(ctx context.Context) (int, error) {
	ts, err := s.db.LegacyTokenEmails(ctx, legacyBatch)
	if err != nil {
		return 0, err
	}
	for _, t := range ts {
		sealed, _, err := s.sealEmail(ctx, t.UserID, t.Email)
		if err != nil {
			return 0, err
		}
		if err := s.db.SealTokenEmail(ctx, t.TokenHash, sealed); err != nil {
			return 0, err
		}
	}
	return len(ts), nil
}
