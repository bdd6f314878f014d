package service

import (
	"context"
	"time"

	"eyelevel"
	"eyelevel/store"
	"eyelevel/vault"
)

// Export is everything eyelevel keeps about a client, for the client: the
// right to a copy of one's data (GDPR Art. 15 and 20), in one file.
type Export struct {
	ExportedAt   time.Time
	Account      eyelevel.User // without the password hash
	Appointments []eyelevel.Appointment
	Responses    []eyelevel.Response
	Reflections  []ReflectionView
	Ratings      []eyelevel.Rating
	SafetyAlerts []eyelevel.SafetyAlert
	Waitlist     []Waitlisted
	Messages     []ExportMessage  // oldest first, per conversation
	Handovers    []ExportHandover // newest first
}

// ExportMessage is one of the client's messages, decrypted, with the
// conversation's staff side and the sender as the thread shows them.
type ExportMessage struct {
	With   Peer // the staff side of the conversation
	From   Peer // the sender: the client themselves or With
	Text   string
	SentAt time.Time
	ReadAt time.Time // zero: not read yet
}

// ExportHandover is a colleague proposed to the client. The proposing
// counselor's note is left out: it is theirs.
type ExportHandover struct {
	Colleague string // the proposed counselor's display name
	Status    string
	CreatedAt time.Time
	DecidedAt time.Time
}

// Export returns the acting client's own data, reflections decrypted.
// Errors: EUNAUTHORIZED, EFORBIDDEN (not a client: staff data is the
// operator's), EUNAVAILABLE (the key to the reflections is missing).
func (s *Service) Export(ctx context.Context, a eyelevel.Actor) (Export, error) {
	if err := requireRole(a, eyelevel.RoleClient); err != nil {
		return Export{}, err
	}
	x := Export{ExportedAt: s.now().UTC()}
	var err error
	if x.Account, err = s.db.UserByID(ctx, a.UserID); err != nil {
		return Export{}, err
	}
	x.Account.PasswordHash = ""
	if err := s.openEmail(ctx, &x.Account); err != nil {
		return Export{}, err
	}
	x.Account.EmailSealed, x.Account.EmailHash = nil, ""
	x.Appointments, err = readAll(func(after store.After, limit int) ([]eyelevel.Appointment, error) {
		return s.db.Appointments(ctx, store.AppointmentFilter{ClientID: a.UserID, AfterStart: after.At, AfterID: eyelevel.AppointmentID(after.ID), Limit: limit})
	}, func(ap eyelevel.Appointment) store.After { return store.After{At: ap.Start, ID: string(ap.ID)} })
	if err != nil {
		return Export{}, err
	}
	if x.Responses, err = s.responses(ctx, a.UserID, ""); err != nil {
		return Export{}, err
	}
	if x.Reflections, err = s.reflections(ctx, a.UserID, a.Language, false); err != nil {
		return Export{}, err
	}
	if x.Ratings, err = s.db.ClientRatings(ctx, a.UserID); err != nil {
		return Export{}, err
	}
	ks := s.keys()
	for i := range x.Ratings {
		if x.Ratings[i].Comment, err = ks.openComment(ctx, x.Ratings[i]); err != nil {
			return Export{}, err
		}
		x.Ratings[i].CommentSealed = nil
	}
	if x.SafetyAlerts, err = s.openAlerts(ctx)(s.db.ClientSafetyAlerts(ctx, a.UserID)); err != nil {
		return Export{}, err
	}
	if x.Waitlist, err = s.Waitlist(ctx, a); err != nil {
		return Export{}, err
	}
	if x.Messages, err = s.exportMessages(ctx, a); err != nil {
		return Export{}, err
	}
	hs, err := s.db.ClientHandovers(ctx, a.UserID)
	if err != nil {
		return Export{}, err
	}
	for _, h := range hs {
		x.Handovers = append(x.Handovers, ExportHandover{Colleague: h.ToName, Status: h.Status, CreatedAt: h.CreatedAt, DecidedAt: h.DecidedAt})
	}
	return x, nil
}

// exportMessages returns all of the client's messages, those of ended
// relationships too, decrypted.
func (s *Service) exportMessages(ctx context.Context, a eyelevel.Actor) ([]ExportMessage, error) {
	cs, err := s.db.Conversations(ctx, a.UserID, conversationsMax)
	if err != nil {
		return nil, err
	}
	out := []ExportMessage{}
	me, err := s.peer(ctx, a, a.UserID)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		if c.ClientID != a.UserID {
			continue
		}
		with, err := s.peer(ctx, a, c.StaffID)
		if err != nil {
			return nil, err
		}
		ms, err := s.db.Messages(ctx, a.UserID, c.StaffID)
		if err != nil {
			return nil, err
		}
		key, err := s.dataKey(ctx, a.UserID, false)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			text, err := vault.Open(key, m.Sealed, messageContext(m.ID, a.UserID))
			if err != nil {
				return nil, s.keyUnavailable(err)
			}
			from := with
			if m.SenderID == a.UserID {
				from = me
			}
			out = append(out, ExportMessage{With: with, From: from, Text: string(text), SentAt: m.CreatedAt, ReadAt: m.ReadAt})
		}
	}
	return out, nil
}
