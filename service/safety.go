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
	return s.openAlerts(ctx)(s.db.OpenSafetyAlerts(ctx, a.UserID, "", s.careSince()))
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
		if _, err := s.DutyAlert(ctx, a, id); eyelevel.ErrorCode(err) == eyelevel.ENOTFOUND {
			return forbidden()
		} else if err != nil {
			return err
		}
		return s.db.AcknowledgeSafetyAlert(ctx, id, a.UserID, s.now().UTC())
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
		return s.db.AcknowledgeSafetyAlert(ctx, id, a.UserID, s.now().UTC())
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
	if ok, err := s.db.IsClientOf(ctx, a.UserID, client, s.careSince()); err != nil {
		return ClientView{}, err
	} else if !ok {
		return ClientView{}, eyelevel.ErrNotFound()
	}
	u, err := s.db.UserByID(ctx, client)
	if err != nil {
		return ClientView{}, err
	}
	v := ClientView{ID: client, Username: u.Username}
	rs, err := s.responses(ctx, client, "")
	if err != nil {
		return ClientView{}, err
	}
	v.Scores = s.rescore(rs, a.Language)
	for i := range v.Scores {
		v.Scores[i].Answers = nil
	}
	if v.Alerts, err = s.openAlerts(ctx)(s.db.OpenSafetyAlerts(ctx, "", client, time.Time{})); err != nil {
		return ClientView{}, err
	}
	v.Shared, err = s.reflections(ctx, client, a.Language, true)
	return v, err
}
