package service

import (
	"context"
	"errors"
	"time"

	"eyelevel"
	"eyelevel/store"
)

// errStillActive stops a retention deletion of an account that came back
// or has a session ahead since it was listed.
var errStillActive = errors.New("account active again")

// DeleteAccount deletes the actor's own client account after checking
// their password (rate-limited like every password check): see
// eraseAccount. Staff accounts are deleted by an admin. Errors:
// EUNAUTHORIZED, EFORBIDDEN (not a client), EINVALID (wrong password, in
// field "password"), ETOOMANY, EUNAVAILABLE (too many password checks).
func (s *Service) DeleteAccount(ctx context.Context, a eyelevel.Actor, password string) error {
	if a.Anonymous() {
		return unauthorized()
	}
	if a.Role != eyelevel.RoleClient {
		return eyelevel.Errorf(eyelevel.EFORBIDDEN, "erase.err.staff", "Staff accounts are deleted by an administrator.")
	}
	u, err := s.db.UserByID(ctx, a.UserID)
	if err != nil {
		return err
	}
	if password == "" {
		return invalid(map[string]string{"password": "erase.err.password"})
	}
	if err := s.checkOwnPassword(ctx, u, password, "password"); err != nil {
		return err
	}
	return s.eraseAccount(ctx, a.UserID, "self")
}

// eraseAccount deletes the client account id and everything personal
// about it, in one transaction: upcoming sessions are cancelled (each
// counselor gets the cancellation mail, naming no one; credits go back
// to their package or the organization's pool), then every row about the
// client is deleted (store.EraseClient), their access-log entries are
// blanked, and a tombstone without their id is appended. Reports of
// closed periods are served from snapshots and do not change. After the
// commit the deleted bytes are shredded from the database files. why
// ("self", "retention", "consent") is logged; a retention deletion is
// refused (errStillActive) when the client came back or has a session
// ahead. Errors: ENOTFOUND, EFORBIDDEN (not a client account).
func (s *Service) eraseAccount(ctx context.Context, id eyelevel.UserID, why string) error {
	if err := s.eraseAccountTx(ctx, id, why); err != nil {
		return err
	}
	s.shred(ctx)
	return nil
}

// eraseAccountTx is eraseAccount without shredding, for deleting many
// accounts and shredding once.
func (s *Service) eraseAccountTx(ctx context.Context, id eyelevel.UserID, why string) error {
	var cancelled int
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		if err := s.db.LockUser(ctx, id); err != nil {
			return err
		}
		u, err := s.db.UserByID(ctx, id)
		if err != nil {
			return err
		}
		if u.Role != eyelevel.RoleClient {
			return eyelevel.Errorf(eyelevel.EFORBIDDEN, "erase.err.staff", "Staff accounts are deleted by an administrator.")
		}
		now := s.now().UTC()
		upcoming, err := s.db.UpcomingBooked(ctx, id, now)
		if err != nil {
			return err
		}
		if why == "retention" && (len(upcoming) > 0 || u.LastActive.After(now.Add(-s.cfg.Retention))) {
			return errStillActive
		}
		// Every closed period is frozen before the client's rows go, so
		// no published figure changes (report_snapshot.go); in this
		// transaction, so a period cannot close in between.
		if err := s.SnapshotDue(ctx); err != nil {
			return err
		}
		for _, appt := range upcoming {
			if err := s.cancelForErase(ctx, appt, u.ID, now); err != nil {
				return err
			}
		}
		cancelled = len(upcoming)
		// Before EraseClient: this erases the client's own entries too,
		// so the tombstone lists every entry erased.
		if err := s.eraseAuditOf(ctx, eyelevel.Actor{}, id); err != nil {
			return err
		}
		if s.openEmail(ctx, &u) != nil {
			u.Email = "" // unreadable: shredded with the data key below
		}
		if _, err := s.db.EraseClient(ctx, id, u.Username, u.Email); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.observer().Cancelled("erasure", cancelled)
	s.log.Info("client account deleted", "why", why, "sessions_cancelled", cancelled)
	return nil
}

// cancelForErase cancels appt, an upcoming session of a client whose
// account is being deleted, by the rules of a timely cancellation: the
// credit comes back (to a package, or to the organization's pool) and the
// counselor gets the cancellation mail, which names "a client who deleted
// their account" instead of the pseudonym. The client gets no mail: the
// account and its address are going.
func (s *Service) cancelForErase(ctx context.Context, appt eyelevel.Appointment, by eyelevel.UserID, now time.Time) error {
	if err := s.db.CancelAppointment(ctx, appt.ID, by, now); err != nil {
		return err
	}
	next, err := s.db.RaiseICSSequence(ctx, appt.ID)
	if err != nil {
		return err
	}
	appt.Status, appt.CancelledAt, appt.CancelledBy = eyelevel.StatusCancelled, now, by
	if err := s.settleCredit(ctx, appt, false); err != nil {
		return err
	}
	if !s.cfg.Mail.On {
		return nil
	}
	counselor, err := s.db.UserByID(ctx, appt.CounselorID)
	if err != nil {
		return err
	}
	name := s.catalog().T(counselor.Language, "erase.former_client")
	return s.mailSide(ctx, apptChange{kind: mailCancelled, appt: appt, seq: next}, counselor, name, false)
}

// shred overwrites what a deletion left in the database files (see
// store.Shred). The deletion has committed; a failure is logged.
func (s *Service) shred(ctx context.Context) {
	if err := s.db.Shred(context.WithoutCancel(ctx), store.ErasedTables...); err != nil {
		s.log.Error("shredding deleted rows", "err", err)
	}
}
