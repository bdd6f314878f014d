package service

import (
	"context"
	"time"

	"eyelevel"
)

// A safety alert reaches a person within minutes: the client's counselors
// are mailed when it is raised, and an alert nobody acknowledged within
// Mail.SafetyEscalate — or at once, when the client has no counselor —
// goes to the operator's duty contact (Mail.DutyEmail), who may then
// write to the client. Every mail is content-free.
//
// Every alert is stored and shown, but mail is bounded: while the client
// has another open alert raised within alertMailEvery, a new one mails
// nobody (the counselors were told of the first), and the duty contact
// gets at most one mail per client per alertMailEvery. Pressing the
// button again and again cannot flood anyone's inbox.

// alertMailEvery is the window of the mail bounds above.
const alertMailEvery = time.Hour

// alertRaised tells the client's counselors of al, in the transaction
// that stores it; without counselors it goes to the duty contact at once.
func (s *Service) alertRaised(ctx context.Context, al eyelevel.SafetyAlert) error {
	if open, err := s.db.HasOpenAlertSince(ctx, al.ClientID, s.now().UTC().Add(-alertMailEvery), al.ID); err != nil || open {
		return err
	}
	ids, err := s.db.ClientCounselors(ctx, al.ClientID, s.careSince())
	if err != nil {
		return err
	}
	for _, id := range ids {
		err := s.mailUser(ctx, id, "", Mail{
			Kind:    "safety",
			Subject: Line{Key: "safety_mail.subject"},
			Lines:   []Line{{Key: "safety_mail.body"}, {Key: "safety_mail.private"}},
			Button:  &Button{Label: Line{Key: "safety_mail.button"}, URL: s.Link("/clients/" + string(al.ClientID))},
		})
		if err != nil {
			return err
		}
	}
	if len(ids) == 0 {
		return s.escalate(ctx, al)
	}
	return nil
}

// dutyOn reports whether alerts can go to a duty contact.
func (s *Service) dutyOn() bool { return s.cfg.Mail.On && s.cfg.Mail.DutyEmail != "" }

// escalate sends al to the duty contact once, in the caller's transaction;
// of concurrent callers only the first records it and mails. An alert of
// a client whose alert went to the duty contact within alertMailEvery is
// recorded as escalated (the duty contact may open it) but not mailed.
func (s *Service) escalate(ctx context.Context, al eyelevel.SafetyAlert) error {
	if !s.dutyOn() {
		return nil
	}
	recent, err := s.db.HasEscalatedAlert(ctx, al.ClientID, s.now().UTC().Add(-alertMailEvery))
	if err != nil {
		return err
	}
	ok, err := s.db.MarkAlertEscalated(ctx, al.ID, s.now().UTC())
	if err != nil || !ok {
		return err
	}
	if recent {
		s.log.Warn("safety alert escalated without mail: the duty contact was mailed of this client recently", "alert", al.ID)
		return nil
	}
	s.log.Warn("safety alert escalated to the duty contact", "alert", al.ID)
	return s.queueMail(ctx, Mail{
		Kind: "duty", To: s.cfg.Mail.DutyEmail, Lang: s.cfg.Mail.DutyLanguage,
		Subject: Line{Key: "safety_mail.duty_subject"},
		Lines:   []Line{{Key: "safety_mail.duty_body"}, {Key: "safety_mail.private"}},
		Button:  &Button{Label: Line{Key: "safety_mail.duty_button"}, URL: s.Link("/duty/" + al.ID)},
	})
}

// escalateWithin bounds escalation to recent alerts: turning mail on must
// not send the duty contact every alert of the past.
const escalateWithin = 24 * time.Hour

// EscalateAlerts sends the duty contact every open alert that nobody
// acknowledged within Mail.SafetyEscalate, or whose client has no
// counselor; each once, also when several nodes run it at the same time.
// serve runs it every minute. It returns how many it escalated.
func (s *Service) EscalateAlerts(ctx context.Context) (int, error) {
	if !s.dutyOn() {
		return 0, nil
	}
	now := s.now().UTC()
	as, err := s.db.AlertsToEscalate(ctx, now.Add(-escalateWithin), now.Add(-s.cfg.Mail.SafetyEscalate), s.careSince(), 100)
	if err != nil {
		return 0, err
	}
	for _, al := range as {
		if err := s.db.InTx(ctx, func(ctx context.Context) error { return s.escalate(ctx, al) }); err != nil {
			return 0, err
		}
	}
	return len(as), nil
}

// SafetyPlan says truthfully what happens after a client asked for help.
type SafetyPlan struct {
	Open       bool // the client has an alert nobody acknowledged yet
	Mail       bool // counselors were mailed (at least one has an address)
	Counselors int  // the client's counselors (they see the alert in the app)
	Duty       bool // a duty contact is told if nobody answers (or at once)
	// EscalateMinutes is how long the counselors have before the duty
	// contact is told.
	EscalateMinutes int
}

// SafetyPlanOf returns the acting client's SafetyPlan. Errors:
// EUNAUTHORIZED, EFORBIDDEN (not a client).
func (s *Service) SafetyPlanOf(ctx context.Context, a eyelevel.Actor) (SafetyPlan, error) {
	if err := requireRole(a, eyelevel.RoleClient); err != nil {
		return SafetyPlan{}, err
	}
	open, err := s.db.OpenSafetyAlerts(ctx, "", a.UserID, time.Time{})
	if err != nil {
		return SafetyPlan{}, err
	}
	ids, err := s.db.ClientCounselors(ctx, a.UserID, s.careSince())
	if err != nil {
		return SafetyPlan{}, err
	}
	p := SafetyPlan{Open: len(open) > 0, Counselors: len(ids), Duty: s.dutyOn(), EscalateMinutes: int(s.cfg.Mail.SafetyEscalate / time.Minute)}
	if s.cfg.Mail.On {
		for _, id := range ids {
			u, err := s.db.UserByID(ctx, id)
			if err != nil {
				return SafetyPlan{}, err
			}
			p.Mail = p.Mail || u.HasEmail() && u.EmailVerified
		}
	}
	return p, nil
}

// DutyView is all the duty contact sees of an escalated alert: the
// client's pseudonym, when, and whether someone acknowledged it.
type DutyView struct {
	AlertID        string          `json:"alert_id"`
	ClientID       eyelevel.UserID `json:"client_id"`
	Pseudonym      string          `json:"pseudonym"`
	CreatedAt      time.Time       `json:"created_at"`
	EscalatedAt    time.Time       `json:"escalated_at"`
	AcknowledgedAt time.Time       `json:"acknowledged_at,omitzero"`
}

// DutyAlert returns an escalated alert to an admin (the duty contact).
// Everyone else, and alerts that were not escalated, get ENOTFOUND.
// Errors: EUNAUTHORIZED, ENOTFOUND.
func (s *Service) DutyAlert(ctx context.Context, a eyelevel.Actor, id string) (DutyView, error) {
	var dv DutyView
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var err error
		if dv, err = s.dutyAlert(ctx, a, id); err != nil {
			return err
		}
		return s.logAccess(ctx, a, dv.ClientID, eyelevel.ViewAlerts)
	})
	if err != nil {
		return DutyView{}, err
	}
	return dv, nil
}

// dutyAlert is DutyAlert without the access log (for acknowledging).
func (s *Service) dutyAlert(ctx context.Context, a eyelevel.Actor, id string) (DutyView, error) {
	if a.Anonymous() {
		return DutyView{}, unauthorized()
	} else if a.Role != eyelevel.RoleAdmin {
		return DutyView{}, eyelevel.ErrNotFound()
	}
	al, err := s.db.SafetyAlert(ctx, id)
	if err != nil {
		return DutyView{}, err
	}
	esc, err := s.db.AlertEscalatedAt(ctx, id)
	if err != nil {
		return DutyView{}, err
	} else if esc.IsZero() {
		return DutyView{}, eyelevel.ErrNotFound()
	}
	return DutyView{AlertID: al.ID, ClientID: al.ClientID, Pseudonym: al.ClientUsername, CreatedAt: al.CreatedAt, EscalatedAt: esc, AcknowledgedAt: al.AcknowledgedAt}, nil
}
