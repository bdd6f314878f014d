package service

import (
	"context"
	"time"

	"eyelevel"
)

// RaiseAlert lets a client tell their counselors that they need help now
// (from the crisis page). It records only that, and when, and mails the
// counselors (see alertRaised).
// Errors: EUNAUTHORIZED, EFORBIDDEN (not a client).
func (s *Service) RaiseAlert(ctx context.Context, a eyelevel.Actor) (eyelevel.SafetyAlert, error) {
	if err := requireRole(a, eyelevel.RoleClient); err != nil {
		return eyelevel.SafetyAlert{}, err
	}
	al := eyelevel.SafetyAlert{ID: eyelevel.NewID(), ClientID: a.UserID, Source: "client", CreatedAt: s.now().UTC()}
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		if err := s.createSafetyAlert(ctx, al); err != nil {
			return err
		}
		return s.alertRaised(ctx, al)
	})
	if err != nil {
		return eyelevel.SafetyAlert{}, err
	}
	s.log.Warn("safety alert raised", "source", "client")
	return al, nil
}

// SafetyAlerts returns the open alerts of the acting counselor's clients.
// Admins get none: an alert is about one person, and admins see aggregates
// only. Errors: EUNAUTHORIZED, EFORBIDDEN (not a counselor).
func (s *Service) SafetyAlerts(ctx context.Context, a eyelevel.Actor) ([]eyelevel.SafetyAlert, error) {
	if err := requireRole(a, eyelevel.RoleCounselor); err != nil {
		return nil, err
	}
	var as []eyelevel.SafetyAlert
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var err error
		if as, err = s.openAlerts(ctx)(s.db.OpenSafetyAlerts(ctx, a.UserID, "", s.careSince())); err != nil {
			return err
		}
		return s.logAlerts(ctx, a, as)
	})
	return as, err
}

// logAlerts records one view of safety alerts per client whose alerts as
// shows.
func (s *Service) logAlerts(ctx context.Context, a eyelevel.Actor, as []eyelevel.SafetyAlert) error {
	ids := make([]eyelevel.UserID, len(as))
	for i, al := range as {
		ids[i] = al.ClientID
	}
	return s.logAccessEach(ctx, a, ids, eyelevel.ViewAlerts)
}

// AcknowledgeAlert records that the acting counselor has seen an alert of
// one of their clients, or an admin (the duty contact) one that was
// escalated to them. Errors: EUNAUTHORIZED, EFORBIDDEN (also admins for
// alerts not escalated), ENOTFOUND (also for alerts of other counselors'
// clients).
func (s *Service) AcknowledgeAlert(ctx context.Context, a eyelevel.Actor, id string) error {
	if a.Role == eyelevel.RoleAdmin {
		// Admins may only as the duty contact; any other alert stays
		// forbidden to them, as it was before escalation existed.
		return s.db.InTx(ctx, func(ctx context.Context) error {
			dv, err := s.dutyAlert(ctx, a, id)
			if eyelevel.ErrorCode(err) == eyelevel.ENOTFOUND {
				return forbidden()
			} else if err != nil {
				return err
			}
			if err := s.db.AcknowledgeSafetyAlert(ctx, id, a.UserID, s.now().UTC()); err != nil {
				return err
			}
			return s.logAction(ctx, a, dv.ClientID, eyelevel.CareAlertAcknowledge)
		})
	}
	if err := requireRole(a, eyelevel.RoleCounselor); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(ctx context.Context) error {
		al, err := s.db.SafetyAlert(ctx, id)
		if err != nil {
			return err
		}
		if ok, err := s.db.IsClientOf(ctx, a.UserID, al.ClientID, s.careSince()); err != nil {
			return err
		} else if !ok {
			return eyelevel.ErrNotFound()
		}
		if err := s.db.AcknowledgeSafetyAlert(ctx, id, a.UserID, s.now().UTC()); err != nil {
			return err
		}
		return s.logAction(ctx, a, al.ClientID, eyelevel.CareAlertAcknowledge)
	})
}

// careSince is the start of the window in which a counselor counts as a
// client's counselor: their booked sessions ending after it, or upcoming.
func (s *Service) careSince() time.Time { return s.now().UTC().Add(-s.cfg.CareAccess) }

// ClientView is what a counselor sees of one of their clients: scores (not
// the item answers), open safety alerts and the steps the client shared.
type ClientView struct {
	ID       eyelevel.UserID
	Username string
	Scores   []Scored // Answers cleared
	Alerts   []eyelevel.SafetyAlert
	Shared   []ReflectionView
}

// Client returns a counselor's view of one of their clients (a booked
// session with them that is upcoming or ended within CareAccess). Everyone else
// — other counselors, admins, clients — gets ENOTFOUND, so nobody learns
// who is whose client. Errors: EUNAUTHORIZED, ENOTFOUND, EUNAVAILABLE (the
// key to the shared reflections is missing).
func (s *Service) Client(ctx context.Context, a eyelevel.Actor, client eyelevel.UserID) (ClientView, error) {
	if a.Anonymous() {
		return ClientView{}, unauthorized()
	} else if a.Role != eyelevel.RoleCounselor {
		return ClientView{}, eyelevel.ErrNotFound()
	}
	var v ClientView
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		if ok, err := s.db.IsClientOf(ctx, a.UserID, client, s.careSince()); err != nil {
			return err
		} else if !ok {
			return eyelevel.ErrNotFound()
		}
		u, err := s.db.UserByID(ctx, client)
		if err != nil {
			return err
		}
		v = ClientView{ID: client, Username: u.Username}
		rs, err := s.responses(ctx, client, "")
		if err != nil {
			return err
		}
		v.Scores = s.rescore(rs, a.Language)
		for i := range v.Scores {
			v.Scores[i].Answers = nil
		}
		if v.Alerts, err = s.openAlerts(ctx)(s.db.OpenSafetyAlerts(ctx, "", client, time.Time{})); err != nil {
			return err
		}
		if v.Shared, err = s.reflections(ctx, client, a.Language, true); err != nil {
			return err
		}
		// The page itself, then each kind of data it shows, once.
		for _, k := range []struct {
			what  string
			shown bool
		}{{eyelevel.ViewClient, true}, {eyelevel.ViewResults, len(v.Scores) > 0}, {eyelevel.ViewAlerts, len(v.Alerts) > 0}, {eyelevel.ViewSteps, len(v.Shared) > 0}} {
			if k.shown {
				if err := s.logAccess(ctx, a, client, k.what); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return ClientView{}, err
	}
	return v, nil
}
