package service

import (
	"context"
	"crypto/rand"
	"encoding/hex"

	"eyelevel"
)

// DeleteCounselor deletes counselor id's account; admins only. In one
// transaction their upcoming sessions are cancelled (each client gets the
// cancellation mail, and their credit back), their logins, links, hours,
// languages and profile text are deleted and the account can no longer
// sign in (store.EraseCounselor). Clients' data stays: their past
// appointments still name the counselor, their messages and notes stay.
// Access-log entries about the counselor's account are blanked; a
// tombstone names the admin. Errors: EUNAUTHORIZED, EFORBIDDEN (not an
// admin), ENOTFOUND (no such counselor, or already deleted).
func (s *Service) DeleteCounselor(ctx context.Context, a eyelevel.Actor, id eyelevel.UserID) error {
	if err := requireRole(a, eyelevel.RoleAdmin); err != nil {
		return err
	}
	hash, err := s.hashPassword(ctx, rand.Text())
	if err != nil {
		return err
	}
	var cancelled int
	err = s.db.InTx(ctx, func(ctx context.Context) error {
		if err := s.db.LockUser(ctx, id); err != nil {
			return err
		}
		u, err := s.db.UserByID(ctx, id)
		if err != nil {
			return err
		}
		if u.Role != eyelevel.RoleCounselor {
			return eyelevel.ErrNotFound()
		}
		if gone, err := s.db.Deleted(ctx, id); err != nil || gone {
			return cmpErr(err, eyelevel.ErrNotFound())
		}
		now := s.now().UTC()
		upcoming, err := s.db.UpcomingBooked(ctx, id, now)
		if err != nil {
			return err
		}
		for _, appt := range upcoming {
			if err := s.db.CancelAppointment(ctx, appt.ID, a.UserID, now); err != nil {
				return err
			}
			next, err := s.db.RaiseICSSequence(ctx, appt.ID)
			if err != nil {
				return err
			}
			appt.Status, appt.CancelledAt, appt.CancelledBy = eyelevel.StatusCancelled, now, a.UserID
			if err := s.settleCredit(ctx, appt, false); err != nil {
				return err
			}
			if err := s.mailClientCancelled(ctx, appt, next); err != nil {
				return err
			}
		}
		cancelled = len(upcoming)
		b := make([]byte, 8)
		rand.Read(b)
		if s.openEmail(ctx, &u) != nil {
			u.Email = ""
		}
		if err := s.db.EraseCounselor(ctx, id, "deleted-"+hex.EncodeToString(b), hash, u.Email, now); err != nil {
			return err
		}
		return s.eraseAuditOf(ctx, a, id)
	})
	if err != nil {
		return err
	}
	s.shred(ctx)
	s.observer().Cancelled(string(a.Role), cancelled)
	s.log.Info("counselor account deleted", "by", a.UserID, "sessions_cancelled", cancelled)
	return nil
}

// mailClientCancelled queues the cancellation mail of appt to its client
// only (the counselor's account is going).
func (s *Service) mailClientCancelled(ctx context.Context, appt eyelevel.Appointment, seq int) error {
	if !s.cfg.Mail.On {
		return nil
	}
	client, err := s.db.UserByID(ctx, appt.ClientID)
	if err != nil {
		return err
	}
	return s.mailSide(ctx, apptChange{kind: mailCancelled, appt: appt, seq: seq}, client, appt.CounselorName, true)
}

// cmpErr returns err, or else orElse.
func cmpErr(err, orElse error) error {
	if err != nil {
		return err
	}
	return orElse
}
