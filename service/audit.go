package service

import (
	"context"

	"eyelevel"
	"eyelevel/store"
)

// logAccess records in the access log that a read of client's data of kind
// what (eyelevel.View*) by a is happening. A client reading their own data
// is not logged, nor is the operator's command line (no user). Call it in
// the transaction of the read where there is one; an error means the read
// must fail too: no unlogged access.
func (s *Service) logAccess(ctx context.Context, a eyelevel.Actor, client eyelevel.UserID, what string) error {
	if a.Limited {
		return SecondFactorRequired() // defence in depth: the web layer refuses these first
	}
	if a.UserID == "" || a.UserID == client || client == "" {
		return nil
	}
	_, err := s.db.AppendAudit(ctx, eyelevel.AuditEntry{At: s.now(), ActorID: a.UserID, ActorRole: a.Role, SubjectID: client, What: what})
	return err
}

// logAction records a staff action of kind what (e.g. "staff.second_factor_reset")
// by a on the account subject, in ctx's transaction. Actions by the
// operator's command line (no user) are recorded with an empty actor.
func (s *Service) logAction(ctx context.Context, a eyelevel.Actor, subject eyelevel.UserID, what string) error {
	_, err := s.db.AppendAudit(ctx, eyelevel.AuditEntry{At: s.now(), ActorID: a.UserID, ActorRole: a.Role, SubjectID: subject, What: what})
	return err
}

// eraseAuditOf erases the access-log entries about user (and those they
// made as a client) and appends the tombstone (eyelevel.ActionAccountDeleted
// by a, no subject) that lists the erased seqs, in ctx's transaction; the
// tombstone's digest covers the list, so verify can tell this erasure from
// entries blanked by hand.
func (s *Service) eraseAuditOf(ctx context.Context, a eyelevel.Actor, user eyelevel.UserID) error {
	seqs, err := s.db.EraseAuditOf(ctx, user)
	if err != nil {
		return err
	}
	_, err = s.db.AppendAudit(ctx, eyelevel.AuditEntry{At: s.now(), ActorID: a.UserID, ActorRole: a.Role,
		What: eyelevel.ActionAccountDeleted, Erases: store.AuditRanges(seqs)})
	return err
}
