package service

import (
	"context"
	"strconv"
	"time"

	"eyelevel"
	"eyelevel/store"
)

// AuditPageSize is how many access-log entries one page shows.
const AuditPageSize = 50

// AccessEntry is one line of a client's access log. ActorName is the
// counselor's display name; empty for other roles (the page words the
// role) and when the actor's account is gone (ActorGone).
type AccessEntry struct {
	Seq       int64
	At        time.Time
	ActorName string
	ActorRole eyelevel.Role
	ActorGone bool
	Kind      string // eyelevel.View* or an action kind
}

// AccessLog returns the acting client's own access log — who read their
// data or acted on their account — newest first, a page older than before
// (0: the newest), and the seq to pass as before for the next page (0:
// none). Only the client sees it. Errors: EUNAUTHORIZED, EFORBIDDEN (not
// a client; staff get ENOTFOUND as for other care data).
func (s *Service) AccessLog(ctx context.Context, a eyelevel.Actor, before int64) ([]AccessEntry, int64, error) {
	if err := requireRole(a, eyelevel.RoleClient); err != nil {
		return nil, 0, err
	}
	es, err := s.db.AuditAbout(ctx, a.UserID, before, AuditPageSize+1)
	if err != nil {
		return nil, 0, err
	}
	es, next := auditPage(es)
	names := map[eyelevel.UserID]string{}
	out := make([]AccessEntry, 0, len(es))
	for _, e := range es {
		if e.ActorID == Operator.UserID {
			e.ActorID, e.ActorRole = "", "" // the command line
		}
		x := AccessEntry{Seq: e.Seq, At: e.At, ActorRole: e.ActorRole, Kind: e.What}
		if e.ActorID != "" && e.ActorRole == eyelevel.RoleCounselor {
			name, ok := names[e.ActorID]
			if !ok {
				if c, err := s.db.Counselor(ctx, e.ActorID); err == nil {
					name = c.DisplayName
				} else if eyelevel.ErrorCode(err) != eyelevel.ENOTFOUND {
					return nil, 0, err
				}
				names[e.ActorID] = name
			}
			x.ActorName, x.ActorGone = name, name == ""
		} else if e.ActorID != "" {
			if _, err := s.db.UserByID(ctx, e.ActorID); eyelevel.ErrorCode(err) == eyelevel.ENOTFOUND {
				x.ActorGone = true
			} else if err != nil {
				return nil, 0, err
			}
		}
		out = append(out, x)
	}
	return out, next, nil
}

// auditPage cuts a page of AuditPageSize+1 entries to AuditPageSize and
// returns the cursor of the next page.
func auditPage(es []eyelevel.AuditEntry) ([]eyelevel.AuditEntry, int64) {
	if len(es) <= AuditPageSize {
		return es, 0
	}
	es = es[:AuditPageSize]
	return es, es[len(es)-1].Seq
}

// StaffAction is an access-log entry as admins see it: who (the actor's
// username and role; empty for the operator's command line or an account
// since deleted) did what kind of action to whose account (its username),
// and when. Never health data, never reads of a client's data.
type StaffAction struct {
	Seq       int64         `json:"seq"`
	At        time.Time     `json:"at"`
	Actor     string        `json:"actor"`
	ActorRole eyelevel.Role `json:"actor_role"`
	Subject   string        `json:"subject"`
	Kind      string        `json:"kind"`
}

// StaffActions returns the staff actions of the access log
// (eyelevel.AuditForAdmins) to an admin, newest first, a page older than
// before, and the next page's cursor (0: none). Errors: EUNAUTHORIZED,
// EFORBIDDEN (not an admin).
func (s *Service) StaffActions(ctx context.Context, a eyelevel.Actor, before int64) ([]StaffAction, int64, error) {
	if a.Anonymous() {
		return nil, 0, unauthorized()
	} else if a.Role != eyelevel.RoleAdmin {
		return nil, 0, forbidden()
	}
	es, err := s.db.AuditActions(ctx, before, AuditPageSize+1)
	if err != nil {
		return nil, 0, err
	}
	es, next := auditPage(es)
	names := map[eyelevel.UserID]string{}
	name := func(id eyelevel.UserID) (string, error) {
		if id == "" {
			return "", nil
		}
		if n, ok := names[id]; ok {
			return n, nil
		}
		u, err := s.db.UserByID(ctx, id)
		if err != nil && eyelevel.ErrorCode(err) != eyelevel.ENOTFOUND {
			return "", err
		}
		names[id] = u.Username
		return u.Username, nil
	}
	out := make([]StaffAction, 0, len(es))
	for _, e := range es {
		if e.ActorID == Operator.UserID {
			e.ActorID, e.ActorRole = "", "" // the command line
		}
		x := StaffAction{Seq: e.Seq, At: e.At, ActorRole: e.ActorRole, Kind: e.What}
		if x.Actor, err = name(e.ActorID); err != nil {
			return nil, 0, err
		}
		if x.Subject, err = name(e.SubjectID); err != nil {
			return nil, 0, err
		}
		out = append(out, x)
	}
	return out, next, nil
}

// PruneAuditLog deletes access-log entries older than AuditRetention
// (store.PruneAudit: the remaining chain still verifies). The hourly
// janitor runs it; it returns how many it deleted.
func (s *Service) PruneAuditLog(ctx context.Context) (int64, error) {
	return s.db.PruneAudit(ctx, s.now().UTC().Add(-s.cfg.AuditRetention))
}

// VerifyAuditLog checks the access log's hash chain (store.VerifyAudit).
// It is for the operator's command line; no user may call it.
func VerifyAuditLog(ctx context.Context, db *store.DB) (store.AuditCheck, error) {
	return db.VerifyAudit(ctx, 1000)
}

// logStaff records action what by a on subject's account when it is
// someone else's (a client cancelling their own session is no staff action).
func (s *Service) logStaff(ctx context.Context, a eyelevel.Actor, subject eyelevel.UserID, what string) error {
	if a.UserID == subject || subject == "" {
		return nil
	}
	return s.logAction(ctx, a, subject, what)
}

// logAccessEach records one access of kind what per distinct client of
// clients (a list that shows several clients' data).
func (s *Service) logAccessEach(ctx context.Context, a eyelevel.Actor, clients []eyelevel.UserID, what string) error {
	if len(clients) == 0 {
		return nil
	}
	// One transaction for all (or the caller's): one lock of the head.
	return s.db.InTx(ctx, func(ctx context.Context) error {
		seen := map[eyelevel.UserID]bool{}
		for _, c := range clients {
			if seen[c] {
				continue
			}
			seen[c] = true
			if err := s.logAccess(ctx, a, c, what); err != nil {
				return err
			}
		}
		return nil
	})
}

// ParseAuditCursor reads a ?before= cursor ("" is 0). Errors: EINVALID.
func ParseAuditCursor(v string) (int64, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, fieldErr("before", "audit.err.before", "This is not a position in the log.")
	}
	return n, nil
}

// logBookedFor records a booking made for the client by someone else (a
// care point), in the booking's transaction.
func (s *Service) logBookedFor(ctx context.Context, appt eyelevel.Appointment) error {
	if appt.BookedBy == "" {
		return nil
	}
	return s.logAction(ctx, eyelevel.Actor{UserID: appt.BookedBy, Role: eyelevel.RoleCarePoint}, appt.ClientID, eyelevel.ActionCarePointBook)
}

// logCancelled records a cancellation of the client's session by someone
// else: the counselor, a care point, an admin.
func (s *Service) logCancelled(ctx context.Context, a eyelevel.Actor, appt eyelevel.Appointment) error {
	what := eyelevel.ActionAppointmentCancel
	if a.Role == eyelevel.RoleCarePoint {
		what = eyelevel.ActionCarePointCancel
	}
	return s.logStaff(ctx, a, appt.ClientID, what)
}

// CarePointClientName returns the username of one of the acting care-point
// staff member's clients, for the booking pages that name whom they book
// for. Unlike CarePointClientOf it reads nothing of the client's sessions
// or credits, so it writes no access-log entry (the booking itself does).
// Errors: EUNAUTHORIZED, ENOTFOUND.
func (s *Service) CarePointClientName(ctx context.Context, a eyelevel.Actor, client eyelevel.UserID) (string, error) {
	if _, err := s.carePointLink(ctx, a, client); err != nil {
		return "", err
	}
	u, err := s.db.UserByID(ctx, client)
	return u.Username, err
}
